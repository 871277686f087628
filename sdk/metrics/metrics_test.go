package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/metrics"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/kenarkit/kenarkit/sdk/tokens"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/oauth2"
)

// addon answers the seeds; a dynamic action whose data asks for it runs
// past its budget or panics.
type addon struct{ events *event.Mux }

func (addon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return sdk.OpenURL("https://addon.example.com/landing"), nil
}

func (addon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	switch req.Body.Data().String("do") {
	case "wait":
		<-ctx.Done() // the budget ends it
	case "panic":
		panic("the handler broke")
	}
	return sdk.TextMessage("ok"), nil
}

func (a addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return a.events.Handle(ctx, req.Body)
}

// fixture is an add-on observed by one Metrics, whose /metrics is served
// over loopback.
type fixture struct {
	m      *metrics.Metrics
	divar  *divartest.Divar
	scrape string // the /metrics URL
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	mux := &event.Mux{
		NewMessage: func(context.Context, *event.Event, *event.ChatMessage) error { return nil },
		Dedupe:     dedupe.NewMemory(dedupe.MemoryConfig{}),
		Observer:   m,
		Logger:     slog.New(slog.DiscardHandler),
	}
	s, err := server.New(server.Config{
		Spec: gen.GetSpec, Keys: []string{divartest.Key}, Logger: slog.New(slog.DiscardHandler),
		HandlerTimeout: 50 * time.Millisecond, Observer: m,
	}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(addon{events: mux}, nil))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	return &fixture{m: m, divar: divartest.New(t, gen.GetSpec, s), scrape: srv.URL}
}

// families scrapes /metrics over HTTP and parses it with Prometheus' own
// text parser.
func (f *fixture) families(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	rsp, err := http.Get(f.scrape)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	if ct := rsp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("/metrics is %q, want Prometheus' text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rsp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value is the metric's value with exactly these labels (a histogram's
// count), 0 when there is none.
func (f *fixture) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	fam := f.families(t)[name]
	if fam == nil {
		return 0
	}
	want := strings.Join(labels, ",")
	for _, m := range fam.GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(got)
		if strings.Join(got, ",") != want {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

func TestCallbacksAreCounted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		send   func(f *fixture)
		metric string
		labels []string
	}{
		{"an accepted init callback", func(f *fixture) { f.divar.OpenServerLink(divartest.OpenServerLink()) },
			"kenarkit_server_requests_total", []string{"operation=OpenServerLink", "status=200"}},
		{"its latency", func(f *fixture) { f.divar.OpenServerLink(divartest.OpenServerLink()) },
			"kenarkit_server_request_duration_seconds", []string{"operation=OpenServerLink"}},
		{"a wrong key", func(f *fixture) { f.divar.Refused(divartest.OpenServerLink().Key("wrong"), http.StatusUnauthorized) },
			"kenarkit_server_refusals_total", []string{"operation=OpenServerLink", "reason=key"}},
		{"a wrong key's status", func(f *fixture) { f.divar.Refused(divartest.OpenServerLink().Key("wrong"), http.StatusUnauthorized) },
			"kenarkit_server_requests_total", []string{"operation=OpenServerLink", "status=401"}},
		{"a body that breaks the schema", func(f *fixture) { f.divar.Refused(divartest.OpenServerLink().Body(`[1]`), http.StatusBadRequest) },
			"kenarkit_server_refusals_total", []string{"operation=OpenServerLink", "reason=schema"}},
		{"a handler over its budget", func(f *fixture) {
			f.divar.Refused(divartest.DynamicAction().Data(sdk.Data{"do": "wait"}), http.StatusServiceUnavailable)
		}, "kenarkit_server_over_budget_total", []string{"operation=DynamicAction"}},
		{"a handler over its budget's status", func(f *fixture) {
			f.divar.Refused(divartest.DynamicAction().Data(sdk.Data{"do": "wait"}), http.StatusServiceUnavailable)
		}, "kenarkit_server_requests_total", []string{"operation=DynamicAction", "status=503"}},
		{"a panicking handler", func(f *fixture) {
			f.divar.Refused(divartest.DynamicAction().Data(sdk.Data{"do": "panic"}), http.StatusInternalServerError)
		}, "kenarkit_server_panics_total", []string{"operation=DynamicAction"}},
		{"a handled event", func(f *fixture) { f.divar.Event(divartest.Event(event.TypeNewMessage)) },
			"kenarkit_events_total", []string{"outcome=handled", "type=NEW_MESSAGE"}},
		{"a duplicate event", func(f *fixture) {
			f.divar.Event(divartest.Event(event.TypeNewMessage))
			f.divar.Event(divartest.Event(event.TypeNewMessage))
		}, "kenarkit_events_total", []string{"outcome=duplicate", "type=NEW_MESSAGE"}},
		{"an event nobody handles", func(f *fixture) { f.divar.Event(divartest.Event(event.TypePostUpdate)) },
			"kenarkit_events_total", []string{"outcome=ignored", "type=POST_UPDATE"}},
		{"an event of a type kenarkit does not know", func(f *fixture) { f.divar.Event(divartest.Event("SOMETHING_NEW")) },
			"kenarkit_events_total", []string{"outcome=ignored", "type=other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if got := f.value(t, tc.metric, tc.labels...); got != 0 {
				t.Fatalf("%s%v is %v before, want 0", tc.metric, tc.labels, got)
			}
			tc.send(f)
			if got := f.value(t, tc.metric, tc.labels...); got != 1 {
				t.Errorf("%s%v = %v after, want 1", tc.metric, tc.labels, got)
			}
		})
	}
}

