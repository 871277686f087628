package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

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
