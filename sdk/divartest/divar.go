package divartest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/labstack/echo/v4"
)

// Divar sends Divar's calls to one add-on in a test and fails the test when
// an answer is one Divar would reject. Make one with [New] (an
// http.Handler, served in-process) or [Dial] (a running add-on's URL).
type Divar struct {
	tb      testing.TB
	checker *Checker
	handler http.Handler
	baseURL string
	client  *http.Client
	// reported: the answers the ValidateResponses of [Start] has reported
	// a failure of already.
	reported *reports
}

// New returns a Divar calling h in-process and checking answers against
// the document spec returns (the add-on's generated GetSpec).
func New(tb testing.TB, spec func() (*openapi3.T, error), h http.Handler) *Divar {
	tb.Helper()
	c, err := NewChecker(spec)
	if err != nil {
		tb.Fatal(err)
	}
	return &Divar{tb: tb, checker: c, handler: h}
}

// Dial returns a Divar calling the add-on at baseURL over HTTP, with a
// client that gives up after the deadline, as Divar does.
func Dial(tb testing.TB, spec func() (*openapi3.T, error), baseURL string) *Divar {
	tb.Helper()
	d := New(tb, spec, nil)
	d.baseURL = baseURL
	d.client = &http.Client{Timeout: 2 * Deadline}
	return d
}

// SetDeadline changes how long an answer may take ([Deadline] by default).
func (d *Divar) SetDeadline(t time.Duration) {
	d.checker.Deadline = t
	if d.client != nil {
		d.client.Timeout = 2 * t
	}
}

// Do sends r and returns the answer, unchecked: for calls the add-on must
// refuse (a wrong key, a bad body).
func (d *Divar) Do(r *Request) *Response {
	d.tb.Helper()
	if d.handler != nil {
		return Serve(d.handler, r)
	}
	resp, err := Send(context.Background(), d.client, d.baseURL, r)
	if err != nil {
		d.tb.Fatal(err)
	}
	return resp
}

// Call sends r, fails the test unless Divar would accept the answer, and
// returns the answer.
func (d *Divar) Call(r *Request) *Response {
	d.tb.Helper()
	resp := d.Do(r)
	if d.reported.has(resp.Header.Get(echo.HeaderXRequestID)) {
		return resp // reported, with its reason, by ValidateResponses
	}
	if err := d.checker.Check(r, resp); err != nil {
		d.tb.Errorf("divartest: %v", err)
	}
	return resp
}

// OpenServerLink sends an init callback (r must be built by
// [OpenServerLink]) and returns the answer Divar would act on: its URL is
// the page the user lands on.
func (d *Divar) OpenServerLink(r *Request) sdk.OpenServerLinkResponse {
	d.tb.Helper()
	var a sdk.OpenServerLinkResponse
	d.decode(d.Call(d.expect(r, KindOpenServerLink)), &a)
	return a
}

// DynamicAction sends a dynamic-action callback (r must be built by
// [DynamicAction]) and returns the answer Divar would act on.
func (d *Divar) DynamicAction(r *Request) sdk.DynamicActionResponse {
	d.tb.Helper()
	var a sdk.DynamicActionResponse
	d.decode(d.Call(d.expect(r, KindDynamicAction)), &a)
	return a
}

// Event sends an event webhook (r must be built by [Event]) and fails the
// test unless it is acknowledged.
func (d *Divar) Event(r *Request) {
	d.tb.Helper()
	d.Call(d.expect(r, KindEvent))
}

// Refused sends r and fails the test unless the add-on refuses it with
// status and a problem document.
func (d *Divar) Refused(r *Request, status int) sdk.Problem {
	d.tb.Helper()
	resp := d.Do(r)
	var p sdk.Problem
	if resp.Status != status {
		d.tb.Errorf("divartest: POST %s answered %d, want %d: %s", r.path, resp.Status, status, resp.Body)
		return p
	}
	if ct := resp.Header.Get("Content-Type"); ct != sdk.ProblemContentType {
		d.tb.Errorf("divartest: POST %s refused with Content-Type %q, want %s", r.path, ct, sdk.ProblemContentType)
	}
	if err := json.Unmarshal(resp.Body, &p); err != nil {
		d.tb.Errorf("divartest: POST %s refused with a body that is not a problem document: %v", r.path, err)
	}
	return p
}

func (d *Divar) expect(r *Request, k Kind) *Request {
	d.tb.Helper()
	if r.kind != k {
		d.tb.Fatalf("divartest: a %s request passed where a %s is expected", r.kind, k)
	}
	return r
}

func (d *Divar) decode(resp *Response, v any) {
	d.tb.Helper()
	if resp.Status == http.StatusOK {
		_ = json.Unmarshal(resp.Body, v) // a bad body has failed the check already
	}
}

