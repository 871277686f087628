package server

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime"
	"time"
	"unsafe"

	"github.com/labstack/echo/v4"
)

// front is the server's one middleware. echo wraps its middlewares around
// the route's handler again for every request (a closure each), so the
// server has one, which does in order what every request needs: it notes
// when the request arrived (the handler's budget and the latency count
// from then), gives it a fresh X-Request-Id (one sent by the client is
// dropped: it would be a submitted value in the logs), runs the guard and
// the handler, recovers a panic (logged with its stack, answered 500, the
// server goes on), answers an error through the error handler, and only
// then writes the request's one access-log line, so that the status
// logged is the status sent.
func (g *guard) front(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		delete(c.Request().Header, echo.HeaderXRequestID)
		rq := newRequest()
		id := rq.ids[0]
		c.Response().Header()[echo.HeaderXRequestID] = rq.ids[:]
		err := g.recovered(c, next, rq, start)
		if err != nil {
			c.Error(err)
		}
		g.logRequest(c, id, start, err)
		return nil
	}
}

// recovered runs the guard and the handler, and turns a panic into the
// error answered (500, with no detail); http.ErrAbortHandler goes on up,
// as net/http expects. The stack logged is the panicking goroutine's.
func (g *guard) recovered(c echo.Context, next echo.HandlerFunc, rq *request, start time.Time) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if r == http.ErrAbortHandler {
			panic(r)
		}
		var ok bool
		if err, ok = r.(error); !ok {
			err = fmt.Errorf("%v", r)
		}
		stack := make([]byte, 4<<10)
		stack = stack[:runtime.Stack(stack, false)]
		g.logger.LogAttrs(c.Request().Context(), slog.LevelError, "handler panicked",
			slog.String("request_id", rq.ids[0]),
			slog.String("route", c.Path()),
			slog.String("stack", string(stack)))
	}()
	return g.handle(c, next, rq, start)
}

// logRequest writes the access-log line of a request once it is answered:
// method, route, the status sent, latency, request id, and for a 4xx the
// why (the problem's text, each failing field by pointer and rule, never
// a value or the key); never a header, a query or a body. Its level
// follows the status ([accessLevel]): an answer in 2xx or 3xx is logged
// at Debug, so that a logger at Info (the default) builds nothing for
// it, and the server's metrics count it. The record goes to the logger's
// handler directly, stamped with the time the latency ends: slog.Logger
// would read the clock again and walk the stack for a source that would
// name this function on every line.
func (g *guard) logRequest(c echo.Context, id string, start time.Time, err error) {
	status := c.Response().Status
	level := accessLevel(status)
	if level == slog.LevelError && c.Get(drainingKey) != nil {
		level = slog.LevelInfo // [Ready]'s 503 while draining: the answer meant, not a failure
	}
	req := c.Request()
	ctx := req.Context()
	h := g.logger.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	msg := "request"
	if status == statusClientClosedRequest {
		msg = "request: the client went away before the answer"
	}
	end := time.Now()
	r := slog.NewRecord(end, level, msg, 0)
	r.AddAttrs(slog.String("method", req.Method), slog.String("route", c.Path()),
		slog.Int("status", status), slog.Duration("latency", end.Sub(start)), slog.String("request_id", id))
	if status >= 400 && status < 500 && status != statusClientClosedRequest && err != nil {
		r.AddAttrs(slog.String("why", toProblem(err).Error()))
	}
	_ = h.Handle(ctx, r)
}

// accessLevel is the level of the access-log line of an answer with
// status: Debug for 1xx to 3xx (the request was served: one line each
// would be the log's main cost, and metrics count them), Info for 4xx (a
// refusal: a wrong key, a body that breaks the spec, must stay visible),
// Error for 5xx (a panic is answered 500), but for [Ready]'s 503 while the
// server drains, which is logged at Info: a load balancer's probes during
// every deploy are not errors.
func accessLevel(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}

// request is what the server allocates for a request, once: its id (the
// X-Request-Id header's one value, and the id's bytes) and, for a spec
// operation, its handler's echo context, its budget's context and the
// copy of the request that carries it. One allocation a request, not four
// (a route outside the spec, which uses only the id, pays for the rest
// unused: a larger allocation, not another).
type request struct {
	ids [1]string
	id  [16]byte
	bc  boundContext
	ctx budgetCtx
	req http.Request
}

// newRequest returns a request with a fresh id, 96 random bits in
// base64url. An id names a request in the logs and is secret from nobody,
// so it comes from the runtime's generator (ChaCha8, seeded by the
// system), not from crypto/rand.
func newRequest() *request {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint32(b[8:], rand.Uint32())
	rq := new(request)
	base64.RawURLEncoding.Encode(rq.id[:], b[:])
	rq.ids[0] = unsafe.String(&rq.id[0], len(rq.id)) // rq.id is never written again
	return rq
}
