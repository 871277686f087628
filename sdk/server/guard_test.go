package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"
)

// funcAddon answers with the functions a test sets; the seed's answers
// otherwise.
type funcAddon struct {
	osl    func(ctx context.Context) (gen.OpenServerLinkResponseObject, error)
	events func(ctx context.Context, e *event.Event) error
	calls  atomic.Int32
}

func (a *funcAddon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	a.calls.Add(1)
	if a.osl != nil {
		return a.osl(ctx)
	}
	return sdk.OpenURL("https://addon.example/landing"), nil
}

func (a *funcAddon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	a.calls.Add(1)
	return sdk.TextMessage("ok"), nil
}

func (a *funcAddon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	a.calls.Add(1)
	if a.events != nil {
		if err := a.events(ctx, req.Body); err != nil {
			return nil, err
		}
	}
	return event.Ack{}, nil
}

func newFuncServer(t testing.TB, cfg server.Config, logs io.Writer, a gen.StrictServerInterface) *server.Server {
	t.Helper()
	if cfg.Spec == nil {
		cfg.Spec = gen.GetSpec
	}
	if cfg.Keys == nil {
		cfg.Keys = []string{testKey}
	}
	if logs == nil {
		logs = io.Discard
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})) // every access-log line
	e, err := server.New(cfg, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(a, nil))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestNoMountingServesAnOperationUnchecked has New register the generated
// handlers at each BasePath, then registers them again by hand in every
// way echo allows, and sends a request without a key: it must never reach
// the handler.
func TestNoMountingServesAnOperationUnchecked(t *testing.T) {
	tests := []struct {
		name     string
		basePath string
		register func(e *server.Server, si gen.ServerInterface) // by hand, after New
		prefix   string                                         // where the requests go
		wantErr  bool                                           // Serve refuses the wiring
	}{
		{"at the spec's paths", "", nil, "", false},
		{"BasePath set", "/v1", nil, "/v1", false},
		{"path parameter prefix", "/:tenant", nil, "/acme", false},
		{"again at the same paths", "", func(e *server.Server, si gen.ServerInterface) { gen.RegisterHandlers(e, si) }, "", false},
		{"again under a base URL", "", func(e *server.Server, si gen.ServerInterface) { gen.RegisterHandlersWithBaseURL(e, si, "/v1") }, "/v1", true},
		{"again in a group", "", func(e *server.Server, si gen.ServerInterface) { gen.RegisterHandlers(e.Group("/v1"), si) }, "/v1", true},
		{"again under a proxy prefix", "/v2", func(e *server.Server, si gen.ServerInterface) { gen.RegisterHandlersWithBaseURL(e, si, "/v1") }, "/v1", true},
		{"again at the root, BasePath set", "/v1", func(e *server.Server, si gen.ServerInterface) { gen.RegisterHandlers(e, si) }, "", true},
		{"one handler at another path", "", func(e *server.Server, si gen.ServerInterface) {
			w := gen.ServerInterfaceWrapper{Handler: si}
			e.POST("/hooks/divar", w.Events)
		}, "/hooks/divar#events", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &funcAddon{}
			logs := &syncBuffer{}
			e := newFuncServer(t, server.Config{BasePath: tt.basePath}, logs, a)
			if tt.register != nil {
				tt.register(e, gen.NewStrictHandler(a, nil))
			}
			srv := httptest.NewServer(e)
			defer srv.Close()

			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // Serve returns at once when it starts at all
			err = e.Serve(ctx, ln)
			if tt.wantErr != (err != nil) || (err != nil && !errors.Is(err, server.ErrUncheckedRoute)) {
				t.Fatalf("Serve = %v, want it to refuse to start: %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), testKey) {
				t.Errorf("the error names a key: %v", err)
			}

			path := tt.prefix + "/divar/dynamic-action"
			if p, ok := strings.CutSuffix(tt.prefix, "#events"); ok {
				path = p
			}
			// No key, an 11-character post_token: both must be refused.
			r, _ := http.NewRequest(http.MethodPost, srv.URL+path,
				strings.NewReader(`{"touchpoint":"CHAT","post_token":"12345678901","extra_data":{}}`))
			r.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if n := a.calls.Load(); n != 0 {
				t.Fatalf("the handler ran %d times for a request without a key (status %d)", n, resp.StatusCode)
			}
			want := http.StatusUnauthorized
			if tt.wantErr {
				want = http.StatusInternalServerError
				if !strings.Contains(logs.String(), "ErrUncheckedRoute") && !strings.Contains(logs.String(), "routed where the server does not check it") {
					t.Errorf("the misrouting is not logged:\n%s", logs)
				}
			}
			if resp.StatusCode != want {
				t.Errorf("status %d, want %d", resp.StatusCode, want)
			}
			if tt.wantErr {
				return
			}
			// With the key, a valid request reaches the handler; an invalid
			// one is refused 400.
			for body, want := range map[string]int{seedDynamicAction: 200, `{"touchpoint":"CHAT","post_token":"12345678901"}`: 400} {
				r, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", testKey)
				resp, err := srv.Client().Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("with the key: status %d, want %d", resp.StatusCode, want)
				}
			}
		})
	}
}

