package main

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// env is an environment with an identification key and kv.
func env(kv ...string) func(string) string {
	m := map[string]string{"KENAR_IDENTIFICATION_KEY": "k"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// The environment itself (keys, PORT, PUBLIC_URL) is kenarkit's
// addonenv, tested there; this tests what the add-on adds to it.
func TestLoadConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		getenv  func(string) string
		wantErr string // "" when loadConfig must succeed
	}{
		{name: "defaults", getenv: env()},
		{name: "no key refuses to start", getenv: env("KENAR_IDENTIFICATION_KEY", ""), wantErr: "KENAR_IDENTIFICATION_KEY"},
		{name: "session keys must be valid", getenv: env("SESSION_KEYS", "short"), wantErr: "SESSION_KEYS"},
		{name: "a log level", getenv: env("LOG_LEVEL", "debug")},
		{name: "a log level must be one", getenv: env("LOG_LEVEL", "verbose"), wantErr: "LOG_LEVEL"},
		{name: "a refresh interval", getenv: env("KENAR_REFRESH_INTERVAL", "30s")},
		{name: "a refresh interval must be a duration", getenv: env("KENAR_REFRESH_INTERVAL", "30"), wantErr: "KENAR_REFRESH_INTERVAL"},
		{name: "a refresh interval must be under the refresh margin", getenv: env("KENAR_REFRESH_INTERVAL", "5m"), wantErr: "KENAR_REFRESH_INTERVAL"},
		{name: "metrics and traces", getenv: env("METRICS_ADDR", "127.0.0.1:0", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")},
		{name: "metrics on the port Divar calls refuse to start", getenv: env("METRICS_ADDR", ":8080"), wantErr: "METRICS_ADDR"},
		{name: "metrics on PORT refuse to start", getenv: env("PORT", "9000", "METRICS_ADDR", "0.0.0.0:9000"), wantErr: "METRICS_ADDR"},
		{name: "a metrics address must be host:port", getenv: env("METRICS_ADDR", "9090"), wantErr: "METRICS_ADDR"},
		{name: "OAuth over plain HTTP off loopback refuses to start", getenv: env("PUBLIC_URL", "http://addon.example.com", "KENAR_APP_SLUG", "a", "KENAR_OAUTH_SECRET", "s"), wantErr: "PUBLIC_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig(tc.getenv)
			if err == nil {
				// What main does next, short of listening.
				var addon *Addon
				if _, addon, err = newServer(t.Context(), cfg, slog.New(slog.DiscardHandler)); err == nil {
					addon.Close()
				}
			}
			if tc.wantErr == "" {
				if err != nil || cfg.Port != "8080" || len(cfg.Keys) != 1 || cfg.RefreshInterval <= 0 {
					t.Fatalf("cfg %+v, err %v", cfg, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
			}
		})
	}
}

// At SIGTERM (ctx done) /readyz turns 503 while the add-on goes on
// serving for DRAIN_DELAY, each answer closing its connection; then run
// returns. The drain is short, so that the test does not wait seconds;
// on a machine too busy to see it within DRAIN_DELAY the test tries again
// with twice the delay.
func TestReadinessAndDrain(t *testing.T) {
	t.Parallel()
	for delay := 200 * time.Millisecond; !drainSeen(t, delay); delay *= 2 {
		if delay >= 6400*time.Millisecond {
			t.Fatalf("no drain seen, up to DRAIN_DELAY=%s: /readyz or /healthz did not answer before the add-on shut down", delay)
		}
		t.Logf("DRAIN_DELAY=%s was over before /readyz and /healthz answered: again with twice the delay", delay)
	}
}

// drainSeen runs the add-on with DRAIN_DELAY=delay, ends its context, and
// checks that during the drain /readyz answers 503 closing the connection
// and /healthz 200, and that run then returns having logged the drain and
// the shutdown. It returns false, checking nothing, when the add-on had
// logged the end of the drain before those answers were in: they may have
// come after it (or never).
func drainSeen(t *testing.T, delay time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port, logs, done := startRun(ctx, t, env("PORT", "0", "DRAIN_DELAY", delay.String()))
	base := "http://127.0.0.1:" + port
	if status, _ := getStatus(t, base+"/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz %d before SIGTERM, want 200", status)
	}
	cancel()
	// The server sees ctx done a moment after /readyz does.
	var readyz, healthz int
	var closes bool
	var err error
	for range 1000 {
		if readyz, closes, err = tryGet(base + "/readyz"); err != nil || readyz == http.StatusServiceUnavailable && closes {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err == nil {
		healthz, _, err = tryGet(base + "/healthz")
	}
	// The server logs the drain's end before it stops listening: an
	// answer in before that line was served during the drain.
	over := strings.Contains(logs.String(), "shutting down")
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if over {
		return false
	}
	if err != nil {
		t.Fatalf("during the drain: %v", err)
	}
	if readyz != http.StatusServiceUnavailable || !closes {
		t.Errorf("/readyz during the drain: %d, closing the connection %v; want 503, closing it", readyz, closes)
	}
	if healthz != http.StatusOK {
		t.Errorf("/healthz during the drain: %d, want 200: the add-on still serves", healthz)
	}
	if !strings.Contains(logs.String(), "draining") || !strings.Contains(logs.String(), "shut down") {
		t.Errorf("the log does not tell the drain and the shutdown:\n%s", logs)
	}
	return true
}

// startRun runs the add-on as main does, with getenv, until ctx is done,
// and returns its port once it serves, its log, and run's result.
func startRun(ctx context.Context, t *testing.T, getenv func(string) string) (port string, logs *divartest.LogBuffer, done <-chan error) {
	t.Helper()
	logs = &divartest.LogBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, getenv, slog.New(slog.NewTextHandler(logs, nil))) }()
	serving := regexp.MustCompile(`msg=serving addr=\S*:(\d+)`)
	port = waitFor(t, func() []string {
		if m := serving.FindStringSubmatch(logs.String()); m != nil {
			return m[1:]
		}
		return nil
	})[0]
	return port, logs, errc
}

// At start the add-on says, in one line before it serves, whether it
// keeps its state in Redis and whether Redis answered; without a password.
func TestStartUpSaysWhetherRedisAnswered(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		redisURL func(t *testing.T) string
		want     string // the start of the line, after its time
		answered bool
	}{
		{"no Redis", func(*testing.T) string { return "" }, "level=INFO msg=redis in_use=false state=", false},
		{"Redis answering", startRedis, "level=INFO msg=redis in_use=true addr=", true},
		{"Redis down", func(t *testing.T) string {
			return "unix://:hunter2@" + filepath.Join(t.TempDir(), "none.sock")
		}, "level=WARN msg=redis in_use=true addr=", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, logs, done := startRun(ctx, t, env("PORT", "0", "REDIS_URL", tc.redisURL(t)))
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("run: %v", err)
			}
			out := logs.String()
			at := strings.Index(out, "msg=redis")
			if strings.Count(out, "msg=redis") != 1 || at > strings.Index(out, "msg=serving") {
				t.Fatalf("want one redis line before serving:\n%s", out)
			}
			line, _, _ := strings.Cut(out[strings.LastIndex(out[:at], "level="):], "\n")
			if !strings.HasPrefix(line, tc.want) {
				t.Errorf("the line %q does not start with %q", line, tc.want)
			}
			if strings.Contains(line, "answered=true") != tc.answered {
				t.Errorf("the line %q, want answered=%v", line, tc.answered)
			}
			if strings.Contains(out, "hunter2") {
				t.Errorf("the password is in the log:\n%s", out)
			}
		})
	}
}

func getStatus(t *testing.T, u string) (status int, closes bool) {
	t.Helper()
	status, closes, err := tryGet(u)
	if err != nil {
		t.Fatal(err)
	}
	return status, closes
}

// tryGet GETs u and returns the answer's status and whether it closes the
// connection.
func tryGet(u string) (status int, closes bool, err error) {
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Get(u)
	if err != nil {
		return 0, false, err
	}
	res.Body.Close()
	return res.StatusCode, res.Close, nil
}
