package event_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The rooms' imports keep ARCHITECTURE.md's rules: gen imports only the
// vocabulary (sdk and sdk/event), sdk never imports sdk/event, and
// sdk/event imports neither direction nor a state room but dedupe.
func TestTheEventRoomsImports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const kk = "github.com/kenarkit/kenarkit/"
	for _, tc := range []struct {
		pkg     string
		allowed []string // the only kenarkit packages it may import
	}{
		{"gen", []string{"sdk", "sdk/event"}},
		{"sdk", []string{"internal/check", "internal/jsonscan", "internal/refusal"}},
		{"sdk/event", []string{"sdk", "sdk/dedupe", "internal/observers", "internal/refusal"}},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, kk+tc.pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, imp := range strings.Fields(string(out)) {
				if rest, ok := strings.CutPrefix(imp, kk); ok && !slices.Contains(tc.allowed, rest) {
					t.Errorf("%s imports %s; it may import only %v of kenarkit", tc.pkg, rest, tc.allowed)
				}
			}
		})
	}
}
