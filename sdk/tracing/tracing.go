// Package tracing gives what an add-on built with kenarkit does spans in
// OpenTelemetry (go.opentelemetry.io/otel): one per callback Divar makes
// (with its request id), one per event, one per call to Divar (whose W3C
// trace context, traceparent, goes with the request) and one per token
// refresh. A [Tracer] is the observer every room takes (server.Config,
// event.Mux, divar.Config and tokens.Config each have an Observer
// field). It is off unless the add-on makes one; an add-on that does not
// import this package links nothing of OpenTelemetry.
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithSampler(sdktrace.AlwaysSample()))
//	s, err := tracing.SamplingFromEnv(os.Getenv, 0.05) // OTEL_TRACES_SAMPLER(_ARG); unset: parentbased_traceidratio 0.05
//	t := tracing.New(tp, tracing.WithSampling(s))
//	cfg.Observer = t // server.Config, divar.Config, …
//
// The Tracer samples at the head ([Sampling]): a trace it does not record
// costs a random draw and nothing else, where a provider's sampler is
// asked only after a trace id is drawn and a span made. A callback's span
// is recorded with its operation, its status and its request id.
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
	"encoding/binary"
	"math/rand/v2"
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
//
// A Tracer samples at the head itself ([Sampling]), before any span is
// made: a trace it does not record costs a random draw, with no span, no
// trace id and no new context (the server does not copy the request).
type Tracer struct {
	t     trace.Tracer
	prop  propagation.TextMapPropagator
	bound uint64 // a root is recorded when a random 63-bit number is below it
	// byTraceID: a remote parent's sampled flag is not followed; its
	// trace id is compared with bound instead.
	byTraceID bool
}

// Option configures a [Tracer].
type Option func(*Tracer)

// WithSampling makes the Tracer record the traces s chooses. Without it,
// every trace is offered to the provider, whose own sampler then decides
// (the costly way: the provider draws a trace id and makes a span for
// each trace it drops).
func WithSampling(s Sampling) Option {
	return func(t *Tracer) { t.bound, t.byTraceID = s.bound(), s.IgnoreRemoteParent }
}

// New returns a Tracer whose spans tp makes. Pass the add-on's
// TracerProvider (go.opentelemetry.io/otel/sdk/trace), which exports them;
// with [WithSampling], give it sdktrace.WithSampler(sdktrace.AlwaysSample()),
// so that it records every span the Tracer starts. The trace context sent
// to Divar is W3C's (traceparent).
func New(tp trace.TracerProvider, opts ...Option) *Tracer {
	t := &Tracer{t: tp.Tracer(ScopeName), prop: propagation.TraceContext{}}
	WithSampling(Sampling{Ratio: 1})(t)
	for _, o := range opts {
		o(t)
	}
	return t
}

// record says whether a span started in ctx is recorded: a root (no
// span context in ctx) by a random draw, a child as its parent is.
// Nothing is made before it says yes.
func (t *Tracer) record(ctx context.Context) bool {
	parent := trace.SpanContextFromContext(ctx)
	switch {
	case !parent.IsValid():
		return rand.Uint64()>>1 < t.bound // the runtime's generator: per thread, no shared state
	case parent.IsRemote() && t.byTraceID:
		id := parent.TraceID()
		return binary.BigEndian.Uint64(id[8:])>>1 < t.bound
	}
	return parent.IsSampled()
}

// ObserveRequest implements server.Observer: a server span per callback,
// named after its operation, with the request id and the status sent. A
// callback that came with a W3C traceparent continues that trace.
func (t *Tracer) ObserveRequest(ctx context.Context, r server.Request) (context.Context, func(server.Result)) {
	if traceparent, tracestate := r.TraceContext(); traceparent != "" {
		carrier := propagation.MapCarrier{"traceparent": traceparent}
		if tracestate != "" {
			carrier["tracestate"] = tracestate
		}
		ctx = t.prop.Extract(ctx, carrier) // kept even when not recorded: the calls to Divar carry it on
	}
	if !t.record(ctx) {
		return ctx, nil // nothing to be told: server.Observer allows it
	}
	ctx, span := t.t.Start(ctx, r.Operation, trace.WithSpanKind(trace.SpanKindServer))
	if !span.IsRecording() { // the provider's sampler said no
		return ctx, func(server.Result) { span.End() }
	}
	id := r.RequestID
	return ctx, func(res server.Result) {
		span.SetAttributes(attribute.String("kenarkit.request_id", id), attribute.Int("http.response.status_code", res.Status))
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

// The done functions of what is not recorded: shared, nothing to free.
var (
	eventNotRecorded   = func(event.Outcome, error) {}
	refreshNotRecorded = func(error) {}
)

// ObserveEvent implements event.Observer: a span per event, with its
// type and outcome.
func (t *Tracer) ObserveEvent(ctx context.Context, e *event.Event) (context.Context, func(event.Outcome, error)) {
	if !t.record(ctx) {
		return ctx, eventNotRecorded
	}
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
	if !t.record(ctx) {
		return ctx, callNotRecorded{t}
	}
	ctx, span := t.t.Start(ctx, "divar "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("kenarkit.divar.operation", op)))
	return ctx, &call{t: t, span: span}
}

// callNotRecorded observes a call whose span is not recorded: the trace
// context in ctx, if any (a traceparent that came in unsampled), still
// goes with the request.
type callNotRecorded struct{ t *Tracer }

func (c callNotRecorded) Sending(ctx context.Context, h http.Header) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		c.t.prop.Inject(ctx, propagation.HeaderCarrier(h))
	}
}

func (callNotRecorded) Retrying(int, time.Duration) {}
func (callNotRecorded) Done(int, error)             {}

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
	if !t.record(ctx) {
		return ctx, refreshNotRecorded
	}
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
