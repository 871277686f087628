package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// devAddon is an add-on for dev to run: it answers its version and the
// environment dev gave it, and starts a child process (as an add-on may),
// whose pid it writes under $DEVTEST_PIDS.
const devAddon = `package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

func main() {
	child := exec.Command("sleep", "300")
	if err := child.Start(); err != nil {
		panic(err)
	}
	os.WriteFile(filepath.Join(os.Getenv("DEVTEST_PIDS"), strconv.Itoa(child.Process.Pid)), nil, 0o644)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "VERSION %s %s %s %s", os.Getenv("PUBLIC_URL"), os.Getenv("KENAR_API_URL"), os.Getenv("KENAR_OAUTH_URL"), os.Getenv("KENAR_APP_SLUG"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

// TestDevRebuildsAndStopsEverything runs dev on a small add-on, a real
// process that starts a child of its own: the add-on gets the local
// Divar's environment, is rebuilt and restarted when a Go file changes
// (its child stopped with it), and Ctrl-C (the command's context ending,
// as signal.NotifyContext ends it in main) stops the add-on, its child and
// the playground.
func TestDevRebuildsAndStopsEverything(t *testing.T) {
	dir, pids := t.TempDir(), t.TempDir()
	t.Setenv("DEVTEST_PIDS", pids)
	write := func(version string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(strings.Replace(devAddon, "VERSION", version, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module devaddon\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write("v1")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addonURL := "http://127.0.0.1:" + strconv.Itoa(port)

	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runDev(ctx, []string{"--dir", dir, "--listen", "127.0.0.1:0", "--port", strconv.Itoa(port), "--poll", "20ms"}, &stdout, &stderr)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dev's output:\n%s\n%s", stdout.String(), stderr.String())
		}
	})

	first := waitAnswer(t, addonURL, "v1 ")
	fields := strings.Fields(first)
	if len(fields) != 5 || fields[1] != addonURL || !strings.HasPrefix(fields[2], "http://127.0.0.1:") ||
		!strings.HasPrefix(fields[3], "http://127.0.0.1:") || fields[4] != "playground" {
		t.Errorf("the add-on's environment (PUBLIC_URL, KENAR_API_URL, KENAR_OAUTH_URL, KENAR_APP_SLUG) is %q", first)
	}
	playgroundURL, ok := strings.CutPrefix(strings.TrimSpace(stdout.String()), "playground: ")
	if !ok || strings.Contains(playgroundURL, "\n") {
		t.Fatalf("dev printed %q, want one line: the playground's address", stdout.String())
	}
	if page := get(t, playgroundURL); !strings.Contains(page, "زمین بازی") {
		t.Errorf("the playground's address answers:\n%s", page)
	}
	firstChildren := children(t, pids)

	write("v2")
	waitAnswer(t, addonURL, "v2 ")
	for _, pid := range firstChildren {
		waitGone(t, pid)
	}

	interrupt()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev ended with %v after Ctrl-C", err)
		}
	case <-time.After(30 * time.Second): // a bound on a hang
		t.Fatal("dev did not end within 30 s of Ctrl-C")
	}
	if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
		c.Close()
		t.Error("the add-on still listens after Ctrl-C")
	}
	for _, pid := range children(t, pids) {
		waitGone(t, pid)
	}
	if _, err := http.Get(playgroundURL); err == nil {
		t.Error("the playground still answers after Ctrl-C")
	}
}

func TestDevRefusesBadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no module", []string{"--dir", t.TempDir()}, "is in no Go module"},
		{"addon not a URL", []string{"--addon", "localhost:8080"}, "is not an http(s) URL"},
		{"a stray argument", []string{"now"}, `unexpected "now"`},
		{"a bad port", []string{"--port", "70000"}, "is not a port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), append([]string{"dev"}, tt.args...), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tt.want)
			}
		})
	}
}

// TestDevRemotePrintsTheVariables plays Divar for an add-on running
// elsewhere: dev prints the playground and the variables to set.
func TestDevRemotePrintsTheVariables(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runDev(ctx, []string{"--addon", "https://abc.trycloudflare.com", "--listen", "127.0.0.1:0", "--key", "dev-key"}, &stdout, &stderr)
	}()
	want := []string{"playground: http://127.0.0.1:", "export KENAR_IDENTIFICATION_KEY=dev-key", "export KENAR_API_URL=http://127.0.0.1:",
		"export KENAR_OAUTH_URL=", "export KENAR_API_KEY=", "export KENAR_APP_SLUG=playground", "export KENAR_OAUTH_SECRET=",
		"export PUBLIC_URL=https://abc.trycloudflare.com"}
	eventually(t, "dev prints the variables", func() bool { return strings.Contains(stdout.String(), "PUBLIC_URL") })
	for _, w := range want {
		if !strings.Contains(stdout.String(), w) {
			t.Errorf("dev --addon printed no %q:\n%s", w, stdout.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

// waitAnswer polls url until its body starts with prefix, and returns it.
func waitAnswer(t *testing.T, url, prefix string) string {
	t.Helper()
	var body string
	eventually(t, url+" answers "+prefix, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		return strings.HasPrefix(body, prefix)
	})
	return body
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// children returns the pids the add-ons wrote.
func children(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil {
			pids = append(pids, pid)
		}
	}
	if len(pids) == 0 {
		t.Fatal("the add-on started no child")
	}
	return pids
}

// waitGone waits until pid has ended (a zombie, not yet reaped by init
// in a container, counts as ended).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	eventually(t, "process "+strconv.Itoa(pid)+" ends", func() bool {
		if syscall.Kill(pid, 0) != nil {
			return true
		}
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		return err != nil || strings.Contains(string(stat), ") Z ")
	})
}

// eventually polls cond until it holds, failing the test after a minute:
// a bound on a hang (a build on a busy machine), not a timing assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within a minute: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer dev writes to while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
