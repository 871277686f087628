package validate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/kenarkit/kenarkit/internal/refusal"
	"github.com/labstack/echo/v4"
)

// DefaultBodyLimit is the largest request body the server reads: 1 MiB.
const DefaultBodyLimit = 1 << 20

// DefaultMaxDepth is how deeply a request body's arrays and objects may nest.
const DefaultMaxDepth = 64

// ValidatorConfig configures [Compile].
type ValidatorConfig struct {
	// Spec is the OpenAPI document requests are validated against.
	// Required.
	Spec *openapi3.T
	// BodyLimit is the largest body read, in bytes; DefaultBodyLimit if 0.
	BodyLimit int64
	// MaxDepth is how deeply arrays and objects may nest; DefaultMaxDepth if 0.
	MaxDepth int
}

// Validator validates requests to the operations of one spec: the media
// type, the size and syntax of the body, the headers and the schema, on
// the compiled fast path where the operation allows it and with
// kin-openapi otherwise. It is safe for concurrent use.
type Validator = validator

// Operation is one operation of the spec, as the validator knows it.
type Operation = operation

// Secured reports whether the operation requires the identification key.
func (o *Operation) Secured() bool { return o.secured }

// Webhook reports whether the operation is marked x-kenarkit-webhook.
func (o *Operation) Webhook() bool { return o.webhook }

// ID returns the operation's operationId.
func (o *Operation) ID() string { return o.id }

// Compile validates cfg.Spec (once) and compiles its operations.
func Compile(cfg ValidatorConfig) (*Validator, error) { return compileValidator(cfg) }

// Lookup returns the operation at method and path (the spec's path in
// echo's form, /a/:b), or nil.
func (v *validator) Lookup(method, path string) *Operation { return v.ops[method+" "+path] }

// Validate validates the request c to op. It returns the body it read, if
// any, even with an error: the caller releases it once the request is
// over. The request's Body is then that *Body, which decodes itself.
func (v *validator) Validate(c echo.Context, op *Operation) (*Body, error) { return v.validate(c, op) }

type validator struct {
	limit     int64
	maxDepth  int
	ops       map[string]*operation // "METHOD /echo/:path"
	filterOpt *openapi3filter.Options
}

// operation is what validation needs to know of one operation of the spec.
type operation struct {
	id string // operationId
	// route is the operation for kin-openapi, when it validates it (fast is
	// nil); else nil, so that the server, once compiled, keeps nothing of
	// the spec's document (docs/BENCHMARKS.md, the live heap).
	route        *routers.Route
	secured      bool     // the operation requires the identification key
	hasBody      bool     // the operation declares a request body
	bodyRequired bool     // … and requires it
	mediaTypes   []string // the body's media types, lower case
	fast         *fastOp  // the compiled validator; nil: kin-openapi validates
	// webhook: the operation is marked x-kenarkit-webhook (Divar's event
	// webhook): a body that breaks the schema is delivered with a warning,
	// never refused, because Divar does not deliver a refused event again.
	webhook bool
}

func newValidator(cfg ValidatorConfig) *validator {
	v, err := compileValidator(cfg)
	if err != nil {
		panic(err.Error())
	}
	return v
}

// compileValidator validates cfg.Spec (once) and compiles its operations.
func compileValidator(cfg ValidatorConfig) (*validator, error) {
	if cfg.Spec == nil {
		return nil, errors.New("sdk: Validator needs a Spec (the generated package's GetSpec())")
	}
	if err := cfg.Spec.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("sdk: the spec is invalid: %w", err)
	}
	v := &validator{
		limit:    cfg.BodyLimit,
		maxDepth: cfg.MaxDepth,
		ops:      operations(cfg.Spec),
		filterOpt: &openapi3filter.Options{
			MultiError: true,
			// The identification key is checked by the server, before the body
			// is read; kin-openapi only validates the request's shape.
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
	}
	if v.limit <= 0 {
		v.limit = DefaultBodyLimit
	}
	if v.maxDepth <= 0 {
		v.maxDepth = DefaultMaxDepth
	}
	return v, nil
}

