package divar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
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
// an action's data optional. What is compiled keeps nothing of the
// document (several MB as openapi3.T): kin-openapi's routes are loaded
// again, by kinRoutes, only when a request needs them.
var description = sync.OnceValues(func() (*catalogue, error) { return loadCatalogue(divardesc.Description) })

// loadCatalogue compiles the description load returns.
func loadCatalogue(load func() (*openapi3.T, error)) (*catalogue, error) {
	doc, err := load()
	if err != nil {
		return nil, fmt.Errorf("divar: loading Divar's description: %w", err)
	}
	c := &catalogue{ops: map[string]*described{}, byMethod: map[string][]*described{}}
	var bodies validate.BodyCompiler // an enum many operations repeat, compiled once
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if _, ok := c.ops[op.OperationID]; ok || op.OperationID == "" {
				return nil, fmt.Errorf("divar: loading Divar's description: %s %s: an operationId empty or not unique (%q)", method, path, op.OperationID)
			}
			d, err := describeOperation(method, path, item, op, &bodies)
			if err != nil {
				return nil, fmt.Errorf("divar: loading Divar's description: %w", err)
			}
			c.ops[op.OperationID] = d
			c.byMethod[method] = append(c.byMethod[method], d)
		}
	}
	for _, ds := range c.byMethod {
		// As kin-openapi's router, which walks its tree literal segments
		// first: where two paths part, the one with a literal segment
		// there comes first.
		sort.Slice(ds, func(i, j int) bool { return literalFirst(ds[i].path, ds[j].path) })
	}
	return c, nil
}

// kinRoutes are the operations of Divar's description as kin-openapi
// validates them, by operationId: loaded the first time a request needs
// them (an operation the compiled engine does not check, or a body that
// is not JSON), and kept from then on.
var kinRoutes = sync.OnceValues(func() (map[string]*routers.Route, error) {
	doc, err := divardesc.Description()
	if err != nil {
		return nil, fmt.Errorf("divar: loading Divar's description: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	routes := map[string]*routers.Route{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			routes[op.OperationID] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
		}
	}
	return routes, nil
})

// catalogue is Divar's description as the client checks requests against
// it: each operation by operationId, for the typed calls, which know
// theirs, and by method, for a request of [Client.Do], routed by its path.
type catalogue struct {
	ops      map[string]*described
	byMethod map[string][]*described // most literal path first
}

// described is one operation of the description, compiled.
type described struct {
	id, method, path string // operationId, method, path template
	needsUser        bool   // every security requirement has OAuth
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

func describeOperation(method, path string, item *openapi3.PathItem, op *openapi3.Operation, bodies *validate.BodyCompiler) (*described, error) {
	d := &described{id: op.OperationID, method: method, path: path, needsUser: userRequired(op), compiled: true}
	rest := path
	for {
		i, j := strings.IndexByte(rest, '{'), strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			d.pieces = append(d.pieces, rest)
			break
		}
		d.pieces, d.names = append(d.pieces, rest[:i]), append(d.names, rest[i+1:j])
		rest = rest[j+1:]
	}
	for i := 1; i < len(d.pieces); i++ {
		// Each parameter a whole segment: what match and newRequest assume.
		if !strings.HasSuffix(d.pieces[i-1], "/") || (d.pieces[i] != "" && d.pieces[i][0] != '/') {
			return nil, fmt.Errorf("%s %s: a path parameter that is not a whole segment", method, path)
		}
	}
	for _, ref := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
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
		} else if check, err := bodies.Compile(mt.Schema.Value); err == nil {
			d.body = check
		} else {
			d.compiled = false
		}
	}
	return d, nil
}

// literalFirst orders two path templates segment by segment: at the
// first segment where they differ, a literal one before a parameter, else
// in byte order.
func literalFirst(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		if ap, bp := strings.HasPrefix(as[i], "{"), strings.HasPrefix(bs[i], "{"); ap != bp {
			return bp
		}
		return as[i] < bs[i]
	}
	return len(as) > len(bs)
}

// match returns the values of d's parameters in path (escaped, as
// url.URL's EscapedPath: an escaped '/' is part of a value), still
// escaped, and whether path is d's: each parameter one whole segment,
// perhaps empty, as kin-openapi's router matches it (its values are what
// kin-openapi validates).
func (d *described) match(path string) ([]string, bool) {
	rest, ok := strings.CutPrefix(path, d.pieces[0])
	if !ok {
		return nil, false
	}
	var values []string
	for _, piece := range d.pieces[1:] {
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		values = append(values, rest[:end])
		if rest, ok = strings.CutPrefix(rest[end:], piece); !ok {
			return nil, false
		}
	}
	return values, rest == ""
}

// kinRoute is d's route for kin-openapi (kinRoutes).
func (d *described) kinRoute() (*routers.Route, error) {
	routes, err := kinRoutes()
	if err != nil {
		return nil, err
	}
	if r := routes[d.id]; r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("divar: %s is not in Divar's description", d.id)
}

// plainString reports whether s is a string with no other constraint:
// every value of a path parameter passes it.
func plainString(s *openapi3.Schema) bool {
	rest := *s
	rest.Type = nil
	return s.Type.Is(openapi3.TypeString) && rest.IsEmpty() && rest.Default == nil
}

// operation finds the operation of Divar's description that method and
// path (the path after the base URL, escaped) name, and the values of its
// path parameters, escaped, as kin-openapi's router found them; nil when
// there is none (TestRoutedAsKinOpenAPIRoutes).
func operation(method, path string) (*described, map[string]string) {
	c, err := description()
	if err != nil {
		return nil, nil
	}
	return c.route(method, path)
}

// route is operation on c.
func (c *catalogue) route(method, path string) (*described, map[string]string) {
	u, err := url.Parse(path)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return nil, nil // "//x/v1/…" is a path on host x: no operation's, as kin-openapi's router says
	}
	if method == "" {
		method = http.MethodGet // as http.NewRequest, which kin-openapi's router was given
	}
	// As kin-openapi's router: a path's trailing slashes are not part of
	// it, unless only a path with one of them, its last parameter empty,
	// is an operation's. (That router also takes /p, or /p/, for
	// /p/{x}/{y} with both empty; no path of Divar's description ends in
	// two parameters, and TestRoutedAsKinOpenAPIRoutes would tell.)
	trimmed := strings.TrimRight(u.EscapedPath(), "/")
	ds := c.byMethod[method]
	for _, p := range [...]string{trimmed, trimmed + "/"} {
		for _, d := range ds {
			if values, ok := d.match(p); ok {
				params := make(map[string]string, len(values))
				for i, v := range values {
					params[d.names[i]] = v
				}
				return d, params
			}
		}
	}
	return nil, nil
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
				return refused([]string{"the request does not match Divar's description of " + d.id})
			}
		}
		route, err := d.kinRoute()
		if err != nil {
			return err
		}
		return validateRequest(req, base, body, route, params)
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
// operation has OAuth: the call needs a user's token.
func userRequired(op *openapi3.Operation) bool {
	if op.Security == nil {
		return false
	}
	for _, req := range *op.Security {
		if _, ok := req["OAuth"]; !ok {
			return false
		}
	}
	return len(*op.Security) > 0
}
