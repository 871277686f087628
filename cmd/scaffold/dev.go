package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kenarkit/kenarkit/internal/playground"
)

const devUsage = `Usage: scaffold dev [--dir DIR] [--listen ADDR] [--port PORT]
       scaffold dev --addon URL [--listen ADDR] [--key KEY]

Runs the add-on in DIR against a local Divar and prints one address, the
playground: a page (Persian, right to left, phone width first) with the post
and the post add-ons the add-on creates, its chat bot, a conversation about
the post, Divar's events, and a log of every call between Divar and the
add-on, with Divar's verdict. Every button works as in Divar: taps reach the
add-on's callbacks, consent goes through a local OAuth page.

The add-on is built with 'go build' and started with KENAR_API_URL,
KENAR_OAUTH_URL, KENAR_API_KEY, KENAR_APP_SLUG, KENAR_OAUTH_SECRET,
KENAR_IDENTIFICATION_KEY, PUBLIC_URL, PORT and SESSION_KEYS pointing at the
local Divar; it is rebuilt and restarted when its files change (Go files,
go.mod, go.sum, and the .html, .css, .js and .yaml it may embed; a build
that fails keeps the running one). Ctrl-C stops everything dev started.

Flags:
  --dir DIR      the add-on's main package, in a Go module (default .)
  --listen ADDR  where the playground listens (default 127.0.0.1:8790)
  --port PORT    the port the add-on listens on (default: a free one)
  --addon URL    play Divar for an add-on already running at URL (behind a
                 tunnel, say): nothing is built or started; dev prints the
                 variables to set in its environment
  --key KEY      with --addon, the identification key Divar sends (default
                 $KENAR_IDENTIFICATION_KEY, else a random one to set)
  --poll D       how often the files are checked for changes (default 500ms)
`

// devConfig is what `scaffold dev` runs.
type devConfig struct {
	dir, listen, addon, key string
	port                    int
	poll                    time.Duration
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c devConfig
	fset := flag.NewFlagSet("scaffold dev", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	fset.StringVar(&c.dir, "dir", ".", "")
	fset.StringVar(&c.listen, "listen", "127.0.0.1:8790", "")
	fset.StringVar(&c.addon, "addon", "", "")
	fset.StringVar(&c.key, "key", firstKey(os.Getenv("KENAR_IDENTIFICATION_KEY")), "")
	fset.IntVar(&c.port, "port", 0, "")
	fset.DurationVar(&c.poll, "poll", 500*time.Millisecond, "")
	rest, err := parseInterspersed(fset, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, devUsage)
			return errHelpShown
		}
		return fmt.Errorf("scaffold: dev: %v (run 'scaffold help dev'): %w", err, errUsage)
	}
	switch {
	case len(rest) > 0:
		return fmt.Errorf("scaffold: dev: unexpected %q (run 'scaffold help dev'): %w", rest[0], errUsage)
	case c.poll <= 0:
		return fmt.Errorf("scaffold: dev: --poll must be positive: %w", errUsage)
	case c.port < 0 || c.port > 65535:
		return fmt.Errorf("scaffold: dev: --port %d is not a port: %w", c.port, errUsage)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if c.addon != "" {
		return devRemote(ctx, c, logger, stdout)
	}
	return devLocal(ctx, c, logger, stdout, stderr)
}

// devRemote plays Divar for an add-on running elsewhere.
func devRemote(ctx context.Context, c devConfig, logger *slog.Logger, stdout io.Writer) error {
	if !strings.HasPrefix(c.addon, "http://") && !strings.HasPrefix(c.addon, "https://") {
		return fmt.Errorf("scaffold: dev: --addon %q is not an http(s) URL: %w", c.addon, errUsage)
	}
	p, err := playground.Start(playground.Config{Addr: c.listen, AddonURL: c.addon, Key: c.key, Logger: logger})
	if err != nil {
		return fmt.Errorf("scaffold: dev: %w", err)
	}
	defer p.Close()
	fmt.Fprintf(stdout, "playground: %s\n", p.URL())
	fmt.Fprintf(stdout, "\nDivar plays for the add-on at %s. Set these in its environment and restart it:\n\n", c.addon)
	for _, kv := range p.Env() {
		fmt.Fprintf(stdout, "  export %s\n", kv)
	}
	fmt.Fprintln(stdout, "\nThe fake API and OAuth server listen on this machine's loopback: the add-on must run here too, or reach them through a tunnel of its own.")
	<-ctx.Done()
	return nil
}

