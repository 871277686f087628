package server_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk/server"
)

// versionAddon records the version headers the generated binding gave
// each callback's handler.
type versionAddon struct {
	addon
	mu         sync.Mutex
	underscore *string // Params.APIVERSION
	dash       *string // Params.APIVersion
}

func (a *versionAddon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	a.mu.Lock()
	a.underscore, a.dash = req.Params.APIVERSION, req.Params.APIVersion
	a.mu.Unlock()
	return a.addon.OpenServerLink(ctx, req)
}

func (a *versionAddon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	a.mu.Lock()
	a.underscore, a.dash = req.Params.APIVERSION, req.Params.APIVersion
	a.mu.Unlock()
	return a.addon.DynamicAction(ctx, req)
}

// TestAPIVersionBindsAsDivarSpellsIt: the spec names the two version
// headers canonically (Api_version, Api-Version: the generated binding
// would canonicalise any other spelling on every request), and a request
// that spells them as Divar does on the wire, API_VERSION and
// API-Version, or in any other case, still binds them. The request is
// written byte for byte over loopback, so the names are the wire's.
func TestAPIVersionBindsAsDivarSpellsIt(t *testing.T) {
	tests := []struct {
		name, path, header string
		dash               bool // bound to Params.APIVersion, else Params.APIVERSION
	}{
		{"API_VERSION, the seeds' name, on the init callback", "/divar/open-server-link", "API_VERSION", false},
		{"API-Version, the current docs' name, on the init callback", "/divar/open-server-link", "API-Version", true},
		{"API_VERSION on the dynamic action", "/divar/dynamic-action", "API_VERSION", false},
		{"API-Version on the dynamic action", "/divar/dynamic-action", "API-Version", true},
		{"api_version in lower case", "/divar/open-server-link", "api_version", false},
		{"Api-Version, canonical", "/divar/dynamic-action", "Api-Version", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &versionAddon{}
			srv := httptest.NewServer(newFuncServer(t, server.Config{}, nil, a))
			defer srv.Close()
			body := seedOpenServerLink
			if tt.path == "/divar/dynamic-action" {
				body = `{"touchpoint":"CHAT"}`
			}
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			raw := "POST " + tt.path + " HTTP/1.1\r\nHost: addon\r\nAuthorization: " + testKey + "\r\n" +
				"Content-Type: application/json\r\n" + tt.header + ": 2\r\nContent-Length: " + strconv.Itoa(len(body)) +
				"\r\nConnection: close\r\n\r\n" + body
			if _, err := conn.Write([]byte(raw)); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			got, other := a.underscore, a.dash
			if tt.dash {
				got, other = a.dash, a.underscore
			}
			if got == nil || *got != "2" || other != nil {
				t.Errorf("%s: 2 bound as %v, the other header %v", tt.header, deref(got), deref(other))
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return strconv.Quote(*s)
}
