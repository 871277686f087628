package tracing_test

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/kenarkit/kenarkit/sdk/tracing"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const post = "gZd7omnS"

// addon reads a post from Divar in its init callback, and hands events to
// its event.Mux.
type addon struct {
	client *divar.Client
	events *event.Mux
}

func (a addon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	if _, err := a.client.Post(ctx, post); err != nil {
		return nil, err
	}
	return sdk.OpenURL("https://addon.example.com/landing"), nil
}

func (addon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	return sdk.TextMessage("ok"), nil
}

func (a addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return a.events.Handle(ctx, req.Body)
}

// headers records the traceparent of each request the client sends.
type headers struct {
	mu     sync.Mutex
	parent []string
	next   http.RoundTripper
}

func (h *headers) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.parent = append(h.parent, r.Header.Get("Traceparent"))
	h.mu.Unlock()
	return h.next.RoundTrip(r)
}

func newAddon(t *testing.T) (*tracetest.SpanRecorder, *divartest.Divar, *headers) {
	t.Helper()
	rec, d, h, _ := newTracedAddon(t)
	return rec, d, h
}

// newTracedAddon is newAddon with the tracer's options, also returning
// the add-on's server.
func newTracedAddon(t *testing.T, opts ...tracing.Option) (*tracetest.SpanRecorder, *divartest.Divar, *headers, http.Handler) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tr := tracing.New(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sdktrace.AlwaysSample())), opts...)
	api := divartest.NewAPI(t)
	api.AddPost("owner", divar.Post{Token: post, Category: "apartment-sell", City: "tehran", State: "PUBLISHED"})
	h := &headers{next: http.DefaultTransport}
	client, err := api.Client(divar.Config{Observer: tr, HTTPClient: &http.Client{Transport: h}})
	if err != nil {
		t.Fatal(err)
	}
	mux := &event.Mux{NewMessage: func(context.Context, *event.Event, *event.ChatMessage) error { return nil }, Observer: tr}
	s, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{divartest.Key}, Logger: slog.New(slog.DiscardHandler), Observer: tr},
		gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(addon{client: client, events: mux}, nil))
	if err != nil {
		t.Fatal(err)
	}
	d := divartest.New(t, gen.GetSpec, s)
	return rec, d, h, s
}

func attr(s sdktrace.ReadOnlySpan, key string) attribute.Value {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

func TestACallbackAndItsCallToDivarAreOneTrace(t *testing.T) {
	rec, d, h := newAddon(t)
	rsp := d.Call(divartest.OpenServerLink())
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want the callback's and the call's", len(spans))
	}
	call, cb := spans[0], spans[1]
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"the callback's span name", cb.Name(), "OpenServerLink"},
		{"the callback's kind", cb.SpanKind(), trace.SpanKindServer},
		{"the callback's request id", attr(cb, "kenarkit.request_id").AsString(), rsp.Header.Get("X-Request-Id")},
		{"the callback's status", attr(cb, "http.response.status_code").AsInt64(), int64(200)},
		{"the call's span name", call.Name(), "divar Finder_GetPost"},
		{"the call's kind", call.SpanKind(), trace.SpanKindClient},
		{"the call's parent", call.Parent().SpanID(), cb.SpanContext().SpanID()},
		{"one trace", call.SpanContext().TraceID(), cb.SpanContext().TraceID()},
		{"the traceparent sent to Divar", h.parent, []string{"00-" + call.SpanContext().TraceID().String() + "-" + call.SpanContext().SpanID().String() + "-01"}},
	} {
		if !equal(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if rsp.Header.Get("X-Request-Id") == "" {
		t.Error("no request id answered")
	}
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestEachEventAndRefusalIsASpan(t *testing.T) {
	for _, tc := range []struct {
		name   string
		send   func(d *divartest.Divar)
		span   string
		key    string
		want   string
		status codes.Code
	}{
		{"a handled event", func(d *divartest.Divar) { d.Event(divartest.Event(event.TypeNewMessage)) },
			"event NEW_MESSAGE", "kenarkit.event.outcome", "handled", codes.Unset},
		{"an ignored event", func(d *divartest.Divar) { d.Event(divartest.Event(event.TypePostUpdate)) },
			"event POST_UPDATE", "kenarkit.event.outcome", "ignored", codes.Unset},
		{"a refused callback", func(d *divartest.Divar) { d.Refused(divartest.DynamicAction().Key("wrong"), http.StatusUnauthorized) },
			"DynamicAction", "kenarkit.refused", "key", codes.Unset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, d, _ := newAddon(t)
			tc.send(d)
			var found bool
			for _, s := range rec.Ended() {
				if s.Name() != tc.span {
					continue
				}
				found = true
				if got := attr(s, tc.key).AsString(); got != tc.want {
					t.Errorf("%s = %q, want %q", tc.key, got, tc.want)
				}
				if s.Status().Code != tc.status {
					t.Errorf("status %v, want %v", s.Status().Code, tc.status)
				}
			}
			if !found {
				t.Errorf("no span %q among %d", tc.span, len(rec.Ended()))
			}
		})
	}
}
