package server_test

import (
	"net/http"
	"testing"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/labstack/echo/v4"
)

func TestIPAllowlist(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proxies []string
		remote  string
		xff     []string
		want    int
	}{
		{"documented address", nil, "78.111.6.41:5555", nil, 200},
		{"last documented address", nil, "78.111.6.43:5555", nil, 200},
		{"next to them", nil, "78.111.6.44:5555", nil, 403},
		{"first of the /27", nil, "31.214.250.128:1", nil, 200},
		{"last of the /27", nil, "31.214.250.159:1", nil, 200},
		{"just past the /27", nil, "31.214.250.160:1", nil, 403},
		{"just before the /27", nil, "31.214.250.127:1", nil, 403},
		{"IPv4-mapped IPv6", nil, "[::ffff:78.111.6.42]:1", nil, 200},
		{"elsewhere", nil, "203.0.113.9:1", nil, 403},
		{"forged X-Forwarded-For, no trusted proxy", nil, "203.0.113.9:1", []string{"78.111.6.41"}, 403},
		{"Divar through a trusted proxy", []string{"10.0.0.0/8"}, "10.1.2.3:1", []string{"78.111.6.41"}, 200},
		{"forged hop before the proxy chain", []string{"10.0.0.0/8"}, "10.1.2.3:1", []string{"78.111.6.41, 203.0.113.9"}, 403},
		{"two trusted proxies", []string{"10.0.0.0/8"}, "10.1.2.3:1", []string{"78.111.6.41, 10.9.9.9"}, 200},
		{"several headers", []string{"10.0.0.0/8"}, "10.1.2.3:1", []string{"203.0.113.9", "31.214.250.130"}, 200},
		{"proxy but no header", []string{"10.0.0.0/8"}, "10.1.2.3:1", nil, 403},
		{"unreadable hop", []string{"10.0.0.0/8"}, "10.1.2.3:1", []string{"78.111.6.41, junk"}, 403},
		{"untrusted peer claims a proxy chain", []string{"10.0.0.0/8"}, "203.0.113.9:1", []string{"78.111.6.41"}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{testKey}, Logger: discardLogger(),
				IPAllowlist: &server.IPAllowlistConfig{TrustedProxies: tc.proxies}}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil))
			if err != nil {
				t.Fatal(err)
			}
			e.GET("/healthz", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
			r := divarRequest("/divar/dynamic-action", seedDynamicAction)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			w := serve(e, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want == 403 {
				decodeProblem(t, w)
			}
			// Routes outside the spec (a landing page) are never checked.
			h := httptestGet(e, "/healthz", tc.remote)
			if h != http.StatusNoContent {
				t.Errorf("healthz from %s: %d", tc.remote, h)
			}
		})
	}
	if _, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{"k"},
		IPAllowlist: &server.IPAllowlistConfig{Allowed: []string{"not-an-ip"}}}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil)); err == nil {
		t.Error("a bad address was accepted")
	}
	if _, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{"k"},
		IPAllowlist: &server.IPAllowlistConfig{TrustedProxies: []string{"10.0.0.0/33"}}}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil)); err == nil {
		t.Error("a bad proxy was accepted")
	}
}

// A Skipper limits the allowlist to the events, whose addresses Divar
// documents; the callbacks then come from anywhere.
func TestIPAllowlistOnlyForEvents(t *testing.T) {
	e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{testKey}, Logger: discardLogger(),
		IPAllowlist: &server.IPAllowlistConfig{Skipper: func(c echo.Context) bool { return c.Path() != "/divar/events" }}}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, body, remote string
		want                     int
	}{
		{"a callback from elsewhere", "/divar/dynamic-action", seedDynamicAction, "203.0.113.9:1", http.StatusOK},
		{"an event from elsewhere", "/divar/events", `{"type":"SOMETHING_NEW"}`, "203.0.113.9:1", http.StatusForbidden},
		{"an event from Divar", "/divar/events", `{"type":"SOMETHING_NEW"}`, "78.111.6.41:1", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := divarRequest(tc.path, tc.body)
			r.RemoteAddr = tc.remote
			if w := serve(e, r); w.Code != tc.want {
				t.Errorf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
		})
	}
}
