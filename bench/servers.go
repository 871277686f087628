package bench

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/metrics"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/kenarkit/kenarkit/sdk/tracing"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/labstack/echo/v4"
	echomiddleware "github.com/oapi-codegen/echo-middleware"
)

// Key is the identification key every server is built with.
const Key = "bench-identification-key"

// Addon gives every server the same answers.
type Addon struct{}

var _ gen.StrictServerInterface = Addon{}

// LandingURL is what the init callback answers, plus the post token.
const LandingURL = "https://addon.example/landing?post="

// DataKey is the member of the callback's data every server's handlers
// read and answer with, as an add-on reads its button's data.
const DataKey = "your_key_1"

// Landing is the init callback's answer for a post token and the value of
// DataKey.
func Landing(postToken, value string) string {
	return LandingURL + postToken + "&k=" + url.QueryEscape(value)
}

// Text is the dynamic action's text_message for the value of DataKey.
func Text(value string) string { return "ok " + value }

func (Addon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return sdk.OpenURL(Landing(req.Body.PostToken, req.Body.Data().String(DataKey))), nil
}

func (Addon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	return sdk.Reply(sdk.OpenServerLink(sdk.Data{"step": "2"})).WithText(Text(req.Body.Data().String(DataKey))), nil
}

func (Addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return event.Ack{}, nil
}

// Kenarkit is (a): kenarkit's full server: key check, request id,
// validation, the strict handler, the answer. Its request log is off, as
// the peers have none; [KenarkitLogging] measures it on.
func Kenarkit() http.Handler { return kenarkit(slog.New(slog.DiscardHandler)) }

// KenarkitLogging is (a) with its request log on, formatted as text (to
// io.Discard).
func KenarkitLogging() http.Handler {
	return kenarkit(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// KenarkitObserved is (a) with metrics (sdk/metrics) and traces
// (sdk/tracing) on: every callback counted and timed, and given a span,
// every span sampled and handed to a batching processor whose exporter
// drops them.
func KenarkitObserved() http.Handler { return kenarkitObserved(1) }

// KenarkitMetrics is (a) with metrics on, and no traces.
func KenarkitMetrics() http.Handler {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		panic(err)
	}
	return kenarkitWith(slog.New(slog.DiscardHandler), m)
}

// KenarkitObservedSampled is (a+obs) keeping one trace in ten
// (OTEL_TRACES_SAMPLER=parentbased_traceidratio, OTEL_TRACES_SAMPLER_ARG=0.1):
// the tracer samples at the head, the provider records what it is given.
func KenarkitObservedSampled() http.Handler { return kenarkitObserved(0.1) }

// KenarkitObservedDefault is (a+obs) as the starter runs it by default
// with METRICS_ADDR and OTEL_EXPORTER_OTLP_ENDPOINT set (and -tags otlp):
// one trace in twenty (its defaultTraceRatio).
func KenarkitObservedDefault() http.Handler { return kenarkitObserved(0.05) }

// KenarkitObservedNone is (a+obs) recording no trace (ratio 0): the fixed
// cost the tracer adds to every callback, apart from the spans it
// records; (a+obs20) less this is the recorded spans' share.
func KenarkitObservedNone() http.Handler { return kenarkitObserved(0) }

// kenarkitObserved is (a) with metrics and traces on, as the starter
// wires them, recording that share of the traces.
func kenarkitObserved(ratio float64) http.Handler {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardSpans{}), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t := tracing.New(tp, tracing.WithSampling(tracing.Sampling{Ratio: ratio}))
	return kenarkitWith(slog.New(slog.DiscardHandler), server.Observers(m, t))
}

// discardSpans is an exporter that drops what it is given.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

func kenarkit(logger *slog.Logger) http.Handler { return kenarkitWith(logger, nil) }