func TestBasePathMustBeAPrefix(t *testing.T) {
	for _, bp := range []string{"v1", "/v1/"} {
		if _, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{testKey}, BasePath: bp}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&funcAddon{}, nil)); err == nil {
			t.Errorf("BasePath %q accepted", bp)
		}
	}
}

// TestAccessLogCarriesTheStatusSent checks each refusal is logged with the
// status the client received, over real HTTP.
func TestAccessLogCarriesTheStatusSent(t *testing.T) {
	a := &funcAddon{osl: func(ctx context.Context) (gen.OpenServerLinkResponseObject, error) {
		return nil, errors.New("database down")
	}}
	logs := &syncBuffer{}
	e := newFuncServer(t, server.Config{BodyLimit: 1 << 10}, logs, a)

	tests := []struct {
		name, path, key, ctype, body string
		want                         int
	}{
		{"no key", "/divar/dynamic-action", "", "application/json", seedDynamicAction, 401},
		{"wrong key", "/divar/dynamic-action", "guess", "application/json", seedDynamicAction, 401},
		{"invalid field", "/divar/dynamic-action", testKey, "application/json", `{"post_token":"12345678901"}`, 400},
		{"too large", "/divar/dynamic-action", testKey, "application/json", `{"x":"` + strings.Repeat("a", 2<<10) + `"}`, 413},
		{"wrong media type", "/divar/dynamic-action", testKey, "text/plain", seedDynamicAction, 415},
		{"handler error", "/divar/open-server-link", testKey, "application/json", seedOpenServerLink, 500},
		{"answered", "/divar/dynamic-action", testKey, "application/json", seedDynamicAction, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(e)
			r, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.ctype)
			if tt.key != "" {
				r.Header.Set("Authorization", tt.key)
			}
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			// The request is logged when its handling ends, which for a
			// 413 is after the answer (the rest of the body is drained):
			// Close waits for it.
			srv.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			rid := resp.Header.Get("X-Request-Id")
			line := logLine(logs.String(), "msg=request ", rid)
			if want := fmt.Sprintf("status=%d", tt.want); !strings.Contains(line, want) {
				t.Errorf("access log %q does not say %s", line, want)
			}
		})
	}
	if strings.Contains(logs.String(), "guess") || strings.Contains(logs.String(), testKey) {
		t.Errorf("a key is in the log:\n%s", logs)
	}
}

func logLine(logs, msg, requestID string) string {
	for line := range strings.SplitSeq(logs, "\n") {
		if strings.Contains(line, msg) && strings.Contains(line, requestID) {
			return line
		}
	}
	return ""
}

