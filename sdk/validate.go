package sdk

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
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// DefaultBodyLimit is the largest request body the server reads: 1 MiB.
const DefaultBodyLimit = 1 << 20

// DefaultMaxDepth is how deeply a request body's arrays and objects may nest.
const DefaultMaxDepth = 64

// ValidatorConfig configures [ValidatorWithConfig].
type ValidatorConfig struct {
	// Skipper skips validation for a request when it returns true.
	Skipper middleware.Skipper
	// Spec is the OpenAPI document requests are validated against, usually
	// the generated package's GetSpec(). Required.
	Spec *openapi3.T
	// BodyLimit is the largest body read, in bytes; DefaultBodyLimit if 0.
	BodyLimit int64
	// MaxDepth is how deeply arrays and objects may nest; DefaultMaxDepth if 0.
	MaxDepth int
}

// DefaultValidatorConfig is the configuration [Validator] starts from.
var DefaultValidatorConfig = ValidatorConfig{
	Skipper:   middleware.DefaultSkipper,
	BodyLimit: DefaultBodyLimit,
	MaxDepth:  DefaultMaxDepth,
}

// Validator returns a middleware that validates each request to an
// operation of spec before the handler sees it, and answers a [Problem]
// otherwise:
//
//   - 413 when the body is over 1 MiB, chunked or not;
//   - 415 when the body is not one of the operation's media types;
//   - 400 when the body is empty but required, is not JSON, has trailing
//     data, a duplicated member name, invalid UTF-8, nests over 64 levels,
//     or is not an object;
//   - 400 listing every field that breaks the schema, by JSON pointer, and
//     every invalid header, by name.
//
// Requests to routes that are not in spec pass through. It panics when spec
// is nil or invalid. Register the strict handlers on the same echo instance
// after it: validation finds the operation by echo's route path.
//
// Handlers then decode the body with [JSONSerializer], which matches member
// names exactly, so a "POST_TOKEN" member cannot stand in for "post_token".
func Validator(spec *openapi3.T) echo.MiddlewareFunc {
	cfg := DefaultValidatorConfig
	cfg.Spec = spec
	return ValidatorWithConfig(cfg)
}

// ValidatorWithConfig returns a [Validator] with the given configuration.
// It panics when cfg.Spec is nil or invalid.
func ValidatorWithConfig(cfg ValidatorConfig) echo.MiddlewareFunc {
	return newValidator(cfg).middleware
}

func (v *validator) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if v.skipper(c) {
			return next(c)
		}
		if op := v.ops[c.Request().Method+" "+c.Path()]; op != nil {
			return v.serve(c, op, next)
		}
		return next(c)
	}
}

// serve validates the request to op and, if it is valid, calls next with
// the body in memory; the body's buffer is recycled when next returns.
func (v *validator) serve(c echo.Context, op *operation, next echo.HandlerFunc) error {
	body, err := v.validate(c, op)
	if body != nil {
		defer body.release(c.Request())
	}
	if err != nil {
		return err
	}
	return next(c)
}

type validator struct {
	kinOnly   bool // validate with kin-openapi only (the differential test's reference)
	skipper   middleware.Skipper
	limit     int64
	maxDepth  int
	ops       map[string]*operation // "METHOD /echo/:path"
	filterOpt *openapi3filter.Options
}

// operation is what validation needs to know of one operation of the spec.
type operation struct {
	route        *routers.Route
	secured      bool     // the operation requires the identification key
	hasBody      bool     // the operation declares a request body
	bodyRequired bool     // … and requires it
	mediaTypes   []string // the body's media types, lower case
	fast         *fastOp  // the compiled validator; nil: kin-openapi validates
}

func newValidator(cfg ValidatorConfig) *validator {
	if cfg.Spec == nil {
		panic("sdk: Validator needs a Spec (the generated package's GetSpec())")
	}
	if err := cfg.Spec.Validate(context.Background()); err != nil {
		panic(fmt.Sprintf("sdk: Validator: the spec is invalid: %v", err))
	}
	v := &validator{
		skipper:  cfg.Skipper,
		limit:    cfg.BodyLimit,
		maxDepth: cfg.MaxDepth,
		ops:      operations(cfg.Spec),
		filterOpt: &openapi3filter.Options{
			MultiError: true,
			// The identification key is checked by KeyAuth, before the body
			// is read; kin-openapi only validates the request's shape.
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
	}
	if v.skipper == nil {
		v.skipper = middleware.DefaultSkipper
	}
	if v.limit <= 0 {
		v.limit = DefaultBodyLimit
	}
	if v.maxDepth <= 0 {
		v.maxDepth = DefaultMaxDepth
	}
	return v
}

// operations indexes spec's operations by "METHOD route", where route is
// the path as echo writes it (/posts/:token for /posts/{token}).
func operations(spec *openapi3.T) map[string]*operation {
	ops := map[string]*operation{}
	if spec.Paths == nil {
		return ops
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			o := &operation{
				route: &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op},
			}
			security := spec.Security
			if op.Security != nil {
				security = *op.Security
			}
			o.secured = len(security) > 0
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				o.hasBody = true
				o.bodyRequired = op.RequestBody.Value.Required
				for mt := range op.RequestBody.Value.Content {
					o.mediaTypes = append(o.mediaTypes, strings.ToLower(mt))
				}
			}
			o.fast = compileOperation(op, item)
			ops[method+" "+echoPath(path)] = o
		}
	}
	return ops
}

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
	if op.fast != nil && !v.kinOnly {
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
// returns the body it read, if any, even with an error.
func (v *validator) readBody(req *http.Request, op *operation) (*validBody, error) {
	if req.ContentLength > v.limit {
		return nil, tooLarge(v.limit)
	}
	if req.ContentLength != 0 || req.Header.Get(echo.HeaderContentType) != "" {
		if err := checkMediaType(req.Header.Get(echo.HeaderContentType), op.mediaTypes); err != nil {
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
			bodyErrs, err := validateBody(body.buf, op.fast.body, v.maxDepth)
			if err != nil {
				return body, err
			}
			body.checked = true
			errs = append(errs, bodyErrs...)
		}
		req.Body = body
	}
	if len(errs) > 0 {
		p := NewProblem(http.StatusBadRequest, "the request is invalid")
		p.Errors = errs
		return body, p
	}
	return body, nil
}

func tooLarge(limit int64) error {
	return NewProblem(http.StatusRequestEntityTooLarge,
		"the request body is larger than "+strconv.FormatInt(limit, 10)+" bytes")
}

func badRequest(pointer, detail string) error {
	p := NewProblem(http.StatusBadRequest, "the request is invalid")
	p.Errors = []FieldError{{Pointer: pointer, Detail: detail}}
	if pointer == "" {
		p.Detail, p.Errors = detail, nil
	}
	return p
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

func syntaxProblem(err error) error {
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

// truncatePointer keeps a JSON pointer short: its segments are names sent
// by the client, and a problem must not echo a megabyte back.
func truncatePointer(p string) string {
	const max = 256
	if len(p) <= max {
		return p
	}
	cut := max
	for cut > 0 && p[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return p[:cut] + "…"
}

// requestProblem turns kin-openapi's errors into one 400 Problem listing
// every failing field. The texts are kenarkit's own: kin-openapi's can
// include the schema.
func requestProblem(err error) error {
	p := NewProblem(http.StatusBadRequest, "the request is invalid")
	p.Errors = appendFieldErrors(nil, err, "")
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

// pointer renders path as an RFC 6901 JSON pointer.
func pointer(path []string) string {
	var b strings.Builder
	for _, seg := range path {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(seg))
	}
	return truncatePointer(b.String())
}

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