// ValidateResponses returns an echo middleware for tests that checks every
// answer the app gives to an operation of spec, failing tb with what is
// wrong. Requests are validated by server.New already; with this, a test
// sees the responses checked too:
//
//	e, _ := server.New(…)
//	e.Use(divartest.ValidateResponses(t, gen.GetSpec))
//
// Registered after server.New, it sees only requests that passed the
// key check and validation, so every answer is the handler's own:
//
//   - an answer to one of Divar's calls (see the Kind constants) that is not
//     an error is checked as Divar checks it ([Checker.Check]: 200, JSON,
//     the schema, one action kind, absolute URLs, the deadline);
//   - any other answer to an operation of spec (an error, or an answer of
//     the add-on's own endpoints) must be a response the operation
//     declares, with its media type and schema.
//
// Requests to routes that are not in spec (a landing page, a health check)
// pass through unchecked.
func ValidateResponses(tb testing.TB, spec func() (*openapi3.T, error)) echo.MiddlewareFunc {
	tb.Helper()
	c, err := NewChecker(spec)
	if err != nil {
		tb.Fatal(err)
	}
	return validateResponses(tb, c, nil)
}

// validateResponses is [ValidateResponses] with c, noting in reported
// (if not nil) the request id of each answer whose failure it reports.
func validateResponses(tb testing.TB, c *Checker, reported *reports) echo.MiddlewareFunc {
	kinds := map[string]Kind{} // by the path the spec describes them at
	for _, k := range []Kind{KindOpenServerLink, KindDynamicAction, KindEvent} {
		kinds[k.path()] = k
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ctx echo.Context) error {
			req := ctx.Request()
			route, _, err := c.router.FindRoute(req)
			if err != nil {
				return next(ctx) // not an operation of the spec
			}
			rec := &recorder{ResponseWriter: ctx.Response().Writer}
			ctx.Response().Writer = rec
			start := time.Now()
			kind, isCall := kinds[route.Path]
			isCall = isCall && req.Method == http.MethodPost
			call := req.Method + " " + req.URL.Path
			handlerErr := next(ctx)
			if isCall && serverError(handlerErr) {
				// The reason is in the error, which the server only logs:
				// report it here, once (the Divar of Start that sent the
				// call finds its request id in reported, and does not
				// report the 500 again).
				tb.Errorf("divartest: %v", fmt.Errorf("%w: %s: %s; the add-on answers 500 and Divar shows the user an error", ErrRejected, call, handlerFailure(handlerErr)))
				reported.add(requestID(ctx.Response().Writer))
				if handlerErr != nil {
					ctx.Error(handlerErr)
				}
				return nil
			}
			if handlerErr != nil {
				ctx.Error(handlerErr) // answer it now, so the answer is what is checked
			}
			resp := &Response{Status: rec.status, Header: rec.Header(), Body: rec.body.Bytes(), Elapsed: time.Since(start)}
			if isCall && (rec.status < 400 || rec.status >= 500) {
				err = c.Check(&Request{kind: kind, path: req.URL.Path, body: map[string]any{}}, resp)
			} else if problems := c.responseErrors(req, resp, "the spec refuses it"); len(problems) > 0 {
				err = fmt.Errorf("%s: %s", call, strings.Join(problems, "; "))
			}
			if err != nil {
				tb.Errorf("divartest: %v", err)
			}
			return nil
		}
	}
}

// requestID returns the X-Request-Id of the answer w writes, looking
// through the writers that wrap the server's (a handler's budget holds
// the answer in a writer of its own).
func requestID(w http.ResponseWriter) string {
	for {
		if id := w.Header().Get(echo.HeaderXRequestID); id != "" {
			return id
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return ""
		}
		w = u.Unwrap()
	}
}

// reports holds the request ids of the answers whose failure
// ValidateResponses has reported, for the Divar that sent them.
type reports struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (r *reports) add(id string) {
	if r == nil || id == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[string]bool{}
	}
	r.ids[id] = true
}

func (r *reports) has(id string) bool {
	if r == nil || id == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ids[id]
}

// serverError reports whether err, returned by a handler, is answered 5xx.
func serverError(err error) bool {
	if err == nil {
		return false
	}
	var p *sdk.Problem
	if errors.As(err, &p) {
		return p.Status >= 500
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he.Code >= 500
	}
	return true
}

// handlerFailure says why a handler failed: the field and the rule of an
// answer the sdk refused to send, or the handler's error.
func handlerFailure(err error) string {
	if details := answerDetails(err); len(details) > 0 {
		return "the handler's answer is invalid: " + strings.Join(details, "; ")
	}
	return "the handler failed: " + err.Error()
}

type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// answerDetails lists the detail of each [sdk.InvalidAnswerError] in err's
// tree: each rule of Divar's the answer breaks.
func answerDetails(err error) []string {
	switch e := err.(type) {
	case nil:
		return nil
	case *sdk.InvalidAnswerError:
		return []string{e.Detail}
	case interface{ Unwrap() []error }:
		var out []string
		for _, err := range e.Unwrap() {
			out = append(out, answerDetails(err)...)
		}
		return out
	}
	return answerDetails(errors.Unwrap(err))
}
