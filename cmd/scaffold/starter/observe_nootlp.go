//go:build !otlp

package main

import (
	"context"
	"log/slog"
)

// startTraces, in a build without traces (no -tags otlp), says so in one
// error line when OTEL_EXPORTER_OTLP_ENDPOINT asks for them, and starts
// without: the add-on serves all the same.
func startTraces(_ config, logger *slog.Logger) (any, func(context.Context) error, error) {
	logger.Error(otlpEndpointVar+" is set, but this build sends no traces: build with -tags otlp "+
		"(go build -tags otlp, or docker build --build-arg GO_TAGS=otlp)", slog.String("traces", "off"))
	return nil, nil, nil
}