// operations indexes spec's operations by "METHOD route", where route is
// the path as echo writes it (/posts/:token for /posts/{token}).
func operations(spec *openapi3.T) map[string]*operation {
	ops := map[string]*operation{}
	if spec.Paths == nil {
		return ops
	}
	pats := patterns{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			o := &operation{id: op.OperationID}
			security := spec.Security
			if op.Security != nil {
				security = *op.Security
			}
			o.secured = len(security) > 0
			o.webhook = op.Extensions["x-kenarkit-webhook"] == true
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				o.hasBody = true
				o.bodyRequired = op.RequestBody.Value.Required
				for mt := range op.RequestBody.Value.Content {
					o.mediaTypes = append(o.mediaTypes, strings.ToLower(mt))
				}
			}
			if o.fast = compileOperation(op, item, pats); o.fast == nil {
				o.route = &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op}
			}
			ops[method+" "+echoPath(path)] = o
		}
	}
	return ops
}

// EchoPath turns /a/{b}/c into echo's /a/:b/c.
func EchoPath(path string) string { return echoPath(path) }

// echoPath turns /a/{b}/c into echo's /a/:b/c.
func echoPath(path string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		j := strings.IndexByte(path, '}')
		if i < 0 || j < i {
			b.WriteString(path)
			return b.String()
		}
		b.WriteString(path[:i] + ":" + path[i+1:j])
		path = path[j+1:]
	}
}

// validate validates the request to op. It returns the body it read, if
// any, even with an error: the caller releases it.
func (v *validator) validate(c echo.Context, op *operation) (*validBody, error) {
	if op.fast != nil {
		return v.validateFast(c, op)
	}
	req := c.Request()
	var body *validBody
	if op.hasBody {
		var err error
		if body, err = v.readBody(req, op); err != nil {
			return body, err
		}
		if isJSONMediaType(req.Header.Get(echo.HeaderContentType)) && len(body.buf) > 0 {
			if err := checkJSON(body.buf, v.maxDepth); err != nil {
				return body, err
			}
			body.checked = true
		}
		req.Body = body
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: pathParams(c),
		Route:      op.route,
		Options:    v.filterOpt,
	}
	err := openapi3filter.ValidateRequest(req.Context(), input)
	if op.hasBody {
		body.rewind()
		req.Body = body
	}
	if err != nil {
		return body, requestProblem(err)
	}
	return body, nil
}

func pathParams(c echo.Context) map[string]string {
	names := c.ParamNames()
	if len(names) == 0 {
		return nil
	}
	params := make(map[string]string, len(names))
	for i, n := range names {
		params[n] = c.ParamValues()[i]
	}
	return params
}

// readBody checks the media type and reads at most the limit, in that
// order, so that nothing is read from a request that is refused anyway. It
// returns the body it read, if any, even with an error. A body over the
// limit is refused (413) with the rest of it unread: the server answers
// first, then drains it.
func (v *validator) readBody(req *http.Request, op *operation) (*validBody, error) {
	if req.ContentLength > v.limit {
		return nil, tooLarge(v.limit)
	}
	if ct := contentType(req.Header); req.ContentLength != 0 || ct != "" {
		if err := checkMediaType(ct, op.mediaTypes); err != nil {
			return nil, err
		}
	}
	body := newBody()
	if err := body.readFrom(req.Body, req.ContentLength, v.limit); err != nil {
		return body, badRequest("", "the request body could not be read")
	}
	if int64(len(body.buf)) > v.limit {
		return body, tooLarge(v.limit)
	}
	if len(body.buf) == 0 && op.bodyRequired {
		return body, badRequest("", "a JSON body is required")
	}
	return body, nil
}

