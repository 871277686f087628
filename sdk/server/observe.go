package server

import (
	"context"
	"net/http"
	"time"

	"github.com/kenarkit/kenarkit/internal/observers"
	"github.com/kenarkit/kenarkit/internal/validate"
	"github.com/labstack/echo/v4"
)

// Observer is told of every request to one of the spec's operations: the
// hook through which sdk/metrics counts callbacks and sdk/tracing gives
// each one a span. Set it in [Config.Observer]; nil costs nothing. Routes
// outside the spec (a landing page, a health check) are not observed.
type Observer interface {
	// ObserveRequest is called when a request to a spec operation
	// arrives, before any check. The context it returns is the one the
	// checks and the handler run in (a tracer's span); done is called
	// once, after the answer is written. A nil done asks to be told
	// nothing more (a trace not recorded): it costs nothing.
	ObserveRequest(ctx context.Context, r Request) (context.Context, func(Result))
}

// Request is what an [Observer] is told of a request when it arrives.
type Request struct {
	// Operation is the operation's operationId in the spec the server
	// was given ("OpenServerLink", "DynamicAction", "Events" in the
	// generated package's).
	Operation string
	// RequestID is the X-Request-Id the server gave the request.
	RequestID string
	// Webhook: the operation is an event webhook.
	Webhook bool
	// header is the request's, read only by TraceContext: an observer
	// that does not ask pays no lookup.
	header http.Header
}

// TraceContext returns the request's W3C trace context headers,
// traceparent and tracestate, "" when it came with none: a tracer
// continues the trace they name.
func (r Request) TraceContext() (traceparent, tracestate string) {
	// The keys are as net/http's server canonicalises them: an index, not
	// Header.Get, which canonicalises the key again on every call.
	if tp := firstValue(r.header, "Traceparent"); tp != "" {
		return tp, firstValue(r.header, "Tracestate")
	}
	return "", ""
}

// firstValue is h.Get(key) for a key already in canonical form.
func firstValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// requestID is the X-Request-Id the access log gave the request, read from
// the answer's headers.
func requestID(c echo.Context) string {
	return firstValue(c.Response().Header(), echo.HeaderXRequestID)
}

// Result is what an [Observer] is told of a request once it is answered.
type Result struct {
	// Status is the HTTP status sent.
	Status int
	// Refused is why the guard refused the request before the handler
	// ran ([RefusedIP], [RefusedKey], …), "" when it did not.
	Refused string
	// OverBudget: the handler did not answer within its budget; the
	// client was answered 503.
	OverBudget bool
	// Panicked: the handler panicked; the client was answered 500.
	Panicked bool
	// Duration is the time from arrival to the answer.
	Duration time.Duration
}

// The reasons the guard refuses a request, as [Result.Refused] names them.
const (
	RefusedIP        = "ip"         // 403: not from an allowed address
	RefusedKey       = "key"        // 401: no identification key, or a wrong one
	RefusedSize      = "size"       // 413: the body is over Config.BodyLimit
	RefusedMediaType = "media_type" // 415: not application/json
	RefusedSchema    = "schema"     // 400: not one JSON object, or it breaks the spec
)

// refusal names the reason of a validation error.
func refusal(err error) string {
	p, ok := err.(*validate.Problem)
	if !ok {
		return ""
	}
	switch p.Status {
	case http.StatusRequestEntityTooLarge:
		return RefusedSize
	case http.StatusUnsupportedMediaType:
		return RefusedMediaType
	case http.StatusBadRequest:
		return RefusedSchema
	}
	return ""
}

// observe runs the guard's checks and the handler for op under the
// observer: the error is answered here, so that the status observed is
// the status sent, and a panic is seen on its way to the recover
// middleware. start is when the request arrived.
func (g *guard) observe(c echo.Context, op *validate.Operation, next echo.HandlerFunc, rq *request, start time.Time) (err error) {
	req := c.Request()
	ctx, done := g.obs.ObserveRequest(req.Context(), Request{
		Operation: op.ID(),
		RequestID: rq.ids[0],
		Webhook:   op.Webhook(),
		header:    req.Header,
	})
	if done == nil {
		done = toldNothing
	}
	if ctx != req.Context() {
		c.SetRequest(req.WithContext(ctx))
	}
	var res Result
	defer func() {
		if v := recover(); v != nil {
			res.Panicked, res.Status = true, http.StatusInternalServerError
			res.Duration = time.Since(start)
			done(res)
			panic(v) // for the recover middleware, which logs and answers it
		}
		if err != nil {
			// Answered here, so that the status observed is the status
			// sent; err goes on to front, whose access-log line gives its
			// why (its second c.Error finds the answer committed).
			c.Error(err)
		}
		res.Status, res.Duration = c.Response().Status, time.Since(start)
		done(res)
	}()
	return g.check(c, op, next, rq, start, &res)
}

// Observers returns an [Observer] that tells each of obs in turn (the
// metrics and the tracer); nil ones are skipped, and with none left it
// returns nil.
func Observers(obs ...Observer) Observer {
	return observers.Join(obs, func(all []Observer) Observer { return multiObserver(all) })
}

// toldNothing is the done of an observer that asked for nothing.
func toldNothing(Result) {}

type multiObserver []Observer

// ObserveRequest tells each observer; with one done or none to call (the
// metrics, and a tracer whose trace is not recorded), it allocates
// nothing.
func (m multiObserver) ObserveRequest(ctx context.Context, r Request) (context.Context, func(Result)) {
	var one func(Result)
	var dones []func(Result) // when more than one
	for _, o := range m {
		var done func(Result)
		ctx, done = o.ObserveRequest(ctx, r)
		switch {
		case done == nil:
		case one == nil:
			one = done
		default:
			if dones == nil {
				dones = append(make([]func(Result), 0, len(m)), one)
			}
			dones = append(dones, done)
		}
	}
	if dones == nil {
		return ctx, one
	}
	return ctx, func(res Result) {
		for i := len(dones) - 1; i >= 0; i-- {
			dones[i](res)
		}
	}
}