// TestClientCancelIsNotAServerError: a client that goes away mid-request
// is logged as such, not as an ERROR with status 500.
func TestClientCancelIsNotAServerError(t *testing.T) {
	started := make(chan struct{})
	a := &funcAddon{osl: func(ctx context.Context) (gen.OpenServerLinkResponseObject, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	logs := &syncBuffer{}
	e := newFuncServer(t, server.Config{HandlerTimeout: -1}, logs, a)
	srv := httptest.NewServer(e)

	ctx, cancel := context.WithCancel(context.Background())
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/divar/open-server-link", strings.NewReader(seedOpenServerLink))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", testKey)
	go func() { <-started; cancel() }()
	if _, err := srv.Client().Do(r); err == nil {
		t.Fatal("the request was answered")
	}
	srv.Close() // waits for the handler and its log line
	out := logs.String()
	if strings.Contains(out, "level=ERROR") || strings.Contains(out, "status=500") {
		t.Errorf("a client cancel is logged as a server error:\n%s", out)
	}
	if !strings.Contains(out, "status=499") || !strings.Contains(out, "client went away") {
		t.Errorf("the client cancel is not logged:\n%s", out)
	}
}

// TestHandlerBudget: a handler slower than its budget gets a context with
// the deadline; the client gets a 503 at the deadline, not when the handler
// ends; the late answer is discarded and the event is logged.
func TestHandlerBudget(t *testing.T) {
	release := make(chan struct{})
	remaining := make(chan time.Duration, 2)
	slow := func(ctx context.Context) {
		d, ok := ctx.Deadline()
		if !ok {
			remaining <- time.Duration(1 << 62) // no deadline at all
		} else {
			remaining <- time.Until(d)
		}
		<-release // ignores its context, as a careless handler would
	}
	a := &funcAddon{
		osl: func(ctx context.Context) (gen.OpenServerLinkResponseObject, error) {
			slow(ctx)
			return sdk.OpenURL("https://addon.example/late"), nil
		},
		events: func(ctx context.Context, e *event.Event) error { slow(ctx); return nil },
	}
	logs := &syncBuffer{}
	e := newFuncServer(t, server.Config{HandlerTimeout: 100 * time.Millisecond, EventTimeout: 300 * time.Millisecond}, logs, a)
	srv := httptest.NewServer(e)
	defer srv.Close()
	defer close(release)

	for _, tt := range []struct {
		path, body string
		budget     time.Duration
	}{
		{"/divar/open-server-link", seedOpenServerLink, 100 * time.Millisecond},
		{"/divar/events", seedEvent, 300 * time.Millisecond},
	} {
		t.Run(tt.path, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", testKey)
			start := time.Now()
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			took := time.Since(start)
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != sdk.ProblemContentType {
				t.Fatalf("status %d %s, want a 503 problem: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if strings.Contains(string(body), "late") {
				t.Errorf("the late answer leaked: %s", body)
			}
			// The answer came while the handler was still blocked: it is
			// only released when the test ends.
			if left := <-remaining; left > tt.budget {
				t.Errorf("the handler's context leaves it %v, want a deadline within the budget of %v", left, tt.budget)
			}
			if took < tt.budget {
				t.Errorf("answered after %v, before the budget of %v", took, tt.budget)
			}
			if line := logLine(logs.String(), "over its budget", resp.Header.Get("X-Request-Id")); line == "" {
				t.Errorf("the timeout is not logged:\n%s", logs)
			}
		})
	}
}

// TestHandlerWithinBudgetAnswersAsUsual: the held answer reaches the client
// byte for byte, with its headers.
func TestHandlerWithinBudgetAnswersAsUsual(t *testing.T) {
	e := newFuncServer(t, server.Config{}, nil, &funcAddon{})
	w := serve(e, divarRequest("/divar/open-server-link", seedOpenServerLink))
	if w.Code != 200 || w.Body.String() != `{"url":"https://addon.example/landing"}`+"\n" && w.Body.String() != `{"url":"https://addon.example/landing"}` {
		t.Fatalf("%d %q", w.Code, w.Body)
	}
	if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("X-Request-Id") == "" {
		t.Errorf("headers %v", w.Header())
	}
}

// TestMediaTypeIsCaseInsensitive: RFC 9110 media types are
// case-insensitive, end to end (validator and binder).
func TestMediaTypeIsCaseInsensitive(t *testing.T) {
	e := newFuncServer(t, server.Config{}, nil, &funcAddon{})
	for _, ct := range []string{"Application/JSON", "APPLICATION/JSON; charset=UTF-8", "application/json;charset=utf-8"} {
		r := divarRequest("/divar/dynamic-action", seedDynamicAction)
		r.Header.Set("Content-Type", ct)
		if w := serve(e, r); w.Code != http.StatusOK {
			t.Errorf("%q: %d %s", ct, w.Code, w.Body)
		}
	}
}

// tooLargeHead is the head of a request to the dynamic-action callback
// whose body is announced n bytes long, or sent chunked when n < 0.
func tooLargeHead(n int) []byte {
	head := fmt.Sprintf("POST /divar/dynamic-action HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/json\r\n", testKey)
	if n < 0 {
		return []byte(head + "Transfer-Encoding: chunked\r\n\r\n")
	}
	return []byte(head + fmt.Sprintf("Content-Length: %d\r\n\r\n", n))
}

// bodyBytes is part of a body n bytes long, in chunks of 32 KiB when
// chunked, with the last chunk when last.
func bodyBytes(n int, chunked, last bool) []byte {
	data := bytes.Repeat([]byte("a"), n)
	if !chunked {
		return data
	}
	var b bytes.Buffer
	for len(data) > 0 {
		k := min(len(data), 32<<10)
		fmt.Fprintf(&b, "%x\r\n%s\r\n", k, data[:k])
		data = data[k:]
	}
	if last {
		b.WriteString("0\r\n\r\n")
	}
	return b.Bytes()
}

// dialTooLarge serves the funcAddon and dials it; the connection fails
// any read or write still blocked after a minute, so that a server that
// never answers fails the test instead of hanging it.
func dialTooLarge(t *testing.T) net.Conn {
	t.Helper()
	e := newFuncServer(t, server.Config{}, nil, &funcAddon{})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	return conn
}

// TestTooLargeReachesAClientThatSendsItAll: a client that writes its whole
// over-limit body before reading gets the 413, not a reset connection.
func TestTooLargeReachesAClientThatSendsItAll(t *testing.T) {
	const size = 8 << 20 // past what socket buffers absorb: without the drain, the client saw a reset
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			conn := dialTooLarge(t)
			n := size
			if chunked {
				n = -1
			}
			if _, err := conn.Write(append(tooLargeHead(n), bodyBytes(size, chunked, true)...)); err != nil {
				t.Fatalf("writing the body: %v", err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", resp.StatusCode)
			}
		})
	}
}