// validateFast is validate on the compiled path: the headers, then the
// body's syntax and schema in one pass.
func (v *validator) validateFast(c echo.Context, op *operation) (*validBody, error) {
	req := c.Request()
	errs := op.fast.validateHeaders(req.Header)
	var body *validBody
	if op.hasBody {
		var err error
		if body, err = v.readBody(req, op); err != nil {
			return body, err
		}
		if len(body.buf) > 0 {
			bodyErrs, indexed, err := validateBody(body.buf, op.fast.body, v.maxDepth, &body.index)
			if err != nil {
				return body, err
			}
			body.checked, body.indexed = true, indexed
			errs = append(errs, bodyErrs...)
		}
		req.Body = body
	}
	if len(errs) > 0 {
		p := NewProblem(http.StatusBadRequest, "the request is invalid")
		p.Errors, p.schema = errs, true
		return body, p
	}
	return body, nil
}

func tooLarge(limit int64) *Problem {
	return NewProblem(http.StatusRequestEntityTooLarge,
		"the request body is larger than "+strconv.FormatInt(limit, 10)+" bytes")
}

func badRequest(pointer, detail string) *Problem {
	p := NewProblem(http.StatusBadRequest, "the request is invalid")
	p.Errors = []FieldError{{Pointer: pointer, Detail: detail}}
	if pointer == "" {
		p.Detail, p.Errors = detail, nil
	}
	return p
}

// contentType is h.Get("Content-Type"), without canonicalizing the key,
// which is canonical already.
func contentType(h http.Header) string {
	if v := h[echo.HeaderContentType]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// checkMediaType accepts a Content-Type whose media type is one of allowed
// (parameters aside) and whose charset, if any, is UTF-8.
func checkMediaType(contentType string, allowed []string) error {
	if contentType == "application/json" && slices.Contains(allowed, contentType) {
		return nil // what Divar sends, without parsing
	}
	unsupported := func() error {
		return NewProblem(http.StatusUnsupportedMediaType,
			"the request body must be "+strings.Join(allowed, " or ")+" (UTF-8)")
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return unsupported()
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return unsupported()
	}
	if slices.Contains(allowed, mt) {
		return nil
	}
	return unsupported()
}

func isJSONMediaType(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// checkJSON accepts exactly one JSON object with no duplicated member name,
// no invalid UTF-8 and no nesting deeper than maxDepth.
func checkJSON(body []byte, maxDepth int) error {
	d := jsontext.NewDecoder(bytes.NewReader(body))
	if k := d.PeekKind(); k != '{' {
		if k == 0 {
			return badRequest("", "the request body is not valid JSON")
		}
		return badRequest("", "the request body must be a JSON object")
	}
	for {
		_, err := d.ReadToken()
		if err != nil {
			return syntaxProblem(err)
		}
		if d.StackDepth() > maxDepth {
			return badRequest(truncatePointer(string(d.StackPointer())),
				"arrays and objects nest more than "+strconv.Itoa(maxDepth)+" levels deep")
		}
		if d.StackDepth() == 0 {
			break
		}
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return badRequest("", "the request body has data after the JSON object")
	}
	return nil
}

func syntaxProblem(err error) *Problem {
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		pointer := truncatePointer(string(se.JSONPointer))
		switch {
		case errors.Is(err, jsontext.ErrDuplicateName):
			return badRequest(pointer, "this member name appears more than once")
		case strings.Contains(se.Error(), "invalid UTF-8"):
			return badRequest(pointer, "the request body is not valid UTF-8")
		}
		if pointer != "" {
			return badRequest(pointer, "the request body is not valid JSON here")
		}
	}
	return badRequest("", "the request body is not valid JSON")
}

// truncatePointer keeps a JSON pointer short (refusal.TruncatePointer).
func truncatePointer(p string) string { return refusal.TruncatePointer(p) }

// requestProblem turns kin-openapi's errors into one 400 Problem listing
// every failing field. The texts are kenarkit's own: kin-openapi's can
// include the schema.
func requestProblem(err error) *Problem {
	p := NewProblem(http.StatusBadRequest, "the request is invalid")
	p.Errors, p.schema = appendFieldErrors(nil, err, ""), true
	if len(p.Errors) == 0 {
		p.Errors = []FieldError{{Detail: "the request does not match the API"}}
	}
	return p
}

func appendFieldErrors(out []FieldError, err error, header string) []FieldError {
	// Walk the tree by type, outermost first: kin-openapi's MultiError
	// answers errors.As for any of its elements, which would skip the
	// RequestError that names a failing header.
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, x := range e {
			out = appendFieldErrors(out, x, header)
		}
		return out
	case *openapi3filter.RequestError:
		if e.Parameter != nil {
			header = e.Parameter.Name
		}
		if e.Err == nil {
			return append(out, FieldError{Header: header, Detail: "is invalid"})
		}
		return appendFieldErrors(out, e.Err, header)
	case *openapi3.SchemaError:
		fe := FieldError{Detail: describe(e)}
		if header != "" {
			fe.Header = header
		} else {
			fe.Pointer = pointer(e.JSONPointer())
		}
		return append(out, fe)
	}
	if u := errors.Unwrap(err); u != nil {
		return appendFieldErrors(out, u, header)
	}
	if header != "" {
		return append(out, FieldError{Header: header, Detail: "is invalid"})
	}
	return append(out, FieldError{Detail: "the request body is invalid"})
}

