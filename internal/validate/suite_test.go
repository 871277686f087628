package validate

import (
	"bytes"
	stdjson "encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// The official JSON-Schema-Test-Suite (github.com/json-schema-org/
// JSON-Schema-Test-Suite), draft 4, through the validator: each case whose
// keywords OpenAPI 3.0 allows becomes an OpenAPI 3.0 schema, and each of
// its tests' data a body, validated by the fast path and by kin-openapi;
// both must answer what the suite says, except where suiteDifferences says
// why not.
//
// The suite is data, not a Go package: it is read from the module cache,
// from a Go module that ships it in its zip (pinned below, with its
// checksum). The test skips when the module cannot be downloaded, unless
// KENARKIT_SUITE=1 (CI), where that is a failure.

const (
	suiteModule = "github.com/kaptinlin/jsonschema@v0.9.6"
	suiteSum    = "h1:RNqurZUqduQm+mINsCFbRzBQR0uKbAcRPBj3BqRA/I8="
	suitePath   = "testdata/JSON-Schema-Test-Suite/tests/draft4"
)

// suiteSkippedFiles are the draft 4 files left out whole, and why. The
// optional/ directory (bignum, ECMAScript regexps, formats…) is not read:
// draft 4 does not require it.
var suiteSkippedFiles = map[string]string{
	"additionalItems.json":         "additionalItems is not an OpenAPI 3.0 keyword",
	"definitions.json":             "validates schemas against the draft 4 meta-schema, by a remote $ref",
	"dependencies.json":            "dependencies is not an OpenAPI 3.0 keyword",
	"infinite-loop-detection.json": "needs definitions and a $ref into them; OpenAPI 3.0 refs name components",
	"patternProperties.json":       "patternProperties is not an OpenAPI 3.0 keyword",
	"ref.json":                     "$ref into the schema itself and its definitions; OpenAPI 3.0 refs name components",
	"refRemote.json":               "$ref to remote documents",
}

// suiteSkippedKeywords are what makes one case of a file that is read
// inapplicable, and why.
var suiteSkippedKeywords = map[string]string{
	"$ref":              "OpenAPI 3.0 refs name components, not JSON pointers into the schema",
	"definitions":       "not an OpenAPI 3.0 keyword",
	"dependencies":      "not an OpenAPI 3.0 keyword",
	"patternProperties": "not an OpenAPI 3.0 keyword",
	"additionalItems":   "not an OpenAPI 3.0 keyword",
	"id":                "not an OpenAPI 3.0 keyword",
	"$schema":           "not an OpenAPI 3.0 keyword",
	"type null":         "OpenAPI 3.0 has no null type (nullable: true instead)",
	"type array":        "an OpenAPI 3.0 type is one name",
	"items array":       "an OpenAPI 3.0 items is one schema (no tuples)",
}

// suiteDifferences are the tests where kenarkit's validator (kin-openapi's
// semantics, which the fast path copies) answers otherwise than the suite,
// by "file: case: test" (or "file: case" for all its tests), and why.
var suiteDifferences = map[string]string{
	"default.json: invalid type for default":                                            defaultChecked,
	"default.json: invalid string value for default":                                    defaultChecked,
	"default.json: the default keyword does not do anything if the property is missing": defaultChecked,

	"enum.json: heterogeneous enum-with-null validation: null is valid": nullNeedsNullable,
	"format.json: email format: all string formats ignore nulls":        nullNeedsNullable,
	"format.json: ipv4 format: all string formats ignore nulls":         nullNeedsNullable,
	"format.json: ipv6 format: all string formats ignore nulls":         nullNeedsNullable,
	"format.json: hostname format: all string formats ignore nulls":     nullNeedsNullable,
	"format.json: date-time format: all string formats ignore nulls":    nullNeedsNullable,
	"format.json: uri format: all string formats ignore nulls":          nullNeedsNullable,
	"pattern.json: pattern validation: ignores null":                    nullNeedsNullable,

	"multipleOf.json: float division = inf: invalid, but naive implementations may raise an overflow error": "multipleOf tolerance: kin-openapi counts a value within 2^-51 of itself of a multiple as one, and 1e308 is that close to a multiple of 0.123456789",

	"not.json: forbidden property: property present":                          notEmpty,
	"not.json: forbid everything with empty schema: number is invalid":        notEmpty,
	"not.json: forbid everything with empty schema: string is invalid":        notEmpty,
	"not.json: forbid everything with empty schema: boolean true is invalid":  notEmpty,
	"not.json: forbid everything with empty schema: boolean false is invalid": notEmpty,
	"not.json: forbid everything with empty schema: object is invalid":        notEmpty,
	"not.json: forbid everything with empty schema: empty object is invalid":  notEmpty,
	"not.json: forbid everything with empty schema: array is invalid":         notEmpty,
	"not.json: forbid everything with empty schema: empty array is invalid":   notEmpty,

	"uniqueItems.json: uniqueItems validation: numbers are unique if mathematically unequal": "uniqueItems compares items by their JSON text in kin-openapi: 1.0, 1.00 and 1 are three items",
}

const (
	defaultChecked    = "kin-openapi refuses a spec whose default breaks its schema (OpenAPI 3.0: a default must conform to it); draft 4 ignores default, so no validator is built"
	nullNeedsNullable = "null without nullable: OpenAPI 3.0 accepts null only where nullable is true, whatever the other keywords say"
	notEmpty          = "not: {}: kin-openapi's IsEmpty counts {\"not\": {}} as the empty schema, which accepts every value but null"
)

// suiteKeywords are the draft 4 keywords an OpenAPI 3.0 schema has too,
// with the same meaning; the others are in suiteSkippedKeywords.
var suiteKeywords = []string{
	"type", "properties", "required", "additionalProperties", "minProperties", "maxProperties",
	"items", "minItems", "maxItems", "uniqueItems",
	"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
	"minLength", "maxLength", "pattern", "format", "enum",
	"allOf", "anyOf", "oneOf", "not", "default", "description", "title",
}

// suiteDir returns the suite's draft 4 directory in the module cache,
// downloading the module if need be.
func suiteDir(t *testing.T) string {
	t.Helper()
	required := os.Getenv("KENARKIT_SUITE") == "1"
	unavailable := func(format string, args ...any) {
		t.Helper()
		if required {
			t.Fatalf(format, args...)
		}
		t.Skipf("JSON-Schema-Test-Suite unavailable (set KENARKIT_SUITE=1 to make this a failure): "+format, args...)
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		unavailable("no go command: %v", err)
	}
	// Outside any module, so that kenarkit's go.mod and go.sum stay as they are.
	cmd := exec.Command(gobin, "mod", "download", "-json", suiteModule)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var m struct{ Dir, Sum, Error string }
	if jerr := stdjson.Unmarshal(out, &m); jerr != nil || err != nil || m.Error != "" {
		unavailable("go mod download %s: %v %s %s", suiteModule, err, m.Error, stderr.String())
	}
	if m.Sum != suiteSum {
		t.Fatalf("%s has checksum %s, want %s", suiteModule, m.Sum, suiteSum)
	}
	return filepath.Join(m.Dir, filepath.FromSlash(suitePath))
}

type suiteCase struct {
	Description string
	Schema      stdjson.RawMessage
	Tests       []struct {
		Description string
		Data        stdjson.RawMessage
		Valid       bool
	}
}

// openAPISchema checks that the draft 4 schema s uses only keywords an
// OpenAPI 3.0 schema has, and returns the first one it does not. It
// translates s in place where the two differ in form only: OpenAPI 3.0
// requires items with type array, where {} says what draft 4's absent
// items says.
func openAPISchema(s any) (skipped string) {
	m, ok := s.(map[string]any)
	if !ok {
		return "a schema that is not an object"
	}
	if _, ok := m["items"]; !ok && m["type"] == "array" {
		m["items"] = map[string]any{}
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		v := m[k]
		if !slices.Contains(suiteKeywords, k) {
			return k
		}
		var subs []any
		switch k {
		case "type":
			switch v := v.(type) {
			case []any:
				return "type array"
			case string:
				if v == "null" {
					return "type null"
				}
			}
		case "properties":
			props, _ := v.(map[string]any)
			for _, name := range slices.Sorted(func(yield func(string) bool) {
				for k := range props {
					if !yield(k) {
						return
					}
				}
			}) {
				subs = append(subs, props[name])
			}
		case "additionalProperties":
			if _, ok := v.(bool); !ok {
				subs = append(subs, v)
			}
		case "items":
			if _, ok := v.([]any); ok {
				return "items array"
			}
			subs = append(subs, v)
		case "allOf", "anyOf", "oneOf":
			xs, _ := v.([]any)
			subs = append(subs, xs...)
		case "not":
			subs = append(subs, v)
		}
		for _, sub := range subs {
			if skipped := openAPISchema(sub); skipped != "" {
				return skipped
			}
		}
	}
	return ""
}

func TestJSONSchemaTestSuite(t *testing.T) {
	dir := suiteDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no draft 4 files in %s: %v", dir, err)
	}
	for name := range suiteSkippedFiles {
		if !slices.Contains(files, filepath.Join(dir, name)) {
			t.Errorf("suiteSkippedFiles lists %s, which the suite no longer has", name)
		}
	}
	seenDifferences := map[string]bool{}
	var ran, skipped, viaFast int
	for _, file := range files {
		name := filepath.Base(file)
		if _, ok := suiteSkippedFiles[name]; ok {
			continue
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cases []suiteCase
		if err := stdjson.Unmarshal(raw, &cases); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range cases {
			var schema any
			d := stdjson.NewDecoder(bytes.NewReader(c.Schema))
			d.UseNumber()
			if err := d.Decode(&schema); err != nil {
				t.Fatalf("%s: %s: %v", name, c.Description, err)
			}
			if kw := openAPISchema(schema); kw != "" {
				if _, ok := suiteSkippedKeywords[kw]; !ok {
					t.Errorf("%s: %s: uses %q, which neither OpenAPI 3.0 nor suiteSkippedKeywords has", name, c.Description, kw)
				}
				skipped += len(c.Tests)
				continue
			}
			translated, err := stdjson.Marshal(schema) // json.Numbers as written
			if err != nil {
				t.Fatal(err)
			}
			// The body is an object; the suite's data is its member v.
			wrapper := `{"type":"object","required":["v"],"properties":{"v":` + string(translated) + `}}`
			fast, kin, specErr := schemaPair(wrapper)
			for _, tc := range c.Tests {
				key := name + ": " + c.Description + ": " + tc.Description
				want := map[bool]string{true: "valid", false: "invalid"}[tc.Valid]
				var got string
				if specErr != nil {
					got = "spec refused: " + specErr.Error()
				} else {
					body := `{"v":` + string(tc.Data) + `}`
					a, k := verdict(fast, schemaPath, body, nil), verdict(kin, schemaPath, body, nil)
					if a != k {
						t.Errorf("%s: fast and kin disagree:\nfast %s\nkin  %s", key, a, k)
					}
					got = map[bool]string{true: "valid", false: "invalid"}[k == "ok"]
				}
				ran++
				if specErr == nil && compiled(fast) {
					viaFast++
				}
				why, listed := suiteDifferences[key]
				if !listed {
					key = name + ": " + c.Description
					why, listed = suiteDifferences[key]
				}
				switch {
				case got != want && !listed:
					t.Errorf("%s: %s, the suite says %s\n  schema %s\n  data   %s", key, got, want, c.Schema, tc.Data)
				case got == want && listed:
					t.Errorf("%s: listed in suiteDifferences (%s), but the validator agrees with the suite", key, why)
				}
				if listed {
					seenDifferences[key] = true
				}
			}
		}
	}
	for key := range suiteDifferences {
		if !seenDifferences[key] {
			t.Errorf("suiteDifferences lists %q, which the suite no longer has", key)
		}
	}
	t.Logf("%d tests run (%d through the fast path, the others through its fallback to kin-openapi), %d skipped for their keywords, %d deliberate differences",
		ran, viaFast, skipped, len(suiteDifferences))
	if ran < 300 {
		t.Errorf("only %d of the suite's tests ran", ran)
	}
}
