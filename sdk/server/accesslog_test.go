package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/labstack/echo/v4"
)

// TestEveryRequestHasOneAccessLogLine: each answer, whatever it is
// (accepted, refused by the guard, a panic, a route that is not there, a
// route outside the spec), is logged in exactly one access-log line,
// which carries the answer's X-Request-Id and the status sent; a panic is
// logged with the same id; the id a client sends is neither answered,
// logged nor seen by the handler.
func TestEveryRequestHasOneAccessLogLine(t *testing.T) {
	wrongKey := divarRequest("/divar/open-server-link", seedOpenServerLink)
	wrongKey.Header.Set("Authorization", "not-the-key")
	tests := []struct {
		name   string
		req    *http.Request
		panics bool
		status int
	}{
		{"accepted", divarRequest("/divar/open-server-link", seedOpenServerLink), false, http.StatusOK},
		{"a wrong key", wrongKey, false, http.StatusUnauthorized},
		{"a body that breaks the spec", divarRequest("/divar/dynamic-action", `{"touchpoint":1}`), false, http.StatusBadRequest},
		{"a panic", divarRequest("/divar/open-server-link", seedOpenServerLink), true, http.StatusInternalServerError},
		{"no such route", httptest.NewRequest(http.MethodGet, "/nowhere", nil), false, http.StatusNotFound},
		{"a route outside the spec", httptest.NewRequest(http.MethodGet, "/healthz", nil), false, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			a := &addon{panics: tt.panics}
			e := newServer(t, a, &logs)
			var seen []string
			e.GET("/healthz", func(c echo.Context) error {
				seen = c.Request().Header.Values(echo.HeaderXRequestID)
				return c.String(http.StatusOK, "ok")
			})
			tt.req.Header.Set(echo.HeaderXRequestID, "client-chosen")
			w := serve(e, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			id := w.Header().Get(echo.HeaderXRequestID)
			if id == "" || id == "client-chosen" || len(seen) > 0 {
				t.Fatalf("request id %q; the handler saw %q", id, seen)
			}
			var lines []string
			for l := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
				if strings.Contains(l, "msg=request") {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("%d access-log lines, want 1:\n%s", len(lines), logs.String())
			}
			for _, want := range []string{"request_id=" + id, "status=" + strconv.Itoa(tt.status), "latency="} {
				if !strings.Contains(lines[0], want) {
					t.Errorf("the access-log line lacks %q: %s", want, lines[0])
				}
			}
			if strings.Contains(logs.String(), "client-chosen") {
				t.Errorf("the client's request id is logged:\n%s", logs.String())
			}
			if tt.panics && !strings.Contains(logs.String(), `msg="handler panicked" request_id=`+id) {
				t.Errorf("the panic is not logged with the request id:\n%s", logs.String())
			}
		})
	}
}

// TestAccessLogLevelFollowsTheStatus: a request served (2xx) is logged at
// Debug, so a logger at Info (the default) does not log it and one at
// Debug does; a refusal (401 for the key, 400 for the body) is logged at
// Info with its request id and status; a panic's 500 at Error.
func TestAccessLogLevelFollowsTheStatus(t *testing.T) {
	wrongKey := func() *http.Request {
		r := divarRequest("/divar/open-server-link", seedOpenServerLink)
		r.Header.Set("Authorization", "not-the-key")
		return r
	}
	accepted := func() *http.Request { return divarRequest("/divar/open-server-link", seedOpenServerLink) }
	tests := []struct {
		name      string
		logger    slog.Level
		req       func() *http.Request
		panics    bool
		status    int
		wantLevel string // "": no access-log line
	}{
		{"a 200 at Info is not logged", slog.LevelInfo, accepted, false, http.StatusOK, ""},
		{"a 200 at Debug is logged at Debug", slog.LevelDebug, accepted, false, http.StatusOK, "DEBUG"},
		{"a 401 at Info is logged at Info", slog.LevelInfo, wrongKey, false, http.StatusUnauthorized, "INFO"},
		{"a 400 at Info is logged at Info", slog.LevelInfo,
			func() *http.Request { return divarRequest("/divar/dynamic-action", `{"touchpoint":1}`) }, false, http.StatusBadRequest, "INFO"},
		{"a 401 at Warn is not logged", slog.LevelWarn, wrongKey, false, http.StatusUnauthorized, ""},
		{"a panic's 500 at Warn is logged at Error", slog.LevelWarn, accepted, true, http.StatusInternalServerError, "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			e, err := server.New(server.Config{
				Spec:   gen.GetSpec,
				Keys:   []string{testKey},
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: tt.logger})),
			}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{panics: tt.panics}, nil))
			if err != nil {
				t.Fatal(err)
			}
			w := serve(e, tt.req())
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			var lines []string
			for l := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
				if strings.Contains(l, "msg=request ") {
					lines = append(lines, l)
				}
			}
			if tt.wantLevel == "" {
				if len(lines) != 0 {
					t.Fatalf("an access-log line, want none: %s", lines)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("%d access-log lines, want 1:\n%s", len(lines), logs.String())
			}
			id := w.Header().Get(echo.HeaderXRequestID)
			for _, want := range []string{"level=" + tt.wantLevel + " ", "request_id=" + id, "status=" + strconv.Itoa(tt.status)} {
				if !strings.Contains(lines[0], want) {
					t.Errorf("the access-log line lacks %q: %s", want, lines[0])
				}
			}
		})
	}
}

