package validate

import (
	stdjson "encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Generated schemas: random OpenAPI 3.0 schemas and bodies, drawn from a
// byte string (the fuzzer's, or a seeded generator's), through the fast
// path and kin-openapi. Schemas use every keyword OpenAPI 3.0 allows in a
// request body; where the fast path does not implement one, the operation
// falls back to kin-openapi, and the verdicts agree trivially.

// draw reads choices from a byte string; past its end, every choice is 0.
// With root set, schemas may refer to it (#/components/schemas/S), so that
// it is recursive.
type draw struct {
	b    []byte
	root map[string]any
}

const rootRef = "#/components/schemas/S"

func (d *draw) byte() byte {
	if len(d.b) == 0 {
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// n returns a choice in [0, k).
func (d *draw) n(k int) int { return int(d.byte()) % k }

// chance returns true in about one case out of k.
func (d *draw) chance(k int) bool { return d.n(k) == 0 }

func pick[T any](d *draw, xs ...T) T { return xs[d.n(len(xs))] }

// memberNames are the names schemas declare and bodies use: plain, one a
// pointer must escape, and one a body may spell with an escape.
var memberNames = []string{"a", "b", "c", "a/b", "~x", "ب"}

var genPatterns = []string{`^a`, `b$`, `^[a-c]*$`, `\d`, `^.{2}$`, `ب`, `^$`, `\\u0041`, `(a|b)+c?`}

// genSchema returns a random schema, as a JSON value, nested at most depth
// levels.
func genSchema(d *draw, depth int) map[string]any {
	s := map[string]any{}
	kinds := []string{"object", "array", "string", "integer", "number", "boolean", "empty", "untyped", "composite"}
	if depth <= 0 {
		kinds = kinds[2:8]
	}
	if d.root != nil && depth < 3 && d.chance(6) {
		return map[string]any{"$ref": rootRef}
	}
	kind := pick(d, kinds...)
	switch kind {
	case "empty":
		return s
	case "composite":
		genComposite(d, s, depth)
		if d.chance(2) {
			s["type"] = pick(d, "object", "string", "integer")
		}
	case "untyped": // keywords of several types and no type: each applies to its own
		genObject(d, s, depth-1)
		genString(d, s)
		genNumber(d, s)
	case "object":
		s["type"] = kind
		genObject(d, s, depth-1)
	case "array":
		s["type"] = kind
		if !d.chance(4) {
			s["items"] = genSchema(d, depth-1)
		}
		if d.chance(3) {
			s["minItems"] = d.n(3)
		}
		if d.chance(3) {
			s["maxItems"] = d.n(3)
		}
		if d.chance(4) {
			s["uniqueItems"] = true
		}
	case "string":
		s["type"] = kind
		genString(d, s)
	case "integer", "number":
		s["type"] = kind
		genNumber(d, s)
	case "boolean":
		s["type"] = kind
	}
	if d.chance(3) {
		s["nullable"] = true
	}
	if d.chance(8) {
		genEnum(d, s)
	}
	return s
}

func genObject(d *draw, s map[string]any, depth int) {
	if d.chance(4) {
		return
	}
	if k := d.n(4); k > 0 {
		props := map[string]any{}
		for range k {
			props[pick(d, memberNames...)] = genSchema(d, depth)
		}
		s["properties"] = props
	}
	if k := d.n(4); k > 0 {
		var req []string
		for range k {
			name := pick(d, memberNames...)
			if !strings.Contains(strings.Join(req, "\x00")+"\x00", name+"\x00") {
				req = append(req, name)
			}
		}
		s["required"] = req
	}
	switch d.n(5) {
	case 1:
		s["additionalProperties"] = true
	case 2:
		s["additionalProperties"] = false
	case 3:
		s["additionalProperties"] = genSchema(d, depth)
	}
	if d.chance(5) {
		s["minProperties"] = d.n(3)
	}
	if d.chance(5) {
		s["maxProperties"] = d.n(4)
	}
}

func genString(d *draw, s map[string]any) {
	if d.chance(3) {
		s["minLength"] = d.n(4)
	}
	if d.chance(3) {
		s["maxLength"] = d.n(4)
	}
	if d.chance(3) {
		s["pattern"] = pick(d, genPatterns...)
	}
	if d.chance(6) {
		s["format"] = pick(d, "date", "date-time", "byte", "uuid", "email", "kenar-token")
	}
}

func genNumber(d *draw, s map[string]any) {
	bounds := []any{0, 1, -1, 2.5, 2147483647, -2147483648}
	if d.chance(3) {
		s["minimum"] = pick(d, bounds...)
		if d.chance(3) {
			s["exclusiveMinimum"] = true
		}
	}
	if d.chance(3) {
		s["maximum"] = pick(d, bounds...)
		if d.chance(3) {
			s["exclusiveMaximum"] = true
		}
	}
	if d.chance(6) {
		s["multipleOf"] = pick[any](d, 2, 0.5, 0.1)
	}
	if d.chance(3) {
		s["format"] = pick(d, "int32", "int64", "float", "double")
	}
}

func genComposite(d *draw, s map[string]any, depth int) {
	sub := func() []any {
		xs := make([]any, 1+d.n(2))
		for i := range xs {
			xs[i] = genSchema(d, depth-1)
		}
		return xs
	}
	switch d.n(4) {
	case 0:
		s["allOf"] = sub()
	case 1:
		s["anyOf"] = sub()
	case 2:
		s["oneOf"] = sub()
	case 3:
		s["not"] = genSchema(d, depth-1)
	}
}

func genEnum(d *draw, s map[string]any) {
	switch s["type"] {
	case "string":
		s["enum"] = []any{"a", pick(d, "b", "ب", "")}
	case "integer", "number":
		s["enum"] = []any{1, pick[any](d, 2, -1, 0)}
	case "boolean":
		s["enum"] = []any{true}
	}
}

var (
	genStrings = []string{`""`, `"a"`, `"ab"`, `"abc"`, `"b"`, `"ب"`, `"😀😀"`, `"1"`, `"\u0041"`, `"a\/b"`, `"2024-01-02"`, `"aabc"`, `"\\u0041"`, `"a\nb"`, `"\"\\"`, `"\ud83d\ude00"`, `"ab\u0000"`}
	genNumbers = []string{`0`, `1`, `-1`, `2`, `1.5`, `2.0`, `-0`, `0.1`, `0.30000000000000004`, `2147483648`, `-2147483649`,
		`9223372036854775807`, `1e400`, `1e-400`, `12345678901234567890`, `2.5`, `3`, `1E2`, `-0.0`, `1e-7`, `4294967296`, `-2147483648`, `2147483647.5`}
)

// genValue returns JSON text for a value that mostly fits s (nil: any),
// with a wrong type or a broken limit now and then.
func genValue(d *draw, s map[string]any, depth int) string {
	if s["$ref"] != nil {
		s = d.root
	}
	t, _ := s["type"].(string)
	if t == "" || d.chance(5) {
		t = pick(d, "object", "array", "string", "integer", "number", "boolean", "null")
	}
	if depth <= 0 && (t == "object" || t == "array") {
		t = "null"
	}
	switch t {
	case "object":
		props, _ := s["properties"].(map[string]any)
		var b strings.Builder
		b.WriteByte('{')
		var known []string
		for name := range props {
			known = append(known, name)
		}
		slices.Sort(known)
		if req, ok := s["required"].([]string); ok {
			known = append(known, req...)
		}
		used := map[string]bool{}
		for range d.n(5) {
			name := pick(d, memberNames...)
			if len(known) > 0 && !d.chance(4) {
				name = pick(d, known...)
			}
			if used[name] {
				continue // a repeat is a syntax error: the corpus has those
			}
			if len(used) > 0 {
				b.WriteByte(',')
			}
			used[name] = true
			child, _ := props[name].(map[string]any)
			if child == nil {
				child, _ = s["additionalProperties"].(map[string]any)
			}
			q, _ := stdjson.Marshal(name)
			if c := q[1]; c < 0x80 && d.chance(4) { // the same name, escaped
				q = append([]byte(`"\u00`+strconv.FormatUint(uint64(c), 16)), q[2:]...)
			}
			b.Write(q)
			b.WriteByte(':')
			b.WriteString(genValue(d, child, depth-1))
		}
		b.WriteByte('}')
		return b.String()
	case "array":
		items, _ := s["items"].(map[string]any)
		xs := make([]string, d.n(4))
		for i := range xs {
			xs[i] = genValue(d, items, depth-1)
		}
		return "[" + strings.Join(xs, ",") + "]"
	case "string":
		return pick(d, genStrings...)
	case "integer", "number":
		return pick(d, genNumbers...)
	case "boolean":
		return pick(d, "true", "false")
	}
	return "null"
}

// genCase returns a schema and a body drawn from b. The body is a JSON
// object most of the time, as the validator requires. With recursive, the
// schema is components/schemas/S and may refer to itself.
func genCase(b []byte) (schema, body string, recursive bool) {
	d := &draw{b: b}
	recursive = d.chance(4)
	if recursive {
		d.root = map[string]any{}
	}
	s := genSchema(d, 3)
	if s["$ref"] != nil {
		s = map[string]any{}
	}
	if !d.chance(6) {
		s["type"] = "object"
		delete(s, "items")
		if !d.chance(3) {
			genObject(d, s, 2)
		}
	}
	if recursive {
		d.root = s
	}
	js, _ := stdjson.Marshal(s)
	body = genValue(d, s, 4)
	if !strings.HasPrefix(body, "{") && !d.chance(4) {
		body = `{"a":` + body + `}`
	}
	return string(js), body, recursive
}

// checkGenerated runs one generated case through both validators. It
// reports whether the fast path compiled the schema, whether kin-openapi
// accepted the body, and false for a schema the spec's own validation
// refuses (no add-on could serve it).
func checkGenerated(t *testing.T, b []byte) (compiledFast, accepted, valid bool) {
	t.Helper()
	schema, body, recursive := genCase(b)
	pair := schemaPair
	if recursive {
		pair = schemaPairRef
	}
	fast, kin, err := pair(schema)
	if err != nil {
		return false, false, false
	}
	a, k := verdict(fast, schemaPath, body, nil), verdict(kin, schemaPath, body, nil)
	if a != k {
		t.Errorf("schema %s\nbody   %s\nfast   %s\nkin    %s", schema, body, a, k)
	}
	return compiled(fast), k == "ok", true
}

// TestFastPathMatchesKinOnGeneratedSchemas runs a fixed set of generated
// cases (the fuzz target below explores more), and checks that the
// generator exercises the fast path, not only the fallback, with bodies
// accepted and refused.
func TestFastPathMatchesKinOnGeneratedSchemas(t *testing.T) {
	cases := 3000
	if testing.Short() {
		cases = 300
	}
	r := rand.New(rand.NewPCG(11, 9))
	var valid, fast, fastAccepted int
	b := make([]byte, 256)
	for range cases {
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f, accepted, ok := checkGenerated(t, b)
		if ok {
			valid++
		}
		if f {
			fast++
			if accepted {
				fastAccepted++
			}
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d cases: %d valid specs, %d through the fast path (%d bodies accepted)", cases, valid, fast, fastAccepted)
	if valid < cases/2 || fast < valid/3 || fastAccepted < fast/4 || fast-fastAccepted < fast/4 {
		t.Errorf("the generator is off: %d cases, %d valid specs, %d through the fast path (%d bodies accepted)", cases, valid, fast, fastAccepted)
	}
}

// FuzzFastPathMatchesKinSchemas draws a schema and a body from the
// fuzzer's bytes: the fast path and kin-openapi must give the same verdict
// and the same failing fields.
func FuzzFastPathMatchesKinSchemas(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 32 {
		b := make([]byte, 64+r.IntN(192))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkGenerated(t, b)
	})
}
