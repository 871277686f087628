//go:build otlp

package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/divartest"

	"github.com/kenarkit/kenarkit/cmd/scaffold/starter/gen"
)

// Built with traces, the add-on sends a callback's spans over OTLP/HTTP to
// OTEL_EXPORTER_OTLP_ENDPOINT (here a collector on loopback), at the
// latest when it stops, sampled as OTEL_TRACES_SAMPLER says.
func TestTracesAreSentToTheCollector(t *testing.T) {
	sent := make(chan string, 16)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type")
	}))
	defer collector.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port, logs, done := startRun(ctx, t, env("PORT", "0", "OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL,
		"OTEL_TRACES_SAMPLER", "parentbased_always_on", "KENAR_IDENTIFICATION_KEY", divartest.Key))
	divartest.Dial(t, gen.GetSpec, "http://127.0.0.1:"+port).OpenServerLink(divartest.OpenServerLink())
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	select {
	case got := <-sent:
		if want := "POST /v1/traces application/x-protobuf"; got != want {
			t.Errorf("the collector got %q, want %q", got, want)
		}
	default:
		t.Errorf("no span reached the collector:\n%s", logs)
	}
	if !strings.Contains(logs.String(), `msg="sending traces" sampler=parentbased_always_on`) {
		t.Errorf("no line says how traces are sampled:\n%s", logs)
	}
}

// A sampler the add-on does not know stops it at start: traces are never
// sampled other than as asked.
func TestAnUnknownSamplerStopsTheStart(t *testing.T) {
	err := run(context.Background(), env("PORT", "0", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318",
		"OTEL_TRACES_SAMPLER", "jaeger_remote", "KENAR_IDENTIFICATION_KEY", divartest.Key), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "OTEL_TRACES_SAMPLER") {
		t.Errorf("run: %v, want an error naming OTEL_TRACES_SAMPLER", err)
	}
}
