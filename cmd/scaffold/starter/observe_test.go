package main

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kenarkit/kenarkit/sdk/divartest"

	"github.com/kenarkit/kenarkit/cmd/scaffold/starter/gen"
)

// With METRICS_ADDR the add-on serves /metrics there, in Prometheus' text
// format, counting the callbacks Divar made; never on the port Divar
// calls.
func TestMetricsAreServedOnTheirOwnAddress(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port, logs, done := startRun(ctx, t, env("PORT", "0", "METRICS_ADDR", "127.0.0.1:0", "KENAR_IDENTIFICATION_KEY", divartest.Key))
	m := regexp.MustCompile(`msg="serving metrics" url=(\S+)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no line says where the metrics are:\n%s", logs)
	}
	addon := "http://127.0.0.1:" + port
	divartest.Dial(t, gen.GetSpec, addon).OpenServerLink(divartest.OpenServerLink())

	fams := scrape(t, m[1])
	if got := counter(fams["kenarkit_server_requests_total"], "OpenServerLink", "200"); got != 1 {
		t.Errorf("kenarkit_server_requests_total{operation=OpenServerLink,status=200} = %v, want 1", got)
	}
	if fams["go_goroutines"] == nil || fams["process_cpu_seconds_total"] == nil {
		t.Error("no Go runtime or process metrics")
	}
	if status, _ := getStatus(t, addon+"/metrics"); status != http.StatusNotFound {
		t.Errorf("/metrics on the port Divar calls: %d, want 404", status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

// scrape GETs url and parses it with Prometheus' own text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	rsp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rsp.Body)
	if err != nil {
		t.Fatalf("%s does not parse: %v", url, err)
	}
	return fams
}

// counter is the family's counter whose label values are values, in order.
func counter(fam *dto.MetricFamily, values ...string) float64 {
	for _, m := range fam.GetMetric() {
		labels := m.GetLabel()
		if len(labels) != len(values) {
			continue
		}
		match := true
		for i, l := range labels {
			match = match && l.GetValue() == values[i]
		}
		if match {
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
