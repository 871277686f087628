package divartest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	pointers "github.com/kenarkit/kenarkit/internal/refusal"

	"github.com/kenarkit/kenarkit/internal/validate"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/kenarkit/kenarkit/sdk"
)

// Deadline is how long Divar's policy lets an add-on take on the user's
// click path (the callbacks): p99 under 2 s. An event webhook is held to
// [EventDeadline].
const Deadline = 2 * time.Second

// EventDeadline is how long an event webhook may take: Divar's standards
// count a failure as 5 s, and the server's EventTimeout is the same.
const EventDeadline = server.DefaultEventTimeout

// Response is an add-on's answer to a [Request].
type Response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Elapsed time.Duration // from sending the request to reading the whole answer
}

// ErrRejected is wrapped by every verdict that Divar would not accept the
// answer.
var ErrRejected = errors.New("Divar would reject the answer")

// Checker checks answers against an OpenAPI document. Make one with
// [NewChecker]; it is safe for concurrent use.
type Checker struct {
	router   routers.Router
	Deadline time.Duration // Deadline (EventDeadline for events) if 0
}

// NewChecker returns a Checker for the document spec returns: pass the
// generated package's GetSpec.
func NewChecker(spec func() (*openapi3.T, error)) (*Checker, error) {
	doc, err := spec()
	if err != nil {
		return nil, fmt.Errorf("divartest: loading the spec: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}} // any host
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("divartest: the spec: %w", err)
	}
	return &Checker{router: router}, nil
}

// Check returns nil when Divar would accept resp as the answer to r, and
// otherwise an error wrapping [ErrRejected] that lists every reason, each
// saying what Divar would do with it.
func (c *Checker) Check(r *Request, resp *Response) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	call := "POST " + r.path

	deadline, event := c.Deadline, r.kind == KindEvent
	if deadline <= 0 {
		deadline = Deadline
		if event {
			deadline = EventDeadline
		}
	}
	if resp.Elapsed > deadline {
		if event {
			add("answered after %v; Divar counts an event slower than %v as not delivered", resp.Elapsed.Round(time.Millisecond), deadline)
		} else {
			add("answered after %v; Divar gives up after %v and the user sees an error", resp.Elapsed.Round(time.Millisecond), deadline)
		}
	}
	if resp.Status != http.StatusOK {
		detail := ""
		var p sdk.Problem
		if json.Unmarshal(resp.Body, &p) == nil && p.Status != 0 {
			detail = " (" + p.Error() + ")"
		}
		switch {
		case !event:
			add("answered %d, not 200%s; Divar shows the user an error", resp.Status, detail)
		case resp.Status >= 500 || resp.Status == http.StatusConflict:
			add("answered %d, not 200%s; Divar does not count the event as delivered and sends it again later", resp.Status, detail)
		default:
			add("answered %d, not 200%s; Divar does not deliver a refused event again: it is lost", resp.Status, detail)
		}
		return rejected(call, problems)
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		add("answered Content-Type %q, not application/json; Divar does not read the answer", ct)
	}
	if err := oneJSONValue(resp.Body); err != nil {
		add("the answer is not one JSON value (%v); Divar cannot read it", err)
		return rejected(call, problems)
	}
	for _, e := range c.schemaErrors(r, resp) {
		add("%s", e)
	}
	if err := validateAnswer(r.kind, resp.Body); err != nil {
		for _, d := range answerDetails(err) {
			add("%s", d)
		}
	}
	return rejected(call, dedupe(problems))
}

func rejected(call string, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s: %s", ErrRejected, call, strings.Join(problems, "; "))
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// oneJSONValue accepts exactly one JSON value, strictly (no duplicate
// names, valid UTF-8), and nothing after it.
func oneJSONValue(b []byte) error {
	d := jsontext.NewDecoder(bytes.NewReader(b))
	if _, err := d.ReadValue(); err != nil {
		return err
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// validateAnswer runs the sdk's own checks of an answer: the ones with the
// clearest words (one action kind, absolute http(s) URLs).
func validateAnswer(kind Kind, body []byte) error {
	switch kind {
	case KindOpenServerLink:
		var a sdk.OpenServerLinkResponse
		if err := json.Unmarshal(body, &a); err != nil {
			return nil // the schema check says what is wrong
		}
		return a.Validate()
	case KindDynamicAction:
		var a sdk.DynamicActionResponse
		if err := json.Unmarshal(body, &a); err != nil {
			return nil
		}
		return a.Validate()
	}
	return nil
}

// schemaErrors validates the answer against the spec's response for the
// operation of the call's kind, wherever the add-on serves it
// (Request.Path).
func (c *Checker) schemaErrors(r *Request, resp *Response) []string {
	req := r.HTTPRequest("")
	req.URL.Path = r.kind.path()
	return c.responseErrors(req, resp, "Divar's schema refuses it")
}

// responseErrors validates resp against the spec's responses for the
// operation req was sent to: a status the operation declares, its media
// type and its schema. why ends each schema error.
func (c *Checker) responseErrors(req *http.Request, resp *Response, why string) []string {
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return []string{"the spec has no operation " + req.Method + " " + req.URL.Path}
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  resp.Status,
		Header:  resp.Header,
		Body:    io.NopCloser(bytes.NewReader(resp.Body)),
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	}
	err = openapi3filter.ValidateResponse(context.Background(), in)
	if err == nil {
		return nil
	}
	var out []string
	walk(err, func(se *openapi3.SchemaError) {
		out = append(out, fmt.Sprintf("answer %s %s; %s", pointer(se.JSONPointer()), reason(se), why))
	})
	if len(out) == 0 {
		// Not the schema: an undeclared status or media type. kin-openapi's
		// words name the status and the media type, no value of the body.
		out = append(out, "the answer does not match the spec's responses: "+err.Error())
	}
	return out
}

func walk(err error, f func(*openapi3.SchemaError)) {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, x := range e {
			walk(x, f)
		}
	case *openapi3.SchemaError:
		f(e)
	default:
		if u := errors.Unwrap(err); u != nil {
			walk(u, f)
		}
	}
}

func pointer(path []string) string {
	if len(path) == 0 {
		return "body"
	}
	return pointers.Pointer(path)
}

// reason words a schema error without the value, as the server words a
// request's, with Divar's reading of the answer schema's two constraints
// that stand for a rule.
func reason(se *openapi3.SchemaError) string {
	switch se.SchemaField {
	case "pattern":
		return "is not an absolute http(s) URL"
	case "maxProperties", "minProperties":
		return "must set exactly one action kind"
	}
	return validate.Describe(se)
}

// Serve sends r to h in-process and returns the answer.
func Serve(h http.Handler, r *Request) *Response {
	w := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(w, r.HTTPRequest(""))
	return &Response{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes(), Elapsed: time.Since(start)}
}

// Send sends r to the add-on at baseURL (scheme, host and port, no path)
// with client (http.DefaultClient if nil) and returns the answer. Errors
// say whether the add-on could not be reached or did not answer in time.
func Send(ctx context.Context, client *http.Client, baseURL string, r *Request) (*Response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req := r.HTTPRequest(strings.TrimRight(baseURL, "/")).WithContext(ctx)
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return nil, describeSendError(err, baseURL)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, describeSendError(err, baseURL)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: body, Elapsed: time.Since(start)}, nil
}

func describeSendError(err error, baseURL string) error {
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &timeout) && timeout.Timeout()):
		return fmt.Errorf("divartest: %s did not answer in time; Divar gives up and the user sees an error: %w", baseURL, err)
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("divartest: cannot reach %s (is the add-on running?): %w", baseURL, err)
}
