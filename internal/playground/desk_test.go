package playground

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// TestDesk: the testing.TB divartest's fakes run under outside a test logs
// what they report, stops on Fatal as testing.T does, and cleans up last
// first when the playground closes.
func TestDesk(t *testing.T) {
	var logs bytes.Buffer
	d := &desk{logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), ctx: t.Context()}
	d.Helper()
	d.Logf("a %s", "note")
	d.Errorf("a %s", "problem")
	if !strings.Contains(logs.String(), `level=DEBUG msg="a note"`) || !strings.Contains(logs.String(), `level=WARN msg="a problem"`) {
		t.Errorf("logged:\n%s", logs.String())
	}
	var order []int
	d.Cleanup(func() { order = append(order, 1) })
	d.Cleanup(func() { order = append(order, 2) })
	dir := d.TempDir()
	func() {
		defer func() {
			if r := recover(); r != deskFatal("cannot start") {
				t.Errorf("Fatal panicked with %v", r)
			}
		}()
		d.Fatal("cannot start")
	}()
	d.close()
	if len(order) != 2 || order[0] != 2 || order[1] != 1 {
		t.Errorf("cleanups ran in the order %v, want [2 1]", order)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the temporary directory is still there: %v", err)
	}
	if d.Failed() || d.Name() != "playground" || d.Context() != t.Context() {
		t.Error("Failed, Name or Context")
	}
}
