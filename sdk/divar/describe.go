package divar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	divardesc "github.com/kenarkit/kenarkit/api/divar"
	"github.com/kenarkit/kenarkit/internal/refusal"
	"github.com/kenarkit/kenarkit/internal/validate"
	"github.com/kenarkit/kenarkit/sdk"
)

// description is Divar's API description, loaded once: the pin
// (api/divar/openapi-v3.json) with kenarkit's overlay
// (api/divar/overlay.yaml) applied, as gen/divarapi is generated from it.
// Every rule a request is checked against before it is sent is there, each
// overlay action citing Divar's page: the widgets' and buttons' limits, the 3 x 3 button grid, a text
// or a media token but not both, the icon names of DivarIconsIconName,
// an action's data optional.
var description = sync.OnceValues(func() (routers.Router, error) {
	doc, err := divardesc.Description()
	if err != nil {
		return nil, fmt.Errorf("divar: loading Divar's description: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	return legacy.NewRouter(doc)
})

// operation finds the operation of Divar's description that method and
// path (the path after the base URL) name; nil when there is none.
func operation(method, path string) (*routers.Route, map[string]string) {
	router, err := description()
	if err != nil {
		return nil, nil
	}
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		return nil, nil
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return nil, nil
	}
	return route, params
}

// checkRequest refuses req, before it is sent, where Divar's description
// with kenarkit's overlay refuses it, naming each failing field by JSON
// pointer (never its value), and reports whether the operation needs a
// user's token (every security requirement has OAuth). base is the
// client's base URL path, stripped before routing. A request that matches
// no operation of the description (an operation Divar added after the pin)
// is not checked.
func checkRequest(req *http.Request, base string, body []byte) (needsUser bool, err error) {
	route, params := operation(req.Method, strings.TrimPrefix(req.URL.EscapedPath(), strings.TrimRight(base, "/")))
	if route == nil {
		return false, nil
	}
	return userRequired(route), validateRequest(req, base, body, route, params)
}

func validateRequest(req *http.Request, base string, body []byte, route *routers.Route, params map[string]string) error {
	r := req.Clone(context.Background())
	base = strings.TrimRight(base, "/")
	r.URL.Path, r.URL.RawPath = strings.TrimPrefix(r.URL.Path, base), strings.TrimPrefix(r.URL.RawPath, base)
	r.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	err := openapi3filter.ValidateRequest(context.Background(), in)
	if err == nil {
		return nil
	}
	var problems []string
	walkSchemaErrors(err, func(se *openapi3.SchemaError) {
		problems = append(problems, fieldPointer(se.JSONPointer())+": "+reason(se))
	})
	if len(problems) == 0 {
		var pe *openapi3filter.RequestError
		if errors.As(err, &pe) && pe.Parameter != nil {
			problems = append(problems, pe.Parameter.In+" parameter "+pe.Parameter.Name+": is invalid")
		} else {
			problems = append(problems, "the request does not match Divar's description of "+route.Operation.OperationID)
		}
	}
	sort.Strings(problems)
	errs := make([]error, 0, len(problems))
	for i, p := range problems {
		if i == 0 || p != problems[i-1] {
			errs = append(errs, &sdk.InvalidAnswerError{Detail: p})
		}
	}
	return errors.Join(errs...)
}

func walkSchemaErrors(err error, f func(*openapi3.SchemaError)) {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, x := range e {
			walkSchemaErrors(x, f)
		}
	case *openapi3.SchemaError:
		f(e)
	default:
		if u := errors.Unwrap(err); u != nil {
			walkSchemaErrors(u, f)
		}
	}
}

func fieldPointer(path []string) string {
	if len(path) == 0 {
		return "body"
	}
	return refusal.Pointer(path)
}

// reason words a schema error without the submitted value.
func reason(se *openapi3.SchemaError) string {
	switch se.SchemaField {
	case "enum":
		return "is not one of the values Divar's description lists"
	case "not":
		return "sets a combination of fields Divar refuses (for a message: a text or a media token, one of them)"
	}
	return validate.Describe(se)
}

// userRequired reports whether every security requirement of the
// route's operation has OAuth: the call needs a user's token.
func userRequired(route *routers.Route) bool {
	if route.Operation.Security == nil {
		return false
	}
	for _, req := range *route.Operation.Security {
		if _, ok := req["OAuth"]; !ok {
			return false
		}
	}
	return len(*route.Operation.Security) > 0
}