// TestTooLargeIsAnsweredBeforeTheRestIsSent: a client that sends the head
// and part of an over-limit body, then reads, gets the 413 before it sends
// the rest (the server answers first, then drains); the rest it then
// sends is read, and the connection closes in order, not reset. What the
// server does not drain is bounded: a body announced over 16 MiB is not
// read, and a client that stops sending is cut off after the drain's
// timeout.
func TestTooLargeIsAnsweredBeforeTheRestIsSent(t *testing.T) {
	const limit = server.DefaultBodyLimit
	for _, tc := range []struct {
		name      string
		announced int // Content-Length; -1: chunked
		first     int // the bytes of body sent before reading the answer
		rest      int // sent after the answer; 0: nothing more
		drain     time.Duration
	}{
		{name: "Content-Length, then the rest", announced: 8 << 20, first: 64 << 10, rest: 8<<20 - 64<<10, drain: time.Minute},
		{name: "chunked, then the rest", announced: -1, first: limit + 64<<10, rest: 4 << 20, drain: time.Minute},
		{name: "Content-Length over 16 MiB: not read", announced: 32 << 20, first: 64 << 10, drain: time.Minute},
		{name: "a client that stops sending: cut off after the drain", announced: 8 << 20, first: 64 << 10, drain: 10 * time.Millisecond},
		{name: "chunked, a client that stops sending: cut off after the drain", announced: -1, first: limit + 64<<10, drain: 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server.SetDrainTimeout(t, tc.drain)
			conn := dialTooLarge(t)
			chunked := tc.announced < 0
			if _, err := conn.Write(append(tooLargeHead(tc.announced), bodyBytes(tc.first, chunked, false)...)); err != nil {
				t.Fatalf("writing the head and %d bytes: %v", tc.first, err)
			}
			r := bufio.NewReader(conn)
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatalf("no answer before the rest of the body: %v", err)
			}
			problem, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close || !bytes.Contains(problem, []byte("larger than")) {
				t.Fatalf("status %d, Connection: close %v, %s; want 413, closing", resp.StatusCode, resp.Close, problem)
			}
			if tc.rest == 0 {
				// The server closes without waiting for the rest.
				if _, err := r.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("after the answer: %v, want the connection closed", err)
				}
				return
			}
			if _, err := conn.Write(bodyBytes(tc.rest, chunked, true)); err != nil {
				t.Fatalf("sending the rest: %v", err)
			}
			if _, err := r.ReadByte(); err != io.EOF {
				t.Errorf("after the rest: %v, want EOF (closed in order)", err)
			}
		})
	}
}

