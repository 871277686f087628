package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/metrics"
)

// The variables that switch metrics and traces on; both are off unless set.
const (
	metricsAddrVar  = "METRICS_ADDR"
	otlpEndpointVar = "OTEL_EXPORTER_OTLP_ENDPOINT"
)

// observability is what the add-on tells of itself: Prometheus metrics
// served at /metrics on METRICS_ADDR, and OpenTelemetry traces sent to
// OTEL_EXPORTER_OTLP_ENDPOINT when the add-on is built with traces (-tags
// otlp: observe_otlp.go). A nil *observability tells nothing.
type observability struct {
	metrics *metrics.Metrics // nil without METRICS_ADDR
	all     []any            // the observers: the metrics, the tracer
	srv     *http.Server     // serves /metrics
	ln      net.Listener
	// stopTraces sends the spans not yet sent and stops; nil without
	// traces.
	stopTraces func(context.Context) error
	logger     *slog.Logger
}

// newObservability listens on cfg.MetricsAddr and starts the tracer
// provider, as configured; it returns nil when neither is.
func newObservability(cfg config, logger *slog.Logger) (*observability, error) {
	if cfg.MetricsAddr == "" && cfg.OTLPEndpoint == "" {
		return nil, nil
	}
	o := &observability{logger: logger}
	if cfg.MetricsAddr != "" {
		reg := prometheus.NewRegistry() // the add-on's own: each run has its own
		m, err := metrics.New(reg)
		if err != nil {
			return nil, err
		}
		if o.ln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return nil, fmt.Errorf("%s: %w", metricsAddrVar, err)
		}
		mux := http.NewServeMux()
		// The Go runtime's and the process's metrics (go_…, process_…) are
		// the collectors client_golang registers in its default registry;
		// served from there beside the add-on's own, rather than registered
		// again from prometheus/collectors, whose DB stats collector brings
		// database/sql into the build (issue 23: the cold build).
		mux.Handle("GET /metrics", promhttp.HandlerFor(prometheus.Gatherers{prometheus.DefaultGatherer, reg}, promhttp.HandlerOpts{}))
		o.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		o.metrics, o.all = m, append(o.all, m)
	}
	if cfg.OTLPEndpoint != "" {
		tracer, stop, err := startTraces(cfg, logger)
		if err != nil {
			o.close(context.Background())
			return nil, err
		}
		if tracer != nil {
			o.all, o.stopTraces = append(o.all, tracer), stop
		}
	}
	return o, nil
}

// serve serves /metrics until close.
func (o *observability) serve() {
	if o == nil || o.srv == nil {
		return
	}
	logger := o.logger
	logger.Info("serving metrics", slog.String("url", "http://"+o.ln.Addr().String()+"/metrics"))
	go func() {
		if err := o.srv.Serve(o.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("serving metrics", slog.String("error", err.Error()))
		}
	}()
}

// close stops serving /metrics and sends the spans not yet sent; a
// collector that cannot take them is logged, no reason to fail.
func (o *observability) close(ctx context.Context) {
	if o == nil {
		return
	}
	if o.srv != nil {
		_ = o.srv.Shutdown(ctx)
	} else if o.ln != nil {
		_ = o.ln.Close()
	}
	if o.stopTraces != nil {
		if err := o.stopTraces(ctx); err != nil {
			o.logger.Warn("traces not sent at shutdown", slog.String("error", err.Error()))
		}
	}
}

// observers returns the observers of type O (a room's Observer
// interface), for that room's join (server.Observers, …).
func observers[O any](o *observability) []O {
	if o == nil {
		return nil
	}
	var out []O
	for _, x := range o.all {
		if v, ok := x.(O); ok {
			out = append(out, v)
		}
	}
	return out
}

// loadObservability reads METRICS_ADDR and OTEL_EXPORTER_OTLP_ENDPOINT
// into cfg; METRICS_ADDR may not be the port Divar calls.
func loadObservability(cfg *config, getenv func(string) string) error {
	cfg.MetricsAddr = strings.TrimSpace(getenv(metricsAddrVar))
	cfg.OTLPEndpoint = strings.TrimSpace(getenv(otlpEndpointVar))
	if cfg.MetricsAddr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("%s must be host:port or :port, such as :9090: %w", metricsAddrVar, err)
	}
	divarPort := cfg.Port
	if divarPort == "" {
		divarPort = addonenv.DefaultPort
	}
	if port == divarPort && port != "0" {
		return fmt.Errorf("%s must not be %s, the port Divar calls: serve the metrics on a port of their own", metricsAddrVar, addonenv.PortVar)
	}
	return nil
}

// consentObserver is the metrics, the one observer of consents; nil
// without METRICS_ADDR.
func consentObserver(o *observability) consent.Observer {
	if o == nil || o.metrics == nil {
		return nil
	}
	return o.metrics
}
