package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// The health check the container runs: 0 (nil) only when the add-on on
// PORT answers /healthz with 200; a dead port, an unhealthy answer or a
// PORT it cannot check fail.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	running := serving(t)
	unhealthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer unhealthy.Close()
	for _, tc := range []struct {
		name    string
		port    string
		wantErr string // "" when the check must pass
	}{
		{name: "a running add-on passes", port: running},
		{name: "a dead port fails", port: deadPort(t), wantErr: "connection refused"},
		{name: "a 503 fails", port: portOf(t, unhealthy.URL), wantErr: "503"},
		{name: "PORT=0 cannot be checked", port: "0", wantErr: "PORT must be the port"},
		{name: "a PORT that is no number fails", port: "http", wantErr: "PORT must be the port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := healthcheck(t.Context(), env("PORT", tc.port))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("health check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// serving runs the add-on as main does, on a free port, until the test
// ends, and returns the port.
func serving(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	port, _, done := startRun(ctx, t, env("PORT", "0"))
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return port
}

// deadPort is a loopback port nothing listens on.
func deadPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	return port
}

func portOf(t *testing.T, rawURL string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(rawURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return port
}
