// Package tracing gives what an add-on built with kenarkit does spans in
// OpenTelemetry (go.opentelemetry.io/otel): one per callback Divar makes
// (with its request id), one per event, one per call to Divar (whose W3C
// trace context, traceparent, goes with the request) and one per token
// refresh. A [Tracer] is the observer every room takes (server.Config,
// event.Mux, divar.Config and tokens.Config each have an Observer
// field). It is off unless the add-on makes one; an add-on that does not
// import this package links nothing of OpenTelemetry.
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
//	t := tracing.New(tp)
//	cfg.Observer = t // server.Config, divar.Config, …
//
// With metrics too, join the two in each room: server.Observers,
// event.Observers, divar.Observers, tokens.Observers.
//
// No span carries a token, a key, a user id or a conversation id: the
// attributes are the operation, the status, the event type and outcome,
// the refusal reason and the request id the server gave the callback.
package tracing

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/kenarkit/kenarkit/sdk/tokens"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of kenarkit's spans.
const ScopeName = "github.com/kenarkit/kenarkit"

// Tracer makes kenarkit's spans. It implements server.Observer,
// event.Observer, divar.Observer and tokens.Observer. It is safe for
// concurrent use.
type Tracer struct {
	t    trace.Tracer
	prop propagation.TextMapPropagator
}

// New returns a Tracer whose spans tp makes. Pass the add-on's
// TracerProvider (go.opentelemetry.io/otel/sdk/trace), which exports and
// samples them. The trace context sent to Divar is W3C's (traceparent).
func New(tp trace.TracerProvider) *Tracer {
	return &Tracer{t: tp.Tracer(ScopeName), prop: propagation.TraceContext{}}
}

// ObserveRequest implements server.Observer: a server span per callback,
// named after its operation, with the request id.
func (t *Tracer) ObserveRequest(ctx context.Context, r server.Request) (context.Context, func(server.Result)) {
	ctx, span := t.t.Start(ctx, r.Operation, trace.WithSpanKind(trace.SpanKindServer))
	if !span.IsRecording() { // not sampled: nothing to add
		return ctx, func(server.Result) { span.End() }
	}
	span.SetAttributes(attribute.String("kenarkit.request_id", r.RequestID))
	return ctx, func(res server.Result) {
		span.SetAttributes(attribute.Int("http.response.status_code", res.Status))
		switch {
		case res.Refused != "":
			span.SetAttributes(attribute.String("kenarkit.refused", res.Refused))
		case res.OverBudget:
			span.SetStatus(codes.Error, "the handler ran over its budget")
		case res.Panicked:
			span.SetStatus(codes.Error, "the handler panicked")
		case res.Status >= 500:
			span.SetStatus(codes.Error, http.StatusText(res.Status))
		}
		span.End()
	}
}

// ObserveEvent implements event.Observer: a span per event, with its
// type and outcome.
func (t *Tracer) ObserveEvent(ctx context.Context, e *event.Event) (context.Context, func(event.Outcome, error)) {
	ctx, span := t.t.Start(ctx, "event "+string(e.Type), trace.WithAttributes(attribute.String("kenarkit.event.type", string(e.Type))))
	return ctx, func(o event.Outcome, err error) {
		span.SetAttributes(attribute.String("kenarkit.event.outcome", string(o)))
		if o == event.Failed || o == event.Unfinished {
			span.SetStatus(codes.Error, string(o))
		}
		span.End()
	}
}

// ObserveCall implements divar.Observer: a client span per call to
// Divar, its trace context on every attempt, an event per retry.
func (t *Tracer) ObserveCall(ctx context.Context, op string) (context.Context, divar.CallObserver) {
	ctx, span := t.t.Start(ctx, "divar "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("kenarkit.divar.operation", op)))
	return ctx, &call{t: t, span: span}
}

type call struct {
	t    *Tracer
	span trace.Span
}

func (c *call) Sending(ctx context.Context, h http.Header) {
	c.t.prop.Inject(ctx, propagation.HeaderCarrier(h))
}

func (c *call) Retrying(status int, wait time.Duration) {
	c.span.AddEvent("retry", trace.WithAttributes(
		attribute.Int("http.response.status_code", status),
		attribute.String("kenarkit.wait", wait.String())))
}

func (c *call) Done(status int, err error) {
	if status != 0 {
		c.span.SetAttributes(attribute.Int("http.response.status_code", status))
	}
	if err != nil {
		c.span.SetStatus(codes.Error, callError(status))
	}
	c.span.End()
}

// callError is the span's status text: never the error's text, which may
// quote what Divar answered.
func callError(status int) string {
	if status == 0 {
		return "no answer from Divar"
	}
	return "Divar answered " + strconv.Itoa(status)
}

// ObserveRefresh implements tokens.Observer: a span per token refresh.
func (t *Tracer) ObserveRefresh(ctx context.Context) (context.Context, func(error)) {
	ctx, span := t.t.Start(ctx, "token refresh", trace.WithSpanKind(trace.SpanKindClient))
	return ctx, func(failed error) {
		if failed != nil {
			span.SetStatus(codes.Error, "the refresh failed")
		}
		span.End()
	}
}

// Reconsent implements tokens.Observer: an event on the current span.
func (t *Tracer) Reconsent(ctx context.Context) {
	trace.SpanFromContext(ctx).AddEvent("the user must consent again")
}

// Revoked implements tokens.Observer: an event on the current span.
func (t *Tracer) Revoked(ctx context.Context) {
	trace.SpanFromContext(ctx).AddEvent("the user withdrew access; tokens deleted")
}

var (
	_ server.Observer = (*Tracer)(nil)
	_ event.Observer  = (*Tracer)(nil)
	_ divar.Observer  = (*Tracer)(nil)
	_ tokens.Observer = (*Tracer)(nil)
)
