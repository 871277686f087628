package metrics_test

import (
	"os/exec"
	"strings"
	"testing"
)

// An add-on that imports neither sdk/metrics nor sdk/tracing links
// nothing of Prometheus or OpenTelemetry: not the examples, not the rooms
// whose Observer fields the two implement. The starter links Prometheus
// and no OpenTelemetry package by default, and both with -tags otlp, the
// build with traces, which vets clean (so that the tagged files cannot
// rot unseen).
func TestAnAddOnThatImportsNeitherLinksNeither(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const (
		starter = "github.com/kenarkit/kenarkit/cmd/scaffold/starter"
		metrics = "github.com/kenarkit/kenarkit/sdk/metrics"
		tracing = "github.com/kenarkit/kenarkit/sdk/tracing"
	)
	prometheus := []string{"github.com/prometheus/", metrics}
	otel := []string{"go.opentelemetry.io/", tracing}
	for _, tc := range []struct {
		name         string
		tags         string
		pkgs         []string
		links, never []string
	}{
		{"the examples", "", []string{"github.com/kenarkit/kenarkit/examples/..."}, nil, append(prometheus, otel...)},
		{"the rooms", "", []string{"github.com/kenarkit/kenarkit/sdk", "github.com/kenarkit/kenarkit/sdk/event", "github.com/kenarkit/kenarkit/sdk/server", "github.com/kenarkit/kenarkit/sdk/divar",
			"github.com/kenarkit/kenarkit/sdk/tokens", "github.com/kenarkit/kenarkit/sdk/consent", "github.com/kenarkit/kenarkit/sdk/addonenv",
			"github.com/kenarkit/kenarkit/sdk/redisstore"}, nil, append(prometheus, otel...)},
		{"the metrics", "", []string{metrics}, prometheus, append([]string{"github.com/redis/"}, otel...)},
		{"the starter", "", []string{starter}, prometheus, otel},
		{"the starter with traces", "otlp", []string{starter}, append(prometheus, otel...), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command("go", append([]string{"list", "-deps", "-tags", tc.tags, "-f", "{{.ImportPath}}"}, tc.pkgs...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			deps := strings.Fields(string(out))
			find := func(prefix string) string {
				for _, d := range deps {
					if strings.HasPrefix(d, prefix) {
						return d
					}
				}
				return ""
			}
			for _, p := range tc.links {
				if find(p) == "" {
					t.Errorf("%s links nothing of %s", tc.name, p)
				}
			}
			for _, p := range tc.never {
				if d := find(p); d != "" {
					t.Errorf("%s link %s", tc.name, d)
				}
			}
		})
	}
	t.Run("the starter with traces vets clean", func(t *testing.T) {
		if out, err := exec.Command("go", "vet", "-tags", "otlp", starter).CombinedOutput(); err != nil {
			t.Errorf("go vet -tags otlp: %v\n%s", err, out)
		}
	})
}