// devLocal builds and runs the add-on in c.dir against the playground,
// rebuilding it when its files change, until ctx is done.
func devLocal(ctx context.Context, c devConfig, logger *slog.Logger, stdout, stderr io.Writer) error {
	dir, err := filepath.Abs(c.dir)
	if err != nil {
		return fmt.Errorf("scaffold: dev: %w", err)
	}
	if !inModule(dir) {
		return fmt.Errorf("scaffold: dev: %s is in no Go module (no go.mod there or above): run dev in an add-on's directory, or pass --dir: %w", dir, errUsage)
	}
	port := c.port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return fmt.Errorf("scaffold: dev: %w", err)
		}
	}
	addonURL := "http://127.0.0.1:" + strconv.Itoa(port)
	p, err := playground.Start(playground.Config{Addr: c.listen, AddonURL: addonURL, Logger: logger})
	if err != nil {
		return fmt.Errorf("scaffold: dev: %w", err)
	}
	defer p.Close()
	tmp, err := os.MkdirTemp("", "kenarkit-dev-")
	if err != nil {
		return fmt.Errorf("scaffold: dev: %w", err)
	}
	defer os.RemoveAll(tmp)

	var key [32]byte
	_, _ = rand.Read(key[:])
	env := append(os.Environ(), p.Env()...) // the last of a name wins
	env = append(env, "PORT="+strconv.Itoa(port), "DRAIN_DELAY=0s",
		"SESSION_KEYS="+base64.StdEncoding.EncodeToString(key[:])) // landing links and tokens survive a restart's rebuild
	a := &addonProcess{dir: dir, bin: filepath.Join(tmp, "addon"), env: env, stderr: stderr, logger: logger}
	defer a.stop()

	seen, _ := watchSnapshot(dir)
	if a.build(ctx) {
		a.start(addonURL)
	}
	fmt.Fprintf(stdout, "playground: %s\n", p.URL())
	tick := time.NewTicker(c.poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			logger.Info("stopping the add-on and the playground")
			return nil
		case <-tick.C:
		}
		now, err := watchSnapshot(dir)
		if err != nil || now.equal(seen) {
			continue
		}
		seen = now
		logger.Info("files changed: rebuilding the add-on")
		if a.build(ctx) {
			a.stop()
			a.start(addonURL)
		}
	}
}

// inModule reports whether dir or a directory above it holds a go.mod.
func inModule(dir string) bool {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
}

// addonProcess is the add-on dev runs: its binary, built from dir, in a
// process group of its own so that stopping it stops what it started.
type addonProcess struct {
	dir, bin string
	env      []string
	stderr   io.Writer
	logger   *slog.Logger

	cmd      *exec.Cmd
	exited   chan struct{}
	stopping atomic.Bool // an exit dev asked for is not reported
}

// build builds the add-on into a.bin, reporting whether it built; a failed
// build's output goes to stderr.
func (a *addonProcess) build(ctx context.Context) bool {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", a.bin+".new", ".")
	cmd.Dir = a.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() == nil {
			a.logger.Error("the add-on does not build; the running one, if any, goes on", "error", err)
			a.stderr.Write(out)
		}
		return false
	}
	if err := os.Rename(a.bin+".new", a.bin); err != nil {
		a.logger.Error("the add-on's binary", "error", err)
		return false
	}
	return true
}

// start starts the built add-on.
func (a *addonProcess) start(addonURL string) {
	cmd := exec.Command(a.bin)
	cmd.Dir, cmd.Env = a.dir, a.env
	cmd.Stdout, cmd.Stderr = a.stderr, a.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		a.logger.Error("the add-on does not start", "error", err)
		return
	}
	a.cmd, a.exited = cmd, make(chan struct{})
	exited := a.exited
	go func() {
		err := cmd.Wait()
		if err != nil && !a.stopping.Load() {
			a.logger.Warn("the add-on exited; it starts again when its files change", "error", err)
		}
		close(exited)
	}()
	a.logger.Info("the add-on runs", "url", addonURL, "pid", cmd.Process.Pid)
}

// stopGrace is how long the add-on has to end after SIGTERM, before its
// process group is killed.
const stopGrace = 10 * time.Second

// stop ends the add-on's process group: SIGTERM, then SIGKILL after
// stopGrace. It returns once the add-on has exited.
func (a *addonProcess) stop() {
	if a.cmd == nil {
		return
	}
	pgid := a.cmd.Process.Pid
	a.stopping.Store(true)
	defer a.stopping.Store(false)
	select {
	case <-a.exited:
	default:
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		t := time.NewTimer(stopGrace)
		select {
		case <-a.exited:
			t.Stop()
		case <-t.C:
			a.logger.Warn("the add-on did not end on SIGTERM: killed")
		}
	}
	// What the add-on started and left behind goes with it.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-a.exited
	a.cmd = nil
}

// files are the modification times and sizes of the files a change of
// which rebuilds the add-on.
type files map[string][2]int64

func (f files) equal(g files) bool {
	if len(f) != len(g) {
		return false
	}
	for k, v := range f {
		if g[k] != v {
			return false
		}
	}
	return true
}

// watchSnapshot lists the files under dir that make the add-on: Go files other
// than tests, go.mod, go.sum, and what it may embed; hidden directories and
// testdata are skipped.
func watchSnapshot(dir string) (files, error) {
	out := files{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file removed while walking
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !watched(name) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		out[path] = [2]int64{info.ModTime().UnixNano(), info.Size()}
		return nil
	})
	return out, err
}

// watched reports whether a file named name makes the add-on.
func watched(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "_test.go") {
		return false
	}
	switch filepath.Ext(name) {
	case ".go", ".html", ".css", ".js", ".yaml", ".yml", ".tmpl":
		return true
	}
	return name == "go.mod" || name == "go.sum"
}

// freePort returns a loopback port nobody listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
