package validate

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The fast path against kin-openapi on schemas other than kenarkit's own:
// an add-on that extends the spec brings its own, and the fast path must
// answer them as kin-openapi does.

// schemaPath is the one operation of a spec built by schemaSpec.
const schemaPath = "/x"

// schemaSpec returns an OpenAPI 3.0.3 document whose one operation, POST
// /x, takes a required JSON body of the given schema (JSON text), and
// whose components name the given schemas (a JSON object, or "").
func schemaSpec(schema, components string) (*openapi3.T, error) {
	if components == "" {
		components = "{}"
	}
	doc := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"components":{"schemas":` + components + `},` +
		`"paths":{"` + schemaPath + `":{"post":{` +
		`"requestBody":{"required":true,"content":{"application/json":{"schema":` + schema + `}}},` +
		`"responses":{"200":{"description":"ok"}}}}}}`
	spec, err := openapi3.NewLoader().LoadFromData([]byte(doc))
	if err != nil {
		return nil, err
	}
	if err := spec.Validate(context.Background()); err != nil {
		return nil, err
	}
	return spec, nil
}

// schemaPair returns the fast and the kin-only validator of a body schema.
func schemaPair(schema string) (fast, kin *validator, err error) {
	return specPair(schemaSpec(schema, ""))
}

// schemaPairRef is schemaPair with the schema in components, as S, so that
// it can refer to itself as #/components/schemas/S.
func schemaPairRef(schema string) (fast, kin *validator, err error) {
	return specPair(schemaSpec(`{"$ref":"#/components/schemas/S"}`, `{"S":`+schema+`}`))
}

func specPair(spec *openapi3.T, err error) (fast, kin *validator, _ error) {
	if err != nil {
		return nil, nil, err
	}
	fast = newValidator(ValidatorConfig{Spec: spec})
	kin = kinOnly(newValidator(ValidatorConfig{Spec: spec}), spec)
	return fast, kin, nil
}

// compiled reports whether the fast path validates v's one operation.
func compiled(v *validator) bool { return v.ops["POST "+schemaPath].fast != nil }

// schemaCases are schemas the fast path compiles, with bodies, and what
// both validators answer: "ok", or a text the refusal contains.
var schemaCases = []struct {
	name, schema, body, want string
}{
	{"required name that properties does not declare, present", `{"type":"object","required":["a"]}`, `{"a":1}`, "ok"},
	{"required name that properties does not declare, missing", `{"type":"object","required":["a"]}`, `{"b":1}`, `"/a: is required"`},
	{"required undeclared name beside declared properties", `{"type":"object","properties":{"b":{"type":"integer"}},"required":["a","b"]}`, `{"b":1,"a":null}`, "ok"},
	{"required undeclared name with additionalProperties false", `{"type":"object","properties":{"b":{}},"additionalProperties":false,"required":["a"]}`, `{"a":1}`, "has a member that is not allowed"},
	{"required undeclared name checked against additionalProperties", `{"type":"object","additionalProperties":{"type":"string"},"required":["a"]}`, `{"a":1}`, `"/a: must be a string"`},
	{"required without type", `{"required":["a"]}`, `{"a":{}}`, "ok"},
	{"required name in a nested object", `{"type":"object","properties":{"o":{"type":"object","required":["x"]}}}`, `{"o":{"x":true}}`, "ok"},
	{"required name escaped in the body", `{"type":"object","required":["a/b"]}`, `{"a\/b":1}`, "ok"},
	{"required names past 64", `{"type":"object","required":[` + quotedNames(70) + `]}`, `{` + manyNames(69, false) + `}`, `"/k69: is required"`},
	{"required names past 64, all present", `{"type":"object","required":[` + quotedNames(70) + `]}`, `{` + manyNames(70, false) + `}`, "ok"},
	{"pattern with \\u after a backslash, as kin-openapi rewrites it", `{"type":"object","properties":{"a":{"type":"string","pattern":"\\\\u0041"}}}`, `{"a":"\\u0041"}`, `"/a: is not in the expected format"`},
	{"pattern with \\u", `{"type":"object","properties":{"a":{"type":"string","pattern":"^\\u0041$"}}}`, `{"a":"A"}`, "ok"},
	{"int32 range of a fraction, truncated as kin-openapi does", `{"type":"object","properties":{"a":{"type":"integer","format":"int32"}}}`, `{"a":2147483647.5}`, `["/a: must be an integer"]`},
	{"int32 range of a fraction past it", `{"type":"object","properties":{"a":{"type":"integer","format":"int32"}}}`, `{"a":-2147483649.5}`, `"/a: must be a valid int32"`},
}

// quotedNames returns n names "k0","k1",….
func quotedNames(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = `"k` + strconv.Itoa(i) + `"`
	}
	return strings.Join(names, ",")
}

func TestFastPathMatchesKinOnSchemas(t *testing.T) {
	for _, tc := range schemaCases {
		t.Run(tc.name, func(t *testing.T) {
			fast, kin, err := schemaPair(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			if !compiled(fast) {
				t.Fatalf("the fast path does not compile %s", tc.schema)
			}
			a, b := verdict(fast, schemaPath, tc.body, nil), verdict(kin, schemaPath, tc.body, nil)
			if a != b {
				t.Errorf("%s with %s:\nfast %s\nkin  %s", tc.schema, tc.body, a, b)
			}
			if tc.want == "ok" && b != "ok" || tc.want != "ok" && !strings.Contains(b, tc.want) {
				t.Errorf("%s with %s: kin answers %s, want %s", tc.schema, tc.body, b, tc.want)
			}
		})
	}
}
