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

// description is Divar's API description, loaded and compiled once: the
// pin (api/divar/openapi-v3.json) with kenarkit's overlay
// (api/divar/overlay.yaml) applied, as gen/divarapi is generated from it.
// Every rule a request is checked against before it is sent is there, each
// overlay action citing Divar's page: the widgets' and buttons' limits, the 3 x 3 button grid, a text
// or a media token but not both, the icon names of DivarIconsIconName,
// an action's data optional.
var description = sync.OnceValues(func() (*catalogue, error) {
	doc, err := divardesc.Description()
	if err != nil {
		return nil, fmt.Errorf("divar: loading Divar's description: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("divar: loading Divar's description: %w", err)
	}
	c := &catalogue{router: router, ops: map[string]*described{}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			c.ops[op.OperationID] = describeOperation(route)
		}
	}
	return c, nil
})

// catalogue is Divar's description as the client checks requests against
// it: its router, for a request of [Client.Do], and each operation by
// operationId, for the typed calls, which know theirs.
type catalogue struct {
	router routers.Router
	ops    map[string]*described
}

// described is one operation of the description, compiled.
type described struct {
	route     *routers.Route
	needsUser bool // every security requirement has OAuth
	// compiled: internal/validate's compiled engine checks the request:
	// its parameters are all in the path and strings of any value (what a
	// URL carries), and its body, if any, compiled (body). Else kin-openapi
	// checks it, as the server's validator does what it cannot compile.
	compiled     bool
	body         *validate.BodyCheck
	bodyRequired bool
	// pieces are the operation's path around its parameters, names the
	// parameters': /a/{x}/b is pieces "/a/", "/b" and names "x".
	pieces, names []string
}

func describeOperation(route *routers.Route) *described {
	op := route.Operation
	d := &described{route: route, needsUser: userRequired(route), compiled: true}
	rest := route.Path
	for {
		i, j := strings.IndexByte(rest, '{'), strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			d.pieces = append(d.pieces, rest)
			break
		}
		d.pieces, d.names = append(d.pieces, rest[:i]), append(d.names, rest[i+1:j])
		rest = rest[j+1:]
	}
	for _, ref := range append(append(openapi3.Parameters{}, route.PathItem.Parameters...), op.Parameters...) {
		p := ref.Value
		if p == nil || p.In != openapi3.ParameterInPath || p.Content != nil || p.Schema == nil || p.Schema.Value == nil || !plainString(p.Schema.Value) {
			d.compiled = false
		}
	}
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		d.bodyRequired = rb.Value.Required
		mt := rb.Value.Content.Get(jsonType)
		if mt == nil || len(rb.Value.Content) != 1 || mt.Schema == nil || mt.Schema.Value == nil {
			d.compiled = false
		} else if check, err := validate.CompileBody(mt.Schema.Value); err == nil {
			d.body = check
		} else {
			d.compiled = false
		}
	}
	return d
}

// plainString reports whether s is a string with no other constraint:
// every value of a path parameter passes it.
func plainString(s *openapi3.Schema) bool {
	rest := *s
	rest.Type = nil
	return s.Type.Is(openapi3.TypeString) && rest.IsEmpty() && rest.Default == nil
}

// operation finds the operation of Divar's description that method and
// path (the path after the base URL) name; nil when there is none.
func operation(method, path string) (*described, map[string]string) {
	c, err := description()
	if err != nil {
		return nil, nil
	}
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		return nil, nil
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, nil
	}
	return c.ops[route.Operation.OperationID], params
}

// operationByID is the operation of Divar's description with this
// operationId; nil when there is none.
func operationByID(id string) *described {
	c, err := description()
	if err != nil {
		return nil
	}
	return c.ops[id]
}

// checkRequest refuses req, before it is sent, where Divar's description
// with kenarkit's overlay refuses it, naming each failing field by JSON
// pointer (never its value), and reports whether the operation needs a
// user's token (every security requirement has OAuth). base is the
// client's base URL path, stripped before routing. A request that matches
// no operation of the description (an operation Divar added after the pin)
// is not checked.
func checkRequest(req *http.Request, base string, body []byte) (needsUser bool, err error) {
	d, params := operation(req.Method, strings.TrimPrefix(req.URL.EscapedPath(), strings.TrimRight(base, "/")))
	if d == nil {
		return false, nil
	}
	return d.needsUser, d.check(req, base, body, params)
}

// check refuses req where d's description refuses it: on the compiled
// engine when d is compiled and req's body is JSON, else with
// kin-openapi, given the path parameters (nil: routed again).
func (d *described) check(req *http.Request, base string, body []byte, params map[string]string) error {
	if !d.compiled || (len(body) > 0 && !isJSON(req.Header)) {
		if params == nil {
			var again *described
			if again, params = operation(req.Method, strings.TrimPrefix(req.URL.EscapedPath(), strings.TrimRight(base, "/"))); again != d {
				return refused([]string{"the request does not match Divar's description of " + d.route.Operation.OperationID})
			}
		}
		return validateRequest(req, base, body, d.route, params)
	}
	if len(body) == 0 {
		if d.bodyRequired {
			return refused([]string{"body: is required"})
		}
		return nil
	}
	if d.body == nil {
		return nil // no body described: kin-openapi does not look at it either
	}
	errs, err := d.body.Check(body)
	if err != nil {
		var p *validate.Problem
		if errors.As(err, &p) && len(p.Errors) > 0 {
			errs = p.Errors
		} else {
			return refused([]string{"body: is not one JSON object Divar can read"})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	problems := make([]string, len(errs))
	for i, e := range errs {
		problems[i] = fieldPointer(e.Pointer) + ": " + wording(e.Detail)
	}
	return refused(problems)
}

// wording is the client's text for a detail of the compiled engine.
// isJSON reports whether h's Content-Type is exactly jsonType, as
// h.Get("Content-Type") would, without canonicalizing a name that is.
func isJSON(h http.Header) bool {
	v := h["Content-Type"]
	return len(v) > 0 && v[0] == jsonType
}

func wording(detail string) string {
	switch detail {
	case validate.EnumDetail:
		return enumWording
	case validate.PresenceDetail:
		return notWording
	}
	return detail
}

const (
	enumWording = "is not one of the values Divar's description lists"
	notWording  = "sets a combination of fields Divar refuses (for a message: a text or a media token, one of them)"
)

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
		problems = append(problems, fieldPointer(refusal.Pointer(se.JSONPointer()))+": "+reason(se))
	})
	if len(problems) == 0 {
		var pe *openapi3filter.RequestError
		if errors.As(err, &pe) && pe.Parameter != nil {
			problems = append(problems, pe.Parameter.In+" parameter "+pe.Parameter.Name+": is invalid")
		} else {
			problems = append(problems, "the request does not match Divar's description of "+route.Operation.OperationID)
		}
	}
	return refused(problems)
}

// refused is the error of a request refused for problems, each once, in
// order.
func refused(problems []string) error {
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

// fieldPointer is a field's JSON pointer, "body" for the whole body.
func fieldPointer(pointer string) string {
	if pointer == "" {
		return "body"
	}
	return pointer
}

// reason words a schema error without the submitted value.
func reason(se *openapi3.SchemaError) string {
	switch se.SchemaField {
	case "enum":
		return enumWording
	case "not":
		return notWording
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
