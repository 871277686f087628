package metrics_test

import (
	"os/exec"
	"strings"
	"testing"
)

// An add-on that imports neither sdk/metrics nor sdk/tracing links
// nothing of Prometheus or OpenTelemetry: not the examples, not the rooms
// whose Observer fields the two implement. The starter, which imports
// both, links both.
func TestAnAddOnThatImportsNeitherLinksNeither(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	heavy := []string{"github.com/prometheus/", "go.opentelemetry.io/", "github.com/kenarkit/kenarkit/sdk/metrics", "github.com/kenarkit/kenarkit/sdk/tracing"}
	for _, tc := range []struct {
		name  string
		pkgs  []string
		links bool
	}{
		{"the examples", []string{"github.com/kenarkit/kenarkit/examples/..."}, false},
		{"the rooms", []string{"github.com/kenarkit/kenarkit/sdk", "github.com/kenarkit/kenarkit/sdk/event", "github.com/kenarkit/kenarkit/sdk/server", "github.com/kenarkit/kenarkit/sdk/divar",
			"github.com/kenarkit/kenarkit/sdk/tokens", "github.com/kenarkit/kenarkit/sdk/consent", "github.com/kenarkit/kenarkit/sdk/addonenv"}, false},
		{"the starter", []string{"github.com/kenarkit/kenarkit/cmd/scaffold/starter"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command("go", append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, tc.pkgs...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			deps := strings.Fields(string(out))
			for _, h := range heavy {
				found := ""
				for _, d := range deps {
					if strings.HasPrefix(d, h) {
						found = d
						break
					}
				}
				if tc.links && found == "" {
					t.Errorf("%s links nothing of %s", tc.name, h)
				}
				if !tc.links && found != "" {
					t.Errorf("%s link %s", tc.name, found)
				}
			}
		})
	}
}
