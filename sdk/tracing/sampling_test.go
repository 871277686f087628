package tracing_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/kenarkit/kenarkit/sdk/tracing"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestSamplingFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name, sampler, arg string
		want               tracing.Sampling
		err                string
	}{
		{"unset: the default ratio, parent-based", "", "", tracing.Sampling{Ratio: 0.1}, ""},
		{"unset with an argument", "", "0.25", tracing.Sampling{Ratio: 0.25}, ""},
		{"parentbased_traceidratio", "parentbased_traceidratio", "0.5", tracing.Sampling{Ratio: 0.5}, ""},
		{"parentbased_traceidratio without argument: 1", "parentbased_traceidratio", "", tracing.Sampling{Ratio: 1}, ""},
		{"parentbased_always_on", "parentbased_always_on", "", tracing.Sampling{Ratio: 1}, ""},
		{"parentbased_always_off", "parentbased_always_off", "", tracing.Sampling{Ratio: 0}, ""},
		{"always_on", "always_on", "", tracing.Sampling{Ratio: 1, IgnoreRemoteParent: true}, ""},
		{"always_off", "always_off", "", tracing.Sampling{Ratio: 0, IgnoreRemoteParent: true}, ""},
		{"traceidratio", "traceidratio", "0.01", tracing.Sampling{Ratio: 0.01, IgnoreRemoteParent: true}, ""},
		{"a sampler kenarkit does not know", "jaeger_remote", "", tracing.Sampling{}, `OTEL_TRACES_SAMPLER="jaeger_remote"`},
		{"an argument over 1", "traceidratio", "2", tracing.Sampling{}, "OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1"},
		{"an argument that is no number", "", "ten", tracing.Sampling{}, "OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"OTEL_TRACES_SAMPLER": tc.sampler, "OTEL_TRACES_SAMPLER_ARG": tc.arg}
			got, err := tracing.SamplingFromEnv(func(k string) string { return env[k] }, 0.1)
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want one saying %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Errorf("error %v", err)
			case got != tc.want:
				t.Errorf("%+v, want %+v", got, tc.want)
			}
		})
	}
}

// A callback the head sampler leaves out costs no span, no new context
// (so the server copies no request) and no allocation; nothing is
// recorded and no traceparent goes to Divar.
func TestAnUnrecordedCallbackCostsNothing(t *testing.T) {
	rec, d, h, _ := newTracedAddon(t, tracing.WithSampling(tracing.Sampling{Ratio: 0}))
	d.Call(divartest.OpenServerLink())
	if n := len(rec.Started()); n != 0 {
		t.Errorf("%d spans started, want none", n)
	}
	if !equal(h.parent, []string{""}) {
		t.Errorf("traceparent sent to Divar %q, want none", h.parent)
	}

	tr := tracing.New(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder())),
		tracing.WithSampling(tracing.Sampling{Ratio: 0}))
	ctx := context.Background()
	r := server.Request{Operation: "OpenServerLink", RequestID: "req-1"}
	allocs := testing.AllocsPerRun(100, func() {
		got, done := tr.ObserveRequest(ctx, r)
		if got != ctx || done != nil {
			t.Fatal("the context was replaced, or the tracer asked to be told the result")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per unrecorded callback, want 0", allocs)
	}
}

// A callback that comes with a W3C traceparent continues its trace: a
// sampled one is recorded whatever the ratio (parent-based), and the call
// to Divar carries the trace on; an unsampled one is not recorded, and
// its trace context still goes to Divar. With IgnoreRemoteParent the
// trace id decides, as OpenTelemetry's traceidratio does.
func TestAnIncomingTraceparentIsFollowed(t *testing.T) {
	const (
		low  = "4bf92f3577b34da60000000000000001" // lower 63 bits below any ratio's bound
		high = "4bf92f3577b34da6ffffffffffffffff" // above every bound under 1
		span = "00f067aa0ba902b7"
	)
	for _, tc := range []struct {
		name, traceparent string
		sampling          tracing.Sampling
		recorded          bool
		sentFlags         string // of the traceparent sent to Divar
	}{
		{"sampled, ratio 0", "00-" + high + "-" + span + "-01", tracing.Sampling{Ratio: 0}, true, "01"},
		{"not sampled, ratio 1", "00-" + low + "-" + span + "-00", tracing.Sampling{Ratio: 1}, false, "00"},
		{"sampled, traceidratio 0.5, a low trace id", "00-" + low + "-" + span + "-01", tracing.Sampling{Ratio: 0.5, IgnoreRemoteParent: true}, true, "01"},
		{"sampled, traceidratio 0.5, a high trace id", "00-" + high + "-" + span + "-01", tracing.Sampling{Ratio: 0.5, IgnoreRemoteParent: true}, false, "01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, _, h, s := newTracedAddon(t, tracing.WithSampling(tc.sampling))
			req := divartest.OpenServerLink().HTTPRequest("http://addon.example")
			req.Header.Set("Traceparent", tc.traceparent)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("answered %d: %s", w.Code, w.Body)
			}
			traceID := tc.traceparent[3:35]
			spans := rec.Ended()
			if !tc.recorded {
				if len(spans) != 0 {
					t.Errorf("%d spans recorded, want none", len(spans))
				}
			} else {
				if len(spans) != 2 {
					t.Fatalf("%d spans, want the callback's and the call's", len(spans))
				}
				cb := spans[1]
				if cb.SpanContext().TraceID().String() != traceID || cb.Parent().SpanID().String() != span || !cb.Parent().IsRemote() {
					t.Errorf("the callback's span is in trace %s under %s, want %s under the remote %s",
						cb.SpanContext().TraceID(), cb.Parent().SpanID(), traceID, span)
				}
			}
			if len(h.parent) != 1 || !strings.HasPrefix(h.parent[0], "00-"+traceID+"-") || !strings.HasSuffix(h.parent[0], "-"+tc.sentFlags) {
				t.Errorf("traceparent sent to Divar %q, want trace %s, flags %s", h.parent, traceID, tc.sentFlags)
			}
		})
	}
}

// The roots recorded are the ratio's share of them: for each ratio,
// 20 000 token refreshes with no parent record a count within five
// standard deviations of the binomial's mean (a false alarm about once in
// two million runs), and two Tracers do not draw the same roots.
func TestTheRatioIsTheShareOfRootsRecorded(t *testing.T) {
	const n = 20000
	for _, ratio := range []float64{0, 0.05, 0.5, 1} {
		t.Run(fmt.Sprint("ratio ", ratio), func(t *testing.T) {
			var picks [2][]bool
			for i := range picks {
				tr := tracing.New(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder())),
					tracing.WithSampling(tracing.Sampling{Ratio: ratio}))
				for range n {
					ctx, done := tr.ObserveRefresh(context.Background())
					picks[i] = append(picks[i], ctx != context.Background())
					done(nil)
				}
			}
			got, same := 0, 0
			for j, p := range picks[0] {
				if p {
					got++
				}
				if p == picks[1][j] {
					same++
				}
			}
			mean, sd := n*ratio, math.Sqrt(n*ratio*(1-ratio))
			if math.Abs(float64(got)-mean) > 5*sd {
				t.Errorf("%d of %d roots recorded, want %.0f ± %.0f", got, n, mean, 5*sd)
			}
			if ratio == 0.5 && same == n {
				t.Error("two Tracers recorded the same roots")
			}
		})
	}
}
