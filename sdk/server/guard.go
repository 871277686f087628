package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kenarkit/kenarkit/internal/validate"
	"github.com/kenarkit/kenarkit/sdk"

	"github.com/labstack/echo/v4"
)

// guard is the one middleware through which every request to a [Server]
// passes: it finds the request's operation once, by the route [New]
// registered it at, then runs the IP check, the key check, validation and
// the handler's budget for it, and hands the handler the validated body. A
// request whose route is one of the spec's operations registered elsewhere
// by hand is refused (fail closed), never passed through.
type guard struct {
	v        *validate.Validator
	keys     keySet
	ip       *ipCheck
	ipSkip   func(echo.Context) bool
	base     string               // Config.BasePath
	ops      map[string][]routeOp // route → the operations New registered there, by method
	handlers map[string]string    // the name echo gives each handler New registered → "METHOD path" of its operation
	calls    *watch               // the handlers' budget (Config.HandlerTimeout); nil: none
	events   *watch               // the event webhooks' (Config.EventTimeout); nil: none
	logger   *slog.Logger
	mounts   sync.Map // "METHOD route" → error: nil, or why the route is refused
	specOps  []specRoute
	problem  *sdk.Problem // answered for a misrouted operation
	obs      Observer     // Config.Observer; nil: not observed
}

// routeOp is an operation New registered at a route, for one method (nil:
// a route the generated code registers that is not in the spec).
type routeOp struct {
	method string
	op     *validate.Operation
}

// op returns the operation New registered for method at route, and
// whether New registered one there. Looked up by route, then among its few
// methods: no key put together per request.
func (g *guard) op(method, route string) (*validate.Operation, bool) {
	for _, r := range g.ops[route] {
		if r.method == method {
			return r.op, true
		}
	}
	return nil, false
}

// setOp records op as registered for method at route, in place of any
// registered there before (as echo's router replaces its handler).
func (g *guard) setOp(method, route string, op *validate.Operation) {
	ops := g.ops[route]
	for i := range ops {
		if ops[i].method == method {
			ops[i].op = op
			return
		}
	}
	g.ops[route] = append(ops, routeOp{method, op})
}

// specRoute is one operation of the spec as the generated code registers it.
type specRoute struct {
	method, path string // path in echo's form, without the base path
	id           string // operationId
}

// handle runs the guard for the request and next, the route's handler:
// the checks of the spec's operation registered at its route, or, for
// any other route, the check that it is not one of the spec's operations
// routed elsewhere by hand. start is when the request arrived: the
// handler's budget counts from then.
func (g *guard) handle(c echo.Context, next echo.HandlerFunc, rq *request, start time.Time) error {
	op := g.lookup(c)
	if op == nil {
		if err := g.mounted(c); err != nil {
			return err
		}
		return next(c)
	}
	if g.obs != nil {
		return g.observe(c, op, next, rq, start)
	}
	return g.check(c, op, next, rq, start, nil)
}

// check runs the IP check, the key check, validation and the handler's
// budget for op (from start, when the request arrived), and the handler.
// When res is not nil it records there why a request was refused, and
// whether the handler ran over its budget.
func (g *guard) check(c echo.Context, op *validate.Operation, next echo.HandlerFunc, rq *request, start time.Time, res *Result) error {
	refused := func(reason string, err error) error {
		if res != nil {
			res.Refused = reason
		}
		return err
	}
	req := c.Request()
	if g.ip != nil && !(g.ipSkip != nil && g.ipSkip(c)) && !g.ip.allows(req) {
		return refused(RefusedIP, sdk.NewProblem(http.StatusForbidden, "requests are accepted from Divar's addresses only"))
	}
	if op.Secured() {
		if err := checkRequestKey(g.keys, req); err != nil {
			return refused(RefusedKey, unauthorized(c, err))
		}
	}
	sent := req.Body // net/http's, before the validator puts its own
	body, err := g.v.Validate(c, op)
	if body != nil {
		defer body.Release(req)
	}
	if err != nil {
		if p, ok := err.(*validate.Problem); ok && p.Status == http.StatusRequestEntityTooLarge {
			return refused(RefusedSize, refuseBody(c, fromValidate(err)))
		}
		if p, ok := err.(*validate.Problem); !ok || !op.Webhook() || !p.IsSchema() {
			return refused(refusal(err), fromValidate(err))
		}
		// A refused event is lost: deliver it, and say what did not match.
		g.logger.LogAttrs(req.Context(), slog.LevelWarn, "event does not match the spec; delivered anyway",
			slog.String("request_id", requestID(c)),
			slog.String("route", c.Path()),
			slog.String("mismatch", err.Error()))
	}
	if body != nil && sent != nil {
		// The validator has read the body to its end: closed, and put
		// back once the handler is done, it tells net/http that nothing
		// is left to discard before the answer (else an io.CopyN, and its
		// LimitReader's allocation, on every request).
		_ = sent.Close()
		defer func() { req.Body = sent }()
	}
	// The handler's echo context, its budget's context and the request
	// that carries it are in rq, allocated with the request's id.
	rq.bc = boundContext{Context: c, body: body, logger: g.logger}
	wt := g.calls
	if op.Webhook() {
		wt = g.events
	}
	if wt == nil {
		return next(&rq.bc)
	}
	var late *bool
	if res != nil {
		late = &res.OverBudget
	}
	rq.ctx = budgetCtx{Context: req.Context(), deadline: start.Add(wt.budget)}
	return runWithin(&rq.bc, &rq.ctx, &rq.req, wt, g.logger, late, next)
}

