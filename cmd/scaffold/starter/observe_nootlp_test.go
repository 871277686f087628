//go:build !otlp

package main

import (
	"context"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// Built without traces (no -tags otlp), an add-on asked for them by
// OTEL_EXPORTER_OTLP_ENDPOINT says so in one error line, naming the build
// tag, and serves all the same.
func TestTracesAskedOfABuildWithoutThemSaySo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, logs, done := startRun(ctx, t, env("PORT", "0", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", "KENAR_IDENTIFICATION_KEY", divartest.Key))
	const line = `level=ERROR msg="OTEL_EXPORTER_OTLP_ENDPOINT is set, but this build sends no traces: build with -tags otlp `
	if n := strings.Count(logs.String(), line); n != 1 {
		t.Errorf("%d lines say the build has no traces, want 1:\n%s", n, logs)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
