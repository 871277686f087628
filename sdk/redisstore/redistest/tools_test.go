package redistest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recordingTB records how a helper skipped or failed the test, and ends
// the helper's goroutine as testing.T does.
type recordingTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Skip(args ...any) {
	r.skipped, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recordingTB) Fatal(args ...any) {
	r.failed, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}

// TestLookToolsNamesTheMissingTool: without redis-cli (or redis-server) on
// the PATH, a cluster or Sentinel test is skipped, or fails with
// KENARKIT_REDIS=1, saying which of the two is missing, not that
// redis-server is when only redis-cli is.
func TestLookToolsNamesTheMissingTool(t *testing.T) {
	for _, tc := range []struct {
		name      string
		installed string // the one tool on the PATH
		redisEnv  string
		skipped   bool
		want      string
	}{
		{"no redis-cli: skipped", "redis-server", "", true, "no redis-cli on the PATH"},
		{"no redis-server: skipped", "redis-cli", "", true, "no redis-server on the PATH"},
		{"no redis-cli, KENARKIT_REDIS=1: failed", "redis-server", "1", false, "no redis-cli on the PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.installed), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("PATH", dir)
			t.Setenv("KENARKIT_REDIS", tc.redisEnv)
			rec := &recordingTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				lookTools(rec)
			}()
			<-done
			if rec.skipped != tc.skipped || rec.failed == tc.skipped {
				t.Fatalf("skipped %v, failed %v; want skipped %v", rec.skipped, rec.failed, tc.skipped)
			}
			if !strings.Contains(rec.msg, tc.want) {
				t.Errorf("said %q, want it to say %q", rec.msg, tc.want)
			}
		})
	}
}