func kenarkitWith(logger *slog.Logger, obs server.Observer) http.Handler {
	// The handler's budget is armed as always, a minute long: under
	// callgrind (bench/gate) on a loaded machine a request runs a hundred
	// times slower, and the default 2 s would answer 503.
	e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{Key}, Logger: logger, Observer: obs, HandlerTimeout: time.Minute}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(Addon{}, nil))
	if err != nil {
		panic(err)
	}
	return e
}

// Unvalidated is (b): the same echo strict server, stock echo, with no
// key check and no validation.
func Unvalidated() http.Handler {
	e := echo.New()
	gen.RegisterHandlers(e, gen.NewStrictHandler(Addon{}, nil))
	return e
}

// Stock is (c): the stock chain, echo + oapi-codegen's echo-middleware
// request validator on kin-openapi, with the key checked by kin's
// AuthenticationFunc, then the same strict server.
func Stock() http.Handler {
	spec, err := gen.GetSpec()
	if err != nil {
		panic(err)
	}
	spec.Servers = nil // echo-middleware matches the Host against servers otherwise
	e := echo.New()
	e.Use(echomiddleware.OapiRequestValidatorWithOptions(spec, &echomiddleware.Options{
		Options: openapi3filter.Options{
			MultiError: true,
			AuthenticationFunc: func(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
				return server.CheckKey(in.RequestValidationInput.Request.Header.Get("Authorization"), Key)
			},
		},
	}))
	gen.RegisterHandlers(e, gen.NewStrictHandler(Addon{}, nil))
	return e
}

// Bare is (e): net/http and encoding/json, with the key checked and the
// body decoded, but nothing validated.
func Bare() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /divar/open-server-link", func(w http.ResponseWriter, r *http.Request) {
		var req sdk.OpenServerLinkRequest
		if !bareDecode(w, r, &req) {
			return
		}
		bareAnswer(w, sdk.OpenURL(Landing(req.PostToken, req.Data().String(DataKey))))
	})
	mux.HandleFunc("POST /divar/dynamic-action", func(w http.ResponseWriter, r *http.Request) {
		var req sdk.DynamicActionRequest
		if !bareDecode(w, r, &req) {
			return
		}
		bareAnswer(w, sdk.Reply(sdk.OpenServerLink(sdk.Data{"step": "2"})).WithText(Text(req.Data().String(DataKey))))
	})
	return mux
}

func bareDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	if server.CheckKey(r.Header.Get("Authorization"), Key) != nil {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return false
	}
	return true
}

func bareAnswer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // as Divar documents the answers: "&" stays "&"
	_ = enc.Encode(v)
}

// Request is one benchmark request.
type Request struct {
	Name, Path, Body string
}

// Requests are the seeds of both callbacks and an init callback with a
// large extra_data (200 keys, about 20 KiB).
func Requests() []Request {
	var large strings.Builder
	large.WriteString(`{"return_url":"https://divar.ir/","source":"POST_ADDON","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"Supply","user_id":"6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI=","extra_data":{`)
	for i := range 200 {
		if i > 0 {
			large.WriteByte(',')
		}
		large.WriteString(`"key_` + itoa(i) + `":"` + strings.Repeat("v", 90) + `"`)
	}
	large.WriteString(`}}`)
	return []Request{
		{"openServerLink", "/divar/open-server-link", `{"return_url":"https://divar.ir/","source":"POST_ADDON","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"Supply","extra_data":{"your_key_1":"your value","your_key_2":"your value"},"user_id":"6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI="}`},
		{"dynamicAction", "/divar/dynamic-action", `{"touchpoint":"CHAT","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"SUPPLY","extra_data":{"your_key_1":"your value","your_key_2":"your value"}}`},
		{"largeExtraData", "/divar/open-server-link", large.String()},
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// NewRequest returns r as Divar sends it.
func NewRequest(r Request) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, "http://addon.example"+r.Path, strings.NewReader(r.Body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", Key)
	req.Header["API_VERSION"] = []string{"2"}
	return req
}