// TestDrainBeforeShutdown: once the context is done, readiness answers 503
// while requests still succeed for the drain delay; none of a keep-alive
// client's requests fails, and Serve returns nil.
func TestDrainBeforeShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newFuncServer(t, server.Config{DrainDelay: time.Second}, nil, &funcAddon{})
	e.GET("/readyz", server.Ready(ctx))
	served := make(chan error, 1)
	go func() { served <- e.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{}}
	get := func(path string) (int, error) {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	call := func() (int, error) {
		r, _ := http.NewRequest(http.MethodPost, base+"/divar/dynamic-action", strings.NewReader(seedDynamicAction))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", testKey)
		resp, err := client.Do(r)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := get("/readyz"); err != nil || code != 200 {
		t.Fatalf("ready before the drain: %d %v", code, err)
	}
	cancel()
	deadline := time.Now().Add(300 * time.Millisecond)
	n := 0
	for time.Now().Before(deadline) {
		if code, err := call(); err != nil || code != 200 {
			t.Fatalf("call %d during the drain: %d %v", n, code, err)
		}
		n++
	}
	if code, err := get("/readyz"); err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("readiness during the drain: %d %v, want 503", code, err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v", err)
	}
	if n == 0 {
		t.Error("no call made during the drain")
	}
}

// TestEventsAreNeverRefusedForAFieldVariance: an authenticated event that
// is one JSON object is acknowledged and delivered, whatever its members
// hold; what did not fit its type is named, logged, and readable raw.
func TestEventsAreNeverRefusedForAFieldVariance(t *testing.T) {
	tests := []struct {
		name, body string
		mismatch   string // pointer named by Event.Mismatch; "" when it all fits
		raw        string // a member read back from Event.Raw
	}{
		{"seed", seedEvent, "", "type"},
		{"sent_at a string", `{"type":"NEW_MESSAGE","new_message":{"id":"m1","sent_at":"yesterday","text":"hi"}}`, "/new_message/sent_at", "new_message"},
		{"payload an array", `{"type":"POST_UPDATE","post_update":[1,2]}`, "/post_update", "post_update"},
		{"metadata a string", `{"type":"NEW_MESSAGE","metadata":"k=v"}`, "/metadata", "metadata"},
		{"unknown type and member", `{"type":"SOMETHING_NEW","something_new":{"x":1}}`, "", "something_new"},
		{"type a number", `{"type":7}`, "/type", "type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *event.Event
			other := 0
			mux := &event.Mux{
				NewMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error { got = e; return nil },
				Other:      func(ctx context.Context, e *event.Event) error { got = e; other++; return nil },
			}
			a := &funcAddon{events: func(ctx context.Context, e *event.Event) error {
				_, err := mux.Handle(ctx, e)
				return err
			}}
			logs := &syncBuffer{}
			e := newFuncServer(t, server.Config{}, logs, a)
			w := serve(e, divarRequest("/divar/events", tt.body))
			if w.Code != http.StatusOK || w.Body.String() != "{}" {
				t.Fatalf("%d %s: an event was refused", w.Code, w.Body)
			}
			if got == nil {
				t.Fatal("no handler received the event")
			}
			if !got.Raw().Has(tt.raw) {
				t.Errorf("Raw() has no %q: %s", tt.raw, got.Raw())
			}
			if tt.mismatch == "" {
				if got.Mismatch() != nil {
					t.Errorf("Mismatch() = %v", got.Mismatch())
				}
				return
			}
			if err := got.Mismatch(); err == nil || !strings.Contains(err.Error(), tt.mismatch) {
				t.Errorf("Mismatch() = %v, want it to name %s", err, tt.mismatch)
			}
			if other != 1 {
				t.Errorf("a mismatched event went to a typed handler, not Other")
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "delivered") {
				t.Errorf("the variance is not logged:\n%s", logs)
			}
		})
	}
	// What is not an event envelope at all is still refused.
	for body, want := range map[string]int{`[1]`: 400, `{"type":`: 400, `"x"`: 400} {
		e := newFuncServer(t, server.Config{}, nil, &funcAddon{})
		if w := serve(e, divarRequest("/divar/events", body)); w.Code != want {
			t.Errorf("%s: %d, want %d", body, w.Code, want)
		}
	}
}

// TestBudgetContext: the handler's context ends at the deadline with
// DeadlineExceeded, and with the client (its parent) otherwise.
func TestBudgetContext(t *testing.T) {
	got := make(chan error, 1)
	a := &funcAddon{osl: func(ctx context.Context) (gen.OpenServerLinkResponseObject, error) {
		<-ctx.Done()
		got <- ctx.Err()
		return nil, ctx.Err()
	}}
	e := newFuncServer(t, server.Config{HandlerTimeout: 50 * time.Millisecond}, nil, a)
	if w := serve(e, divarRequest("/divar/open-server-link", seedOpenServerLink)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", w.Code)
	}
	if err := <-got; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("at the deadline: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := divarRequest("/divar/open-server-link", seedOpenServerLink).WithContext(ctx)
	e = newFuncServer(t, server.Config{HandlerTimeout: time.Hour}, nil, a)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	serve(e, r)
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Errorf("when the client goes: %v", err)
	}
}
