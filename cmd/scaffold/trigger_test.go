package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
)

const triggerKey = "trigger-test-key"

// echoAddon answers with what the call carried, as Divar accepts.
type echoAddon struct{}

func (echoAddon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return sdk.OpenURL("https://addon.example/landing?post=" + req.Body.PostToken + "&step=" + req.Body.Data().String("step")), nil
}

func (echoAddon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	return sdk.TextMessage("answer=" + req.Body.Data().String("answer")), nil
}

func (echoAddon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return event.Ack{}, nil
}

// echoServer is echoAddon behind kenarkit's server, with triggerKey.
func echoServer(t *testing.T) http.Handler {
	e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{triggerKey},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(echoAddon{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func addonURL(t *testing.T) string {
	srv := httptest.NewServer(echoServer(t))
	t.Cleanup(srv.Close)
	return srv.URL
}

// tlsAddon serves the add-on over https, as a tunnel does, and returns its
// URL and a file holding the certificate to trust.
func tlsAddon(t *testing.T) (string, string) {
	srv := httptest.NewUnstartedServer(echoServer(t))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusting client's handshake
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL, ca
}

func fixed(t *testing.T, status int, contentType, body string, delay time.Duration) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices a client that hangs up
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestTrigger(t *testing.T) {
	good := addonURL(t)
	tlsURL, caFile := tlsAddon(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name   string
		args   []string
		env    string // KENAR_IDENTIFICATION_KEY
		code   int
		stdout []string
		stderr string
	}{
		{"init callback", []string{"open-server-link", "--url", good, "--key", triggerKey, "--data", "step=2"}, "", 0,
			[]string{"→ POST " + good + "/divar/open-server-link", "API_VERSION: 2", `"step": "2"`, "← 200 OK",
				`"url": "https://addon.example/landing?post=wZC44q5D&step=2"`, "✓ Divar accepts this answer."}, ""},
		{"current names", []string{"open-server-link", "--current", "--url", good, "--key", triggerKey, "--post-token", "gZd7omnS"}, "", 0,
			[]string{"Api-Version: 2", `"completion_url"`, "post=gZd7omnS", "✓"}, ""},
		{"dynamic action, key from the environment", []string{"dynamic-action", "--url", good, "--data", "answer=yes"}, "other," + triggerKey, 1,
			[]string{"← 401 Unauthorized", "✗ Divar would reject the answer: POST /divar/dynamic-action: answered 401"}, "Divar would reject"},
		{"dynamic action", []string{"dynamic-action", "--url", good, "--data", "answer=yes"}, triggerKey + ",old", 0,
			[]string{`"text_message": "answer=yes"`, "✓"}, ""},
		{"flags before the call", []string{"--url", good, "--key", triggerKey, "dynamic-action"}, "", 0, []string{"✓"}, ""},
		{"event", []string{"event", "--url", good, "--key", triggerKey}, "", 0, []string{`"type": "NEW_MESSAGE"`, "✓"}, ""},
		{"chat bot start", []string{"event", "--type", "NEW_CHATBOT_MESSAGE", "--text", "/start MY_DIVAR", "--url", good, "--key", triggerKey}, "", 0,
			[]string{`"text": "/start MY_DIVAR"`, "✓"}, ""},
		{"revocation", []string{"event", "--type", "USER_ACCESS_REVOCATION", "--url", good, "--key", triggerKey}, "", 0, []string{"✓"}, ""},
		{"post update", []string{"event", "--type", "POST_UPDATE", "--url", good, "--key", triggerKey}, "", 0, []string{"✓"}, ""},
		{"payment", []string{"event", "--type", "PAYMENT_TRANSACTION", "--url", good, "--key", triggerKey}, "", 0, []string{"✓"}, ""},
		{"a known type in the wrong case is that type", []string{"event", "--type", "post_update", "--url", good, "--key", triggerKey}, "", 0,
			[]string{`"type": "POST_UPDATE"`, "✓"}, ""},
		{"a misspelt type is refused", []string{"event", "--type", "POST_UPDTE", "--url", good, "--key", triggerKey}, "", 2,
			nil, `unknown event type "POST_UPDTE": did you mean POST_UPDATE?`},
		{"an unknown type is refused", []string{"event", "--type", "SOMETHING_NEW", "--url", good, "--key", triggerKey}, "", 2,
			nil, "--custom-type SOMETHING_NEW"},
		{"a new type needs --custom-type", []string{"event", "--custom-type", "SOMETHING_NEW", "--url", good, "--key", triggerKey}, "", 0,
			[]string{`"type": "SOMETHING_NEW"`, "✓"}, ""},
		{"--type and --custom-type", []string{"event", "--type", "POST_UPDATE", "--custom-type", "X", "--key", "k"}, "", 2, nil, "either --type or --custom-type"},
		{"an https tunnel, its CA trusted", []string{"dynamic-action", "--url", tlsURL, "--cacert", caFile, "--key", triggerKey}, "", 0,
			[]string{"→ POST " + tlsURL + "/divar/dynamic-action", "← 200 OK", "✓ Divar accepts this answer."}, ""},
		{"an https server not trusted", []string{"dynamic-action", "--url", tlsURL, "--key", triggerKey}, "", 1,
			nil, "certificate is not trusted"},
		{"a --cacert that is no certificate", []string{"dynamic-action", "--url", tlsURL, "--cacert", filepath.Join(t.TempDir(), "none.pem"), "--key", "k"}, "", 2,
			nil, "--cacert"},
		{"a bad body is refused", []string{"dynamic-action", "--url", good, "--key", triggerKey, "--body", `{"post_token":12}`}, "", 1,
			[]string{"← 400 Bad Request", "/post_token: must be a string or null"}, "Divar would reject"},
		{"relative url", []string{"open-server-link", "--url", fixed(t, 200, "application/json", `{"url":"/landing"}`, 0), "--key", "k"}, "", 1,
			[]string{"✗ Divar would reject the answer", "answer /url is not an absolute http(s) URL"}, "Divar would reject"},
		{"not JSON", []string{"dynamic-action", "--url", fixed(t, 200, "text/html", `<html>oops`, 0), "--key", "k"}, "", 1,
			[]string{"<html>oops", `Content-Type "text/html"`, "not one JSON value"}, "Divar would reject"},
		{"timeout", []string{"open-server-link", "--url", fixed(t, 200, "application/json", `{}`, time.Minute), "--key", "k", "--timeout", "50ms"}, "", 1,
			nil, "did not answer in time"},
		{"unreachable", []string{"dynamic-action", "--url", closed, "--key", "k"}, "", 1, nil, "scaffold: trigger: cannot reach " + closed + " (is the add-on running?)"},
		{"no call", []string{"--key", "k"}, "", 2, nil, "scaffold: trigger: which call?"},
		{"unknown call", []string{"open-link", "--key", "k"}, "", 2, nil, `scaffold: trigger: unknown call "open-link"`},
		{"no key", []string{"dynamic-action", "--url", good}, "", 2, nil, "no key: pass --key or set KENAR_IDENTIFICATION_KEY"},
		{"bad data", []string{"dynamic-action", "--data", "novalue", "--key", "k"}, "", 2, nil, "--data wants KEY=VALUE"},
		{"data on an event", []string{"event", "--data", "a=b", "--key", "k"}, "", 2, nil, "--data is for callbacks"},
		{"bad path", []string{"event", "--path", "events", "--key", "k"}, "", 2, nil, "--path must start with /"},
		{"current names carry the data in provider_data", []string{"open-server-link", "--current", "--data", "step=3", "--url", good, "--key", triggerKey}, "", 0,
			[]string{`"provider_data": {`, "&step=3", "✓"}, ""},
		{"a custom path is checked as its call", []string{"open-server-link", "--path", "/hooks/init", "--url", fixed(t, 200, "application/json", `{"url":"https://a.example/x"}`, 0), "--key", "k"}, "", 0,
			[]string{"/hooks/init", "✓ Divar accepts this answer."}, ""},
		{"current on a dynamic action", []string{"dynamic-action", "--current", "--key", "k"}, "", 2, nil, "--current is for open-server-link"},
		{"type on a callback", []string{"dynamic-action", "--type", "POST_UPDATE", "--key", "k"}, "", 2, nil, "--type and --custom-type are for events"},
		{"text on a revocation", []string{"event", "--type", "USER_ACCESS_REVOCATION", "--text", "hi", "--key", "k"}, "", 2, nil, "--text is for NEW_MESSAGE"},
		{"--id repeats an event's id on purpose", []string{"event", "--type", "NEW_CHATBOT_MESSAGE", "--id", "m-7", "--url", good, "--key", triggerKey}, "", 0,
			[]string{`"id": "m-7"`, "✓"}, ""},
		{"--id on a payment", []string{"event", "--type", "PAYMENT_TRANSACTION", "--id", "p-7", "--url", good, "--key", triggerKey}, "", 0,
			[]string{`"id": "p-7"`, "✓"}, ""},
		{"--set sets any field, nested ones by a dotted path", []string{"dynamic-action", "--set", "user_side=DEMAND", "--set", "extra_data.answer=yes", "--url", good, "--key", triggerKey}, "", 0,
			[]string{`"user_side": "DEMAND"`, `"text_message": "answer=yes"`, "✓"}, ""},
		{"--set takes JSON values", []string{"event", "--type", "POST_UPDATE", "--set", "post_update.type=RETIRE", "--set", `metadata={"n":3}`, "--url", good, "--key", triggerKey}, "", 0,
			[]string{`"type": "RETIRE"`, `"n": 3`, "✓"}, ""},
		{"--set into a value that is no object", []string{"event", "--set", "type.x=1", "--key", "k"}, "", 2, nil, "type is not an object"},
		{"--set without a value", []string{"event", "--set", "type", "--key", "k"}, "", 2, nil, "--set wants FIELD=VALUE"},
		{"--set and --body", []string{"event", "--set", "a=1", "--body", "{}", "--key", "k"}, "", 2, nil, "either --body or --set"},
		{"--id on an event without one", []string{"event", "--type", "POST_UPDATE", "--id", "x", "--key", "k"}, "", 2, nil, "--id is for the events that carry one"},
		{"help", []string{"-h"}, "", 0, []string{"Usage:", "scaffold trigger event"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KENAR_IDENTIFICATION_KEY", tc.env)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"trigger"}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, &stdout, &stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, &stdout)
				}
			}
			if !strings.Contains(stderr.String(), tc.stderr) || (tc.stderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr %q, want %q", &stderr, tc.stderr)
			}
			if strings.Count(stderr.String(), "\n") > 1 {
				t.Errorf("stderr is more than one line: %q", &stderr)
			}
			if strings.Contains(stdout.String()+stderr.String(), triggerKey) {
				t.Error("the key is printed")
			}
		})
	}
}

// TestTriggerEventIsNewEachTime triggers the same event at an add-on whose
// event.Mux dedupes: each trigger has a fresh id, so the handler runs each
// time, as for events Divar sends; --id repeats one, and the repeat is a
// duplicate, acknowledged without running the handler.
func TestTriggerEventIsNewEachTime(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]int{}
	mux := &event.Mux{
		Dedupe: dedupe.NewMemory(dedupe.MemoryConfig{}),
		NewMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
			mu.Lock()
			defer mu.Unlock()
			ids[m.ID]++
			return nil
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{triggerKey}, Logger: slog.New(slog.DiscardHandler)},
		gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(muxAddon{mux}, nil))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	for _, args := range [][]string{{}, {}, {"--id", "again"}, {"--id", "again"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append([]string{"trigger", "event", "--url", srv.URL, "--key", triggerKey}, args...), &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s%s", code, &stdout, &stderr)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 3 || ids["again"] != 1 {
		t.Errorf("the handler ran for %v; want two fresh ids once each, and \"again\" once", ids)
	}
}

// muxAddon hands events to an event.Mux.
type muxAddon struct{ mux *event.Mux }

func (a muxAddon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return echoAddon{}.OpenServerLink(ctx, req)
}

func (a muxAddon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	return echoAddon{}.DynamicAction(ctx, req)
}

func (a muxAddon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return a.mux.Handle(ctx, req.Body)
}

// Each usage line's description starts in the same column.
func TestTriggerHelpIsAligned(t *testing.T) {
	col := -1
	for _, line := range strings.Split(triggerUsage, "\n") {
		if !strings.HasPrefix(line, "  scaffold trigger ") {
			continue
		}
		i := strings.Index(line, "   ")
		for i >= 0 && i < len(line) && line[i] == ' ' {
			i++
		}
		if col == -1 {
			col = i
		} else if i != col {
			t.Errorf("%q: the description starts at column %d, not %d", line, i, col)
		}
	}
	if col == -1 {
		t.Fatal("no usage lines")
	}
}