// pointer renders path as an RFC 6901 JSON pointer (refusal.Pointer).
func pointer(path []string) string { return refusal.Pointer(path) }

// Describe says what is wrong with a field, from the schema keyword that
// failed, never with the submitted value.
func Describe(se *openapi3.SchemaError) string { return describe(se) }

// describe says what is wrong with a field, from the schema keyword that
// failed, never with the submitted value.
func describe(se *openapi3.SchemaError) string {
	s := se.Schema
	if s == nil {
		s = &openapi3.Schema{}
	}
	switch se.SchemaField {
	case "type":
		return "must be " + typeName(s)
	case "nullable":
		return "must not be null"
	case "maxLength":
		return "must have at most " + uintText(s.MaxLength) + " characters"
	case "minLength":
		return "must have at least " + strconv.FormatUint(s.MinLength, 10) + " characters"
	case "pattern":
		return "is not in the expected format"
	case "format":
		return "must be a valid " + s.Format
	case "enum":
		return "must be one of the documented values"
	case "required":
		return "is required"
	case "additionalProperties", "properties":
		return "has a member that is not allowed"
	case "maxProperties":
		return "must have at most " + uintText(s.MaxProps) + " members"
	case "minProperties":
		return "must have at least " + strconv.FormatUint(s.MinProps, 10) + " members"
	case "maxItems":
		return "must have at most " + uintText(s.MaxItems) + " items"
	case "minItems":
		return "must have at least " + strconv.FormatUint(s.MinItems, 10) + " items"
	case "uniqueItems":
		return "must not repeat items"
	case "maximum", "exclusiveMaximum":
		return "is too large"
	case "minimum", "exclusiveMinimum":
		return "is too small"
	case "multipleOf":
		return "is not a multiple of the allowed step"
	}
	return "is invalid"
}

func uintText(p *uint64) string {
	if p == nil {
		return "?"
	}
	return strconv.FormatUint(*p, 10)
}

func typeName(s *openapi3.Schema) string {
	var name string
	switch {
	case s.Type.Is("string"):
		name = "a string"
	case s.Type.Is("integer"):
		name = "an integer"
	case s.Type.Is("number"):
		name = "a number"
	case s.Type.Is("boolean"):
		name = "a boolean"
	case s.Type.Is("array"):
		name = "an array"
	case s.Type.Is("object"):
		name = "an object"
	default:
		return "of the documented type"
	}
	if s.Nullable {
		return name + " or null"
	}
	return name
}