// refusingHandler is a slog.Handler enabled at no level, which fails the
// test if it is handed a record.
type refusingHandler struct{ t *testing.T }

func (h refusingHandler) Enabled(context.Context, slog.Level) bool { return false }
func (h refusingHandler) Handle(_ context.Context, r slog.Record) error {
	h.t.Errorf("a record was built for a logger enabled at no level: %s", r.Message)
	return nil
}
func (h refusingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h refusingHandler) WithGroup(string) slog.Handler      { return h }

// TestAccessLogBuildsNothingWhenDisabled: a server whose logger is not
// enabled at a line's level hands its handler no record, for a request
// served or refused.
func TestAccessLogBuildsNothingWhenDisabled(t *testing.T) {
	e, err := server.New(server.Config{
		Spec:   gen.GetSpec,
		Keys:   []string{testKey},
		Logger: slog.New(refusingHandler{t}),
	}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	wrongKey := divarRequest("/divar/open-server-link", seedOpenServerLink)
	wrongKey.Header.Set("Authorization", "not-the-key")
	for _, r := range []*http.Request{divarRequest("/divar/open-server-link", seedOpenServerLink), wrongKey} {
		serve(e, r)
	}
}

// TestDrainingIsNotAnError: Ready's 503 while the server drains is the
// answer meant (a load balancer probes it during every deploy) and is
// logged at Info; any other 503 a handler answers stays at Error.
func TestDrainingIsNotAnError(t *testing.T) {
	draining, stop := context.WithCancel(context.Background())
	stop()
	var logs bytes.Buffer
	e, err := server.New(server.Config{
		Spec:   gen.GetSpec,
		Keys:   []string{testKey},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/readyz", server.Ready(draining))
	e.GET("/busy", func(c echo.Context) error {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "busy"})
	})
	for _, tt := range []struct{ path, level string }{
		{"/readyz", "INFO"},
		{"/busy", "ERROR"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			logs.Reset()
			w := serve(e, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if w.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503: %s", w.Code, w.Body)
			}
			line := strings.TrimSpace(logs.String())
			if strings.Count(line, "\n") != 0 || !strings.Contains(line, "msg=request ") {
				t.Fatalf("want one access-log line, got:\n%s", logs.String())
			}
			if !strings.Contains(line, "level="+tt.level+" ") || !strings.Contains(line, "route="+tt.path) {
				t.Errorf("the line is not at %s for %s: %s", tt.level, tt.path, line)
			}
		})
	}
}

// TestRefusalsSayWhyUnderAnObserver: a refusal's access-log line gives its
// why whether or not an Observer (the starter's metrics) watches the
// request, and whether it asks to be told the result or not.
func TestRefusalsSayWhyUnderAnObserver(t *testing.T) {
	for _, tt := range []struct {
		name string
		obs  server.Observer
	}{
		{"no observer", nil},
		{"an observer told the result", noter{name: "o", log: new([]string)}},
		{"an observer told nothing", noter{name: "o", quiet: true, log: new([]string)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			e, err := server.New(server.Config{
				Spec:     gen.GetSpec,
				Keys:     []string{testKey},
				Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
				Observer: tt.obs,
			}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil))
			if err != nil {
				t.Fatal(err)
			}
			w := serve(e, divarRequest("/divar/dynamic-action", `{"touchpoint":1}`))
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
			}
			if !strings.Contains(logs.String(), "msg=request ") || !strings.Contains(logs.String(), " why=") {
				t.Errorf("the refusal's access-log line has no why:\n%s", logs.String())
			}
		})
	}
}
