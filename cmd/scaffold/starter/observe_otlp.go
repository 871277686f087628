//go:build otlp

// Traces, built in with -tags otlp: the OpenTelemetry SDK and its OTLP/HTTP
// exporter (with protobuf and gRPC's status types) cost a cold build about
// 40 CPU-seconds and the binary 2 MB, so the default build links none of
// them (observe_nootlp.go).

package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/kenarkit/kenarkit/sdk/tracing"
)

// defaultTraceRatio is the share of traces recorded when
// OTEL_TRACES_SAMPLER is unset: one in twenty, parent-based (a callback
// that comes with a sampled traceparent is always recorded). A recorded
// callback costs about 15% more instructions than the callback itself, one
// not recorded next to nothing; one in twenty keeps metrics and traces
// together within 5% of a callback (docs/BENCHMARKS.md of kenarkit), and
// still records a few traces a second at a few dozen callbacks a second.
const defaultTraceRatio = 0.05

// startTraces starts the tracer provider that sends spans over OTLP/HTTP
// to cfg.OTLPEndpoint, sampled at the head as OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG say (parentbased_traceidratio 0.05 unset), and
// returns its tracer and the function that sends what is left and stops.
func startTraces(cfg config, logger *slog.Logger) (any, func(context.Context) error, error) {
	sampling, err := tracing.SamplingFromEnv(cfg.getenv, defaultTraceRatio)
	if err != nil {
		return nil, nil, err
	}
	// The exporter reads the other OTEL_EXPORTER_OTLP_* variables
	// (headers, timeout, TLS), and the provider OTEL_SERVICE_NAME, as
	// OpenTelemetry documents them. The tracer samples; the provider
	// records every span the tracer starts.
	// OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL: the
	// traces go to its /v1/traces, as OpenTelemetry specifies.
	endpoint := strings.TrimSuffix(cfg.OTLPEndpoint, "/") + "/v1/traces"
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", otlpEndpointVar, err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	logger.Info("sending traces", slog.String("sampler", sampling.String()))
	return tracing.New(tp, tracing.WithSampling(sampling)), tp.Shutdown, nil
}
