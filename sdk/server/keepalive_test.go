package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestServeKeepsItsTimeouts: Serve moves a connection's deadlines lazily
// (conn.go), yet a client that stops half-way through a request's header
// or body, or keeps a connection idle, is still cut at the server's
// timeouts; and a kept-alive connection idle longer than the header's
// timeout, within the idle one, still serves its next request.
func TestServeKeepsItsTimeouts(t *testing.T) {
	server.SetServerTimeouts(t, 50*time.Millisecond, 100*time.Millisecond, time.Second, 300*time.Millisecond)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- newFuncServer(t, server.Config{}, nil, &funcAddon{}).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	request := "POST /divar/open-server-link HTTP/1.1\r\nHost: addon\r\nAuthorization: " + testKey +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(seedOpenServerLink)) + "\r\n\r\n" + seedOpenServerLink
	tests := []struct {
		name  string
		sends []string // written in turn; "" waits past the header's timeout
		ok    int      // answers 200 expected before the server closes
	}{
		{"a header never finished", []string{"POST /divar/open-server-link HTTP/1.1\r\nHost: addon\r\n"}, 0},
		{"a body never finished", []string{strings.TrimSuffix(request, seedOpenServerLink) + seedOpenServerLink[:10]}, 0},
		{"an idle kept-alive connection", []string{request}, 1},
		{"idle past the header's timeout, then a request", []string{request, "", request}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, s := range tc.sends {
				if s == "" {
					time.Sleep(150 * time.Millisecond) // past the header's timeout, within the idle one
					continue
				}
				if _, err := io.WriteString(c, s); err != nil {
					t.Fatal(err)
				}
			}
			// The server closes the connection at one of its timeouts:
			// reading ends, after the answers, and not at the guard's
			// deadline.
			done := make(chan []byte)
			go func() { b, _ := io.ReadAll(c); done <- b }()
			var got []byte
			select {
			case got = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the server kept the connection open")
			}
			if n := strings.Count(string(got), "HTTP/1.1 200 OK"); n != tc.ok {
				t.Errorf("%d answers 200, want %d:\n%s", n, tc.ok, got)
			}
		})
	}
}