// maxDrain is the most of a body refused for its size that the server
// reads and discards after the answer; a body announced larger is not read
// at all.
const maxDrain = 16 << 20

// drainTimeout is the longest the server goes on reading a refused body
// once it has answered (nginx's lingering_time): a client that trickles
// its body holds the connection no longer. (A variable for the tests.)
var drainTimeout = 5 * time.Second

// refuseBody answers refusal (413: the body is over the limit, the rest of
// it unread) and only then reads and discards the rest of the body, at
// most maxDrain bytes for at most drainTimeout, and closes the connection.
// A client that reads while it sends sees the 413 at once and can stop
// sending; one that sends its whole body before it reads (many do) gets
// the 413 too, not the reset of a connection closed with its data unread
// (a lingering close, as nginx does and RFC 9112 section 9.6 advises).
// Nothing is read from a client that waits for "100 Continue" before
// sending its body. Over HTTP/2, or a writer without full duplex (a test's
// recorder), the refusal is answered as any error.
func refuseBody(c echo.Context, refusal error) error {
	w, req := c.Response(), c.Request()
	rc := http.NewResponseController(w)
	if req.ProtoMajor != 1 || rc.EnableFullDuplex() != nil {
		return refusal
	}
	// Full duplex: net/http no longer reads up to 256 KiB of the body
	// before it writes the answer.
	w.Header().Set(echo.HeaderConnection, "close")
	c.Error(refusal)
	if rc.Flush() != nil || req.Header.Get("Expect") != "" || req.ContentLength > maxDrain {
		return nil
	}
	_ = rc.SetReadDeadline(time.Now().Add(drainTimeout))
	_, _ = io.CopyN(io.Discard, req.Body, maxDrain)
	return nil
}

// lookup returns the spec's operation registered at the request's route,
// if any.
func (g *guard) lookup(c echo.Context) *validate.Operation {
	op, _ := g.op(c.Request().Method, c.Path())
	return op
}

// mounted returns an error when the request's route, which is not where the
// guard looks for the spec's operations, is one of them all the same. The
// verdict is computed once per route.
func (g *guard) mounted(c echo.Context) error {
	path := c.Path()
	if path == "" {
		return nil // no route: echo answers 404
	}
	key := c.Request().Method + " " + path
	if v, ok := g.mounts.Load(key); ok {
		if v == nil {
			return nil
		}
		return g.problem
	}
	err := g.checkRoute(c.Request().Method, path, routeName(c.Echo(), c.Request().Method, path))
	if err == nil {
		g.mounts.Store(key, nil)
		return nil
	}
	g.mounts.Store(key, err)
	g.logger.LogAttrs(c.Request().Context(), slog.LevelError, "refusing a spec operation routed where the server does not check it",
		slog.String("route", path), slog.String("error", err.Error()))
	return g.problem
}

// checkRoute says whether a route that is not one [New] registered is one
// of the spec's operations all the same: its handler is one New registered
// (name is the handler's name as echo reports it for the route), or its
// path ends with an operation's, for the same method (the generated
// handlers registered by hand, under another prefix).
func (g *guard) checkRoute(method, path, name string) error {
	if _, ok := g.op(method, path); ok {
		return nil
	}
	for _, op := range g.specOps {
		prefix, byPath := strings.CutSuffix(path, op.path)
		byPath = byPath && method == op.method
		if !byPath && (name == "" || g.handlers[name] != op.method+" "+op.path) {
			continue
		}
		if byPath {
			return fmt.Errorf("%w: %s %s is the spec's operation %q registered under %q by hand; the server checks it only where New registers it, at %s%s",
				ErrUncheckedRoute, method, path, op.id, prefix, g.base, op.path)
		}
		return fmt.Errorf("%w: %s %s is served by the spec's operation %q, which the server checks only at %s %s%s",
			ErrUncheckedRoute, method, path, op.id, op.method, g.base, op.path)
	}
	return nil
}

func routeName(e *echo.Echo, method, path string) string {
	if e == nil {
		return ""
	}
	for _, r := range e.Routes() {
		if r.Method == method && r.Path == path {
			return r.Name
		}
	}
	return ""
}

// checkRoutes checks every route of e.
func (g *guard) checkRoutes(e *echo.Echo) error {
	var errs []error
	for _, r := range e.Routes() {
		if err := g.checkRoute(r.Method, r.Path, r.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ErrUncheckedRoute: a spec operation's handler is registered by hand at a
// route where the server does not check the key or validate the request.
// [Server.Serve] returns it; a request to such a route is answered 500.
var ErrUncheckedRoute = errors.New("server: a spec operation is routed where the server does not check it")
