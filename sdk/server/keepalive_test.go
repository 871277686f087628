package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/server"
)

// TestCallbacksShareOneConnection: over loopback, callbacks answered,
// refused and answered again follow each other on one kept-alive
// connection. The server closes a callback's body once the validator has
// read it to its end, and puts it back on the request, so that net/http
// finds nothing to discard after the answer: the connection must still be
// reused, and every answer be the right one.
func TestCallbacksShareOneConnection(t *testing.T) {
	srv := httptest.NewServer(newFuncServer(t, server.Config{}, nil, &funcAddon{}))
	t.Cleanup(srv.Close)
	client := srv.Client()
	steps := []struct {
		name, path, body string
		status           int
	}{
		{"init callback", "/divar/open-server-link", seedOpenServerLink, http.StatusOK},
		{"dynamic action", "/divar/dynamic-action", seedDynamicAction, http.StatusOK},
		{"invalid body", "/divar/dynamic-action", `{"touchpoint":7}`, http.StatusBadRequest},
		{"init callback again", "/divar/open-server-link", seedOpenServerLink, http.StatusOK},
		{"a body larger than a read buffer", "/divar/open-server-link",
			strings.Replace(seedOpenServerLink, `"post_token"`, `"padding_member":"`+strings.Repeat("x", 8<<10)+`","post_token"`, 1), http.StatusOK},
		{"init callback last", "/divar/open-server-link", seedOpenServerLink, http.StatusOK},
	}
	for i, s := range steps {
		r := divarRequest(s.path, s.body)
		r.RequestURI, r.URL.Scheme, r.URL.Host = "", "http", strings.TrimPrefix(srv.URL, "http://")
		reused := false
		r = r.WithContext(httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
		}))
		resp, err := client.Do(r)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != s.status {
			t.Errorf("%s: %d %s, want %d", s.name, resp.StatusCode, b, s.status)
		}
		if i > 0 && !reused {
			t.Errorf("%s: a new connection, want the previous one kept alive", s.name)
		}
	}
}
