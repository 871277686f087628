// Package divarpin keeps kenarkit's pin of Divar's own API description,
// static/openapi-v3.json in the divar-ir/kenar-docs repository: it checks
// that an original is an OpenAPI 3 JSON document (Divar's automated sync has
// committed an HTML "502 Bad Gateway" page in its place more than once),
// keeps its facts and drops Divar's prose, records where the original came
// from, tells what changed against the current pin, and merges the pin with
// kenarkit's overlay of corrections (api/divar/overlay.yaml, an OpenAPI
// Overlay 1.0 document, the format oapi-codegen applies at generation time).
//
// internal/cmd/pindivar is its command; api/divar holds the pin and the
// overlay.
package divarpin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// PinKey is the top-level extension of a pinned document that records where
// its original came from (a Pin).
const PinKey = "x-kenarkit-pin"

// PermissionsKey is the extension of a pinned operation that lists the
// permissions the app's API key needs for it (granted in the Kenar panel).
// Divar's description gives them only in each operation's prose, under
// "مجوزهای API Key مورد نیاز"; the pin keeps them as a fact.
const PermissionsKey = "x-kenarkit-api-key-permissions"

// Pin records the original a pinned document was made from.
type Pin struct {
	Repository string `json:"repository"` // divar-ir/kenar-docs
	Path       string `json:"path"`       // static/openapi-v3.json
	Commit     string `json:"commit"`     // the kenar-docs commit, 40 hex digits
	SHA256     string `json:"sha256"`     // of the original's bytes, hex
}

// The original's place in kenar-docs.
const (
	Repository = "divar-ir/kenar-docs"
	SourcePath = "static/openapi-v3.json"
)

// ErrNotOpenAPI is returned (wrapped) for an original that is not an
// OpenAPI 3 JSON document.
var ErrNotOpenAPI = errors.New("not an OpenAPI 3 JSON document")

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Make checks original and returns the pinned document: the original's
// facts (paths, operations, parameters, schemas, enums, security, servers),
// without Divar's prose, without the fields OpenAPI 3 does not allow where
// they stand (each named in notes), with the Pin of commit and the original's SHA-256
// under PinKey. The output is deterministic: the same original and commit
// give the same bytes.
func Make(original []byte, commit string) (pinned []byte, notes []string, err error) {
	if !commitRE.MatchString(commit) {
		return nil, nil, fmt.Errorf("commit %q is not a full kenar-docs commit id (40 lowercase hex digits)", commit)
	}
	doc, err := parseOriginal(original)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(original)
	strip(doc, "")
	notes = dropInapplicable(doc)
	doc["info"] = map[string]any{"title": "Divar Kenar open-platform API (facts pinned by kenarkit)", "version": infoVersion(doc)}
	doc[PinKey] = Pin{Repository: Repository, Path: SourcePath, Commit: commit, SHA256: hex.EncodeToString(sum[:])}
	out, err := encode(doc)
	if err != nil {
		return nil, nil, err
	}
	// What is written must itself be a valid OpenAPI 3 document.
	if _, err := Load(out); err != nil {
		return nil, nil, fmt.Errorf("the pinned document does not validate: %w", err)
	}
	return out, notes, nil
}

// dropInapplicable removes from doc's security schemes the fields OpenAPI 3
// defines only for another type of scheme (Divar's OAuth scheme has an
// apiKey's "name"), so that the pin validates, and says what it removed.
func dropInapplicable(doc map[string]any) (notes []string) {
	schemes := component(doc, "securitySchemes")
	for _, name := range slices.Sorted(maps.Keys(schemes)) {
		s, _ := schemes[name].(map[string]any)
		if s["type"] == "apiKey" {
			continue
		}
		for _, k := range []string{"name", "in"} {
			if _, ok := s[k]; ok {
				delete(s, k)
				notes = append(notes, fmt.Sprintf("dropped components.securitySchemes.%s.%s: OpenAPI 3 defines it for apiKey schemes only, this one is %v", name, k, s["type"]))
			}
		}
	}
	return notes
}

// parseOriginal decodes original as a JSON object that says it is
// OpenAPI 3 and validates as such.
func parseOriginal(original []byte) (map[string]any, error) {
	trimmed := bytes.TrimSpace(original)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: it is empty", ErrNotOpenAPI)
	}
	if trimmed[0] != '{' {
		what := "it does not start with a JSON object"
		if trimmed[0] == '<' {
			what = "it is an HTML or XML page (Divar's sync has committed an HTML \"502 Bad Gateway\" page in its place)"
		}
		return nil, fmt.Errorf("%w: %s, starting %q", ErrNotOpenAPI, what, head(trimmed))
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotOpenAPI, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrNotOpenAPI)
	}
	v, _ := doc["openapi"].(string)
	if !strings.HasPrefix(v, "3.") {
		return nil, fmt.Errorf("%w: its \"openapi\" field is %q, not 3.x", ErrNotOpenAPI, v)
	}
	if _, ok := doc["paths"].(map[string]any); !ok {
		return nil, fmt.Errorf("%w: it has no \"paths\" object", ErrNotOpenAPI)
	}
	// The original must load (its references resolve); it need not
	// validate: Divar's examples do not always fit their schemas, and its
	// OAuth scheme carries an apiKey's "name". The pin must validate.
	if _, err := openapi3.NewLoader().LoadFromData(trimmed); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotOpenAPI, err)
	}
	return doc, nil
}

