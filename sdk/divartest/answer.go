package divartest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/kenarkit/kenarkit/internal/validate"
)

// sampleAnswer is the fake's answer to an operation it plays no state
// for: a value of the operation's 200 response schema in Divar's
// description, every property set (an enum its first known value, an array
// one item, a date-time, an int64 as the string proto3 JSON makes of it),
// so that a client's parsing of every field is exercised.
func sampleAnswer(op *openapi3.Operation) any {
	r := op.Responses.Status(http.StatusOK)
	if r == nil || r.Value == nil {
		return struct{}{}
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return struct{}{}
	}
	return sample(mt.Schema, 0, false)
}

// sampleDepth bounds recursive schemas (a category's children, …).
const sampleDepth = 8

// sample returns a value of the schema; with requiredOnly, an object has
// only its required properties (the smallest request a schema accepts).
func sample(ref *openapi3.SchemaRef, depth int, requiredOnly bool) any {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	switch {
	case len(s.Enum) > 0:
		for _, v := range s.Enum {
			if str, ok := v.(string); !ok || !(strings.HasSuffix(str, "UNSPECIFIED") || strings.HasSuffix(str, "UNKNOWN")) {
				return v
			}
		}
		return s.Enum[0]
	case len(s.OneOf) > 0:
		return sample(s.OneOf[0], depth, requiredOnly)
	case len(s.AnyOf) > 0:
		return sample(s.AnyOf[0], depth, requiredOnly)
	case len(s.AllOf) > 0:
		out := map[string]any{}
		for _, part := range s.AllOf {
			if m, ok := sample(part, depth, requiredOnly).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		return out
	}
	switch {
	case s.Type.Is(openapi3.TypeObject) || len(s.Properties) > 0:
		out := map[string]any{}
		if depth >= sampleDepth {
			return out
		}
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if requiredOnly && !slices.Contains(s.Required, name) {
				continue
			}
			if v := sample(s.Properties[name], depth+1, requiredOnly); v != nil {
				out[name] = v
			}
		}
		return out
	case s.Type.Is(openapi3.TypeArray):
		if depth >= sampleDepth || s.Items == nil {
			return []any{}
		}
		return []any{sample(s.Items, depth+1, requiredOnly)}
	case s.Type.Is(openapi3.TypeInteger):
		return 1
	case s.Type.Is(openapi3.TypeNumber):
		return 1.5
	case s.Type.Is(openapi3.TypeBoolean):
		return true
	case s.Type.Is(openapi3.TypeString):
		switch s.Format {
		case "date-time":
			return "2024-10-20T13:12:06Z"
		case "int64", "uint64", "int32", "uint32":
			return "1"
		case "byte":
			return "ZGl2YXJ0ZXN0" // "divartest"
		}
		return "divartest"
	}
	return nil
}

// answerProblems validates the fake's own answer (status 200, body out)
// to req against the operation's responses in Divar's description: the
// fake must answer as Divar describes its answers, or a client's parser
// is tested against a shape Divar never sends.
func answerProblems(req *http.Request, route *routers.Route, params map[string]string, out []byte) []string {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  http.StatusOK,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(bytes.NewReader(out)),
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	}
	err := openapi3filter.ValidateResponse(context.Background(), in)
	if err == nil {
		return nil
	}
	var problems []string
	walk(err, func(se *openapi3.SchemaError) {
		problems = append(problems, pointer(se.JSONPointer())+" "+validate.Describe(se))
	})
	if len(problems) == 0 {
		problems = append(problems, err.Error())
	}
	return problems
}