func TestCallsToDivarAreCounted(t *testing.T) {
	const post = "gZd7omnS"
	for _, tc := range []struct {
		name   string
		fault  divartest.Fault
		metric string
		labels []string
		want   float64
	}{
		{"a call", divartest.Fault{}, "kenarkit_divar_calls_total", []string{"operation=Finder_GetPost", "status=200"}, 1},
		{"its latency", divartest.Fault{}, "kenarkit_divar_call_duration_seconds", []string{"operation=Finder_GetPost"}, 1},
		{"a retried call", divartest.ServerError(http.StatusServiceUnavailable), "kenarkit_divar_retries_total", []string{"operation=Finder_GetPost", "status=503"}, 1},
		{"a retried call's end", divartest.ServerError(http.StatusServiceUnavailable), "kenarkit_divar_calls_total", []string{"operation=Finder_GetPost", "status=200"}, 1},
		{"a rate-limited call", divartest.TooManyRequests(0), "kenarkit_divar_rate_limited_waits_total", []string{"operation=Finder_GetPost"}, 1},
		{"a rate-limited call's retry", divartest.TooManyRequests(0), "kenarkit_divar_retries_total", []string{"operation=Finder_GetPost", "status=429"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			api := divartest.NewAPI(t)
			api.AddPost("owner", divar.Post{Token: post, Category: "apartment-sell", City: "tehran", State: "PUBLISHED"})
			c, err := api.Client(divar.Config{Observer: f.m})
			if err != nil {
				t.Fatal(err)
			}
			if tc.fault != (divartest.Fault{}) {
				api.FailNext(1, tc.fault)
			}
			if _, err := c.Post(context.Background(), post); err != nil {
				t.Fatal(err)
			}
			if got := f.value(t, tc.metric, tc.labels...); got != tc.want {
				t.Errorf("%s%v = %v, want %v", tc.metric, tc.labels, got, tc.want)
			}
		})
	}
}

func TestAFailedRefreshIsCounted(t *testing.T) {
	f := newFixture(t)
	// Divar's token endpoint refuses the refresh token, as Hydra does a
	// rotated one.
	hydra := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"rotated"}`)
	}))
	t.Cleanup(hydra.Close)
	sealer, err := seal.New()
	if err != nil {
		t.Fatal(err)
	}
	k, err := tokens.New(tokens.Config{ClientID: "app", ClientSecret: "s", TokenURL: hydra.URL, Sealer: sealer,
		Logger: slog.New(slog.DiscardHandler), Observer: f.m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	ctx := context.Background()
	if err := k.Save(ctx, "u1", &oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.TokenSource(ctx, "u1").Token(); !errors.Is(err, tokens.ErrReconsent) {
		t.Fatalf("Token: %v, want ErrReconsent", err)
	}
	for _, tc := range []struct {
		metric string
		labels []string
	}{
		{"kenarkit_token_refreshes_total", []string{"outcome=failed"}},
		{"kenarkit_token_reconsents_needed_total", nil},
	} {
		if got := f.value(t, tc.metric, tc.labels...); got != 1 {
			t.Errorf("%s%v = %v, want 1", tc.metric, tc.labels, got)
		}
	}
	if got := f.value(t, "kenarkit_token_refreshes_total", "outcome=ok"); got != 0 {
		t.Errorf("a refused refresh counted as ok: %v", got)
	}
}

func TestNoLabelTakesAnIdentifier(t *testing.T) {
	f := newFixture(t)
	f.divar.OpenServerLink(divartest.OpenServerLink().PostToken("gZd7omnS").UserID("user-xyz"))
	f.divar.Event(divartest.Event(event.TypeNewMessage).ConversationID("conv-xyz"))
	allowed := map[string]bool{"operation": true, "status": true, "reason": true, "type": true, "outcome": true}
	for name, fam := range f.families(t) {
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if !allowed[l.GetName()] {
					t.Errorf("%s has label %s", name, l.GetName())
				}
				if v := l.GetValue(); strings.Contains(v, "gZd7omnS") || strings.Contains(v, "xyz") {
					t.Errorf("%s{%s=%q} carries an identifier", name, l.GetName(), v)
				}
			}
		}
	}
}

func TestNewRefusesATakenRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg); err == nil {
		t.Error("a second Metrics on the same registry: no error")
	}
	if _, err := metrics.New(nil); err == nil {
		t.Error("no registry: no error")
	}
}