func head(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

func infoVersion(doc map[string]any) string {
	if info, ok := doc["info"].(map[string]any); ok {
		if v, ok := info["version"].(string); ok && v != "" {
			return v
		}
	}
	return "unknown"
}

// Load parses and validates an OpenAPI 3 document with kin-openapi.
func Load(b []byte, opts ...openapi3.ValidationOption) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	t, err := l.LoadFromData(b)
	if err != nil {
		return nil, err
	}
	if err := t.Validate(l.Context, opts...); err != nil {
		return nil, err
	}
	return t, nil
}

// prose are the keys whose values are Divar's writing, not facts: removed
// wherever they are keywords (not where they name a property or a path).
var prose = map[string]bool{"description": true, "summary": true, "example": true, "examples": true, "title": true, "x-displayName": true}

// nameMaps are the keys whose values map names (of properties, paths,
// schemas, …) to objects; their keys are never keywords.
var nameMaps = map[string]bool{"properties": true, "paths": true, "schemas": true, "requestBodies": true, "responses": true, "securitySchemes": true, "parameters": true, "headers": true, "content": true, "scopes": true, "callbacks": true, "links": true, "mapping": true, "variables": true}

var methods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true, "trace": true}

// strip removes prose from x in place. parent is the key x is the value of.
// A response's description is required by OpenAPI 3: it is kept, emptied.
// An operation's prose yields its API key permissions first.
func strip(x any, parent string) {
	switch v := x.(type) {
	case map[string]any:
		if nameMaps[parent] {
			for _, c := range v {
				strip(c, "")
			}
			return
		}
		if methods[parent] {
			if d, ok := v["description"].(string); ok {
				if perms := permissions(d); len(perms) > 0 {
					v[PermissionsKey] = perms
				}
			}
		}
		for k := range v {
			if prose[k] {
				delete(v, k)
			}
		}
		if parent == "response" {
			v["description"] = ""
		}
		for k, c := range v {
			switch {
			case k == "responses":
				if rs, ok := c.(map[string]any); ok {
					for _, r := range rs {
						strip(r, "response")
					}
				}
			case k == "scopes":
				// The OAuth scopes map names to prose; the pin maps each to its name.
				if sc, ok := c.(map[string]any); ok {
					for name := range sc {
						sc[name] = name
					}
				}
			case k == "enum" || k == "required" || k == "default":
				// facts, kept as they are
			default:
				strip(c, k)
			}
		}
	case []any:
		// A list's elements are objects (parameters, schemas, security
		// requirements, tags), never maps of names.
		for _, c := range v {
			strip(c, "")
		}
	}
}

// accessHeading opens the list of an operation's API key permissions in
// Divar's prose; the list ends at the next heading.
const accessHeading = "مجوزهای API Key مورد نیاز"

var permRE = regexp.MustCompile("`([A-Z][A-Z0-9_]*)`")

// permissions returns the API key permissions an operation's description
// lists under accessHeading.
func permissions(desc string) []any {
	i := strings.Index(desc, accessHeading)
	if i < 0 {
		return nil
	}
	rest := desc[i+len(accessHeading):]
	if j := strings.Index(rest, "#"); j >= 0 {
		rest = rest[:j]
	}
	var out []any
	for _, m := range permRE.FindAllStringSubmatch(rest, -1) {
		out = append(out, m[1])
	}
	return out
}

// encode writes doc as indented JSON with sorted keys, unescaped, ending in
// a newline.
func encode(doc map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadPin returns the Pin recorded in a pinned document, checking that each
// of its fields is there and well formed.
func ReadPin(pinned []byte) (Pin, error) {
	var doc struct {
		Pin *Pin `json:"x-kenarkit-pin"`
	}
	if err := json.Unmarshal(pinned, &doc); err != nil {
		return Pin{}, err
	}
	if doc.Pin == nil {
		return Pin{}, fmt.Errorf("no %s object", PinKey)
	}
	p := *doc.Pin
	switch {
	case p.Repository != Repository:
		return p, fmt.Errorf("%s.repository is %q, not %q", PinKey, p.Repository, Repository)
	case p.Path != SourcePath:
		return p, fmt.Errorf("%s.path is %q, not %q", PinKey, p.Path, SourcePath)
	case !commitRE.MatchString(p.Commit):
		return p, fmt.Errorf("%s.commit %q is not a full commit id", PinKey, p.Commit)
	case !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(p.SHA256):
		return p, fmt.Errorf("%s.sha256 %q is not a SHA-256 in hex", PinKey, p.SHA256)
	}
	return p, nil
}
