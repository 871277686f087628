package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/labstack/echo/v4"
)

const testKey = "test-identification-key-7f3a"

// The seeds' examples, made valid JSON (the seed text has a trailing comma
// and a `//` comment), and the variant of Divar's current documentation.
const (
	seedOpenServerLink = `{"return_url":"https://divar.ir/","source":"POST_ADDON","post_token":"wZC44q5D",` +
		`"conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"Supply",` +
		`"extra_data":{"your_key_1":"your value","your_key_2":"your value"},` +
		`"user_id":"6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI="}`
	currentOpenServerLink = `{"completion_url":"https://open-platform-redirect.divar.ir/completion","source":"CHAT",` +
		`"post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"SUPPLY",` +
		`"provider_data":{"your_key_1":"your value"},"user_id":"6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI="}`
	seedDynamicAction = `{"touchpoint":"CHAT","post_token":"wZC44q5D",` +
		`"conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"SUPPLY",` +
		`"extra_data":{"your_key_1":"your value","your_key_2":"your value"}}`
	seedEvent = `{"type":"NEW_MESSAGE","metadata":{"key":"value"},"new_message":{"id":"e7a0","conversation":` +
		`{"id":"edbb","type":"POST","post_token":"gZd7omnS"},"sender":{"side":"SELLER","type":"BOT"},` +
		`"type":"TEXT","sent_at":1729429926140000,"text":"Hello!"}}`
)

// addon is a strict server that records what it received and answers
// what the test asks.
type addon struct {
	mu      sync.Mutex
	osl     []*sdk.OpenServerLinkRequest
	dyn     []*sdk.DynamicActionRequest
	events  []*event.Event
	answer  gen.DynamicActionResponseObject
	panics  bool
	started chan struct{} // closed when a handler starts, if set
	release chan struct{} // a handler waits for it, if set
}

var _ gen.StrictServerInterface = (*addon)(nil)

func (a *addon) hold() {
	if a.started != nil {
		close(a.started)
	}
	if a.release != nil {
		<-a.release
	}
}

func (a *addon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	a.hold()
	if a.panics {
		panic("handler bug")
	}
	a.mu.Lock()
	a.osl = append(a.osl, req.Body)
	a.mu.Unlock()
	return sdk.OpenURL("https://addon.example/landing?post=" + req.Body.PostToken + "&a=1"), nil
}

func (a *addon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	a.mu.Lock()
	a.dyn = append(a.dyn, req.Body)
	a.mu.Unlock()
	if a.answer != nil {
		return a.answer, nil
	}
	return sdk.Reply(sdk.OpenServerLink(sdk.Data{"step": "2"})).WithText("<ok> & done"), nil
}

func (a *addon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	a.mu.Lock()
	a.events = append(a.events, req.Body)
	a.mu.Unlock()
	return event.Ack{}, nil
}

// newServer returns the sdk server for a, with its log written to logs.
func newServer(t testing.TB, a *addon, logs io.Writer, keys ...string) *server.Server {
	t.Helper()
	if len(keys) == 0 {
		keys = []string{testKey}
	}
	if logs == nil {
		logs = io.Discard
	}
	e, err := server.New(server.Config{
		Spec:   gen.GetSpec,
		Keys:   keys,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), // every access-log line
	}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(a, nil))
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	return e
}

func divarRequest(path, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Authorization", testKey)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("API_VERSION", "2")
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decodeProblem(t *testing.T, w *httptest.ResponseRecorder) sdk.Problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != sdk.ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q (body %s)", ct, sdk.ProblemContentType, w.Body)
	}
	var p sdk.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("the problem is not JSON: %v: %s", err, w.Body)
	}
	if p.Status != w.Code || p.Title == "" || p.RequestID == "" {
		t.Errorf("problem %+v does not match status %d or lacks a title or request id", p, w.Code)
	}
	return p
}

func TestSeedsAreAnsweredExactly(t *testing.T) {
	for _, tc := range []struct{ name, path, body, want string }{
		{"init callback, seed", "/divar/open-server-link", seedOpenServerLink,
			`{"url":"https://addon.example/landing?post=wZC44q5D&a=1"}`},
		{"init callback, current docs", "/divar/open-server-link", currentOpenServerLink,
			`{"url":"https://addon.example/landing?post=wZC44q5D&a=1"}`},
		{"dynamic action, seed", "/divar/dynamic-action", seedDynamicAction,
			`{"action":{"open_server_link":{"data":{"step":"2"}}},"text_message":"<ok> & done"}`},
		{"event, documented example", "/divar/events", seedEvent, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(newServer(t, &addon{}, nil), divarRequest(tc.path, tc.body))
			if w.Code != http.StatusOK || w.Body.String() != tc.want {
				t.Fatalf("got %d %s\nwant 200 %s", w.Code, w.Body, tc.want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestRequestsReachTheHandlerTyped(t *testing.T) {
	a := &addon{}
	e := newServer(t, a, nil)
	serve(e, divarRequest("/divar/open-server-link", seedOpenServerLink))
	serve(e, divarRequest("/divar/open-server-link", currentOpenServerLink))
	serve(e, divarRequest("/divar/dynamic-action", seedDynamicAction))
	serve(e, divarRequest("/divar/events", seedEvent))
	if len(a.osl) != 2 || len(a.dyn) != 1 || len(a.events) != 1 {
		t.Fatalf("handlers saw %d, %d, %d requests", len(a.osl), len(a.dyn), len(a.events))
	}
	seed, cur := a.osl[0], a.osl[1]
	if seed.UserSide.Normalize() != sdk.UserSideSupply || seed.Source.Normalize() != sdk.SourcePostAddon {
		t.Errorf("seed: side %q source %q", seed.UserSide, seed.Source)
	}
	if seed.ReturnTo() != "https://divar.ir/" || cur.ReturnTo() != sdk.CompletionURL {
		t.Errorf("ReturnTo: %q, %q", seed.ReturnTo(), cur.ReturnTo())
	}
	if seed.Data().String("your_key_2") != "your value" || cur.Data().String("your_key_1") != "your value" {
		t.Errorf("Data: %s, %s", seed.Data(), cur.Data())
	}
	if d := a.dyn[0]; d.Touchpoint != sdk.TouchpointChat || d.Data().String("your_key_1") != "your value" {
		t.Errorf("dynamic action: %+v", d)
	}
	m := a.events[0].Message()
	if m == nil || m.Text != "Hello!" || !m.SentAt.Equal(time.UnixMicro(1729429926140000)) {
		t.Errorf("event: %+v", a.events[0])
	}
}

func TestKeyCheck(t *testing.T) {
	const other = "second-key-during-rotation"
	for _, tc := range []struct {
		name   string
		header []string // Authorization values
		want   int
	}{
		{"the key", []string{testKey}, http.StatusOK},
		{"the second key", []string{other}, http.StatusOK},
		{"no header", nil, http.StatusUnauthorized},
		{"empty", []string{""}, http.StatusUnauthorized},
		{"wrong key", []string{"nope"}, http.StatusUnauthorized},
		{"bearer prefix", []string{"Bearer " + testKey}, http.StatusUnauthorized},
		{"prefix of the key", []string{testKey[:5]}, http.StatusUnauthorized},
		{"key with a suffix", []string{testKey + "x"}, http.StatusUnauthorized},
		{"two headers, good first", []string{testKey, "nope"}, http.StatusUnauthorized},
		{"two headers, both good", []string{testKey, testKey}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			a := &addon{}
			r := divarRequest("/divar/open-server-link", seedOpenServerLink)
			r.Header.Del("Authorization")
			for _, v := range tc.header {
				r.Header.Add("Authorization", v)
			}
			w := serve(newServer(t, a, &logs, testKey, other), r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want != http.StatusUnauthorized {
				return
			}
			if got := w.Header().Get("WWW-Authenticate"); got != server.WWWAuthenticate {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			decodeProblem(t, w)
			if len(a.osl) != 0 {
				t.Error("the handler ran")
			}
			for _, secret := range []string{testKey, other} {
				if strings.Contains(w.Body.String(), secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("a key appears in the answer or the log")
				}
			}
		})
	}
}

// bodyWatch records whether anything read the body.
type bodyWatch struct {
	io.Reader
	read bool
}

func (b *bodyWatch) Read(p []byte) (int, error) { b.read = true; return b.Reader.Read(p) }

func TestKeyIsCheckedBeforeTheBodyIsRead(t *testing.T) {
	body := &bodyWatch{Reader: strings.NewReader(seedOpenServerLink)}
	r := divarRequest("/divar/open-server-link", "")
	r.Body = io.NopCloser(body)
	r.ContentLength = -1
	r.Header.Set("Authorization", "wrong")
	w := serve(newServer(t, &addon{}, nil), r)
	if w.Code != http.StatusUnauthorized || body.read {
		t.Fatalf("status %d, body read %v", w.Code, body.read)
	}
}

func TestCheckKey(t *testing.T) {
	for _, tc := range []struct {
		name, auth string
		keys       []string
		want       error
	}{
		{"match", "k1", []string{"k1"}, nil},
		{"match the second", "k2", []string{"k1", "k2"}, nil},
		{"none sent", "", []string{"k1"}, server.ErrNoKey},
		{"wrong", "k3", []string{"k1", "k2"}, server.ErrWrongKey},
		{"case matters", "K1", []string{"k1"}, server.ErrWrongKey},
		{"no keys configured", "k1", nil, server.ErrWrongKey},
		{"a prefix of the key", "bench-identification", []string{"bench-identification-key"}, server.ErrWrongKey},
		{"the key and more", "bench-identification-key2", []string{"bench-identification-key"}, server.ErrWrongKey},
		{"the key with a scheme", "Bearer bench-identification-key", []string{"bench-identification-key"}, server.ErrWrongKey},
		{"one byte changed", "bench-identificatioN-key", []string{"bench-identification-key"}, server.ErrWrongKey},
		{"keys of other lengths, the last matches", "a-much-longer-identification-key-than-the-others", []string{"k1", "k22", "a-much-longer-identification-key-than-the-others"}, nil},
		{"the first of keys given twice", "k1", []string{"k1", "k1"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := server.CheckKey(tc.auth, tc.keys...); !errors.Is(err, tc.want) {
				t.Errorf("CheckKey = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNoKeyRefusesToBuild(t *testing.T) {
	for _, keys := range [][]string{nil, {}, {""}, {"k", "  "}} {
		_, err := server.New(server.Config{Spec: gen.GetSpec, Keys: keys}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil))
		if !errors.Is(err, server.ErrNoKeys) {
			t.Errorf("New(keys %q) = %v, want ErrNoKeys", keys, err)
		}
	}
	if _, err := server.New(server.Config{Keys: []string{"k"}}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil)); err == nil {
		t.Error("New without a spec was accepted")
	}
}

func TestSplitKeys(t *testing.T) {
	got := server.SplitKeys(" a, b ,,c ,")
	if strings.Join(got, "|") != "a|b|c" {
		t.Errorf("SplitKeys = %q", got)
	}
	if server.SplitKeys("") != nil {
		t.Error("SplitKeys(\"\") is not empty")
	}
}

func TestRefusals(t *testing.T) {
	const osl = "/divar/open-server-link"
	long := func(n int) string { return strings.Repeat("ب", n) } // 2 bytes per rune
	for _, tc := range []struct {
		name     string
		method   string
		path     string
		ctype    string
		body     string
		header   [2]string
		status   int
		pointers []string // FieldError pointers (or "header NAME"), in any order
	}{
		{"wrong method", http.MethodGet, osl, "", "", [2]string{}, 405, nil},
		{"no such route", http.MethodPost, "/divar/nope", "application/json", "{}", [2]string{}, 404, nil},
		{"text/plain", "", osl, "text/plain", seedOpenServerLink, [2]string{}, 415, nil},
		{"form", "", osl, "application/x-www-form-urlencoded", "a=b", [2]string{}, 415, nil},
		{"latin-1 charset", "", osl, "application/json; charset=iso-8859-1", "{}", [2]string{}, 415, nil},
		{"no content type", "", osl, "-", seedOpenServerLink, [2]string{}, 415, nil},
		{"empty body", "", osl, "", "", [2]string{}, 400, nil},
		{"malformed", "", osl, "", `{"post_token":`, [2]string{}, 400, []string{"/post_token"}},
		{"not JSON", "", osl, "", `post_token=x`, [2]string{}, 400, nil},
		{"trailing data", "", osl, "", `{} {}`, [2]string{}, 400, nil},
		{"trailing garbage", "", osl, "", `{}x`, [2]string{}, 400, nil},
		{"an array", "", osl, "", `[]`, [2]string{}, 400, nil},
		{"a string", "", osl, "", `"x"`, [2]string{}, 400, nil},
		{"null", "", osl, "", `null`, [2]string{}, 400, nil},
		{"duplicate key", "", osl, "", `{"post_token":"a","post_token":"b"}`, [2]string{}, 400, []string{"/post_token"}},
		{"invalid UTF-8", "", osl, "", "{\"post_token\":\"\xff\"}", [2]string{}, 400, []string{"/post_token"}},
		{"too deep", "", osl, "", `{"extra_data":` + strings.Repeat(`{"a":`, 100) + `1` + strings.Repeat(`}`, 101), [2]string{}, 400, []string{"*"}},
		{"post_token over 10", "", osl, "", `{"post_token":"` + long(11) + `"}`, [2]string{}, 400, []string{"/post_token"}},
		{"source over 20", "", osl, "", `{"source":"` + long(21) + `"}`, [2]string{}, 400, []string{"/source"}},
		{"return_url over 2048", "", osl, "", `{"return_url":"https://d.ir/` + long(2040) + `"}`, [2]string{}, 400, []string{"/return_url"}},
		{"completion_url over 2048", "", osl, "", `{"completion_url":"` + long(2049) + `"}`, [2]string{}, 400, []string{"/completion_url"}},
		{"conversation_id over 64", "", osl, "", `{"conversation_id":"` + long(65) + `"}`, [2]string{}, 400, []string{"/conversation_id"}},
		{"user_side over 50", "", osl, "", `{"user_side":"` + long(51) + `"}`, [2]string{}, 400, []string{"/user_side"}},
		{"user_id over 64", "", osl, "", `{"user_id":"` + long(65) + `"}`, [2]string{}, 400, []string{"/user_id"}},
		{"extra_data not an object", "", osl, "", `{"extra_data":"x"}`, [2]string{}, 400, []string{"/extra_data"}},
		{"post_token a number", "", osl, "", `{"post_token":12}`, [2]string{}, 400, []string{"/post_token"}},
		{"every failing field", "", osl, "", `{"post_token":"` + long(11) + `","user_id":"` + long(65) + `","source":7}`, [2]string{}, 400,
			[]string{"/post_token", "/user_id", "/source"}},
		{"touchpoint over 64", "", "/divar/dynamic-action", "", `{"touchpoint":"` + long(65) + `"}`, [2]string{}, 400, []string{"/touchpoint"}},
		{"API_VERSION over 16", "", osl, "", `{}`, [2]string{"API_VERSION", long(17)}, 400, []string{"header Api_version"}}, // the spec's (canonical) name
		{"API-Version over 16", "", osl, "", `{}`, [2]string{"API-Version", long(17)}, 400, []string{"header Api-Version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &addon{}
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			r := divarRequest(tc.path, tc.body)
			r.Method = method
			switch tc.ctype {
			case "":
			case "-":
				r.Header.Del("Content-Type")
			default:
				r.Header.Set("Content-Type", tc.ctype)
			}
			if tc.header[0] != "" {
				r.Header.Set(tc.header[0], tc.header[1])
			}
			w := serve(newServer(t, a, nil), r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			p := decodeProblem(t, w)
			if len(a.osl)+len(a.dyn)+len(a.events) != 0 {
				t.Error("the handler ran")
			}
			if tc.status == 405 && w.Header().Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			var got []string
			for _, fe := range p.Errors {
				if fe.Header != "" {
					got = append(got, "header "+fe.Header)
				} else {
					got = append(got, fe.Pointer)
				}
				if fe.Detail == "" {
					t.Errorf("field error %+v has no detail", fe)
				}
			}
			anyPointer := len(tc.pointers) == 1 && tc.pointers[0] == "*"
			if !anyPointer && !sameSet(got, tc.pointers) {
				t.Errorf("failing fields %q, want %q", got, tc.pointers)
			}
			// Nothing submitted is repeated: the long values are made of ب.
			if strings.Contains(w.Body.String(), "ب") || strings.Contains(w.Body.String(), "wZC44q5D") {
				t.Errorf("the answer repeats a submitted value: %s", w.Body)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s]--; seen[s] < 0 {
			return false
		}
	}
	return true
}

func TestUnknownValuesAndFieldsAreAccepted(t *testing.T) {
	for _, tc := range []struct{ name, path, body string }{
		{"unknown source", "/divar/open-server-link", `{"source":"NEW_PLACE"}`},
		{"unknown user_side", "/divar/open-server-link", `{"user_side":"BROKER"}`},
		{"unknown field", "/divar/open-server-link", `{"new_field":{"a":[1,2]}}`},
		{"nulls", "/divar/open-server-link", `{"post_token":null,"user_side":null,"extra_data":null,"conversation_id":null,"user_id":null}`},
		{"empty object", "/divar/dynamic-action", `{}`},
		{"unknown touchpoint", "/divar/dynamic-action", `{"touchpoint":"SOMEWHERE"}`},
		{"multibyte at the limit", "/divar/open-server-link", `{"post_token":"` + strings.Repeat("ب", 10) + `"}`},
		{"unknown event type", "/divar/events", `{"type":"SOMETHING_NEW","something_new":{"x":1}}`},
		{"payment, both spellings", "/divar/events", `{"type":"PAYMENT_TRANSACTION","transaction":{"id":"t","state":"TRANSACTION_STATE_COMPLETED"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(newServer(t, &addon{}, nil), divarRequest(tc.path, tc.body))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
		})
	}
}

// A member named like a field in another case must not reach the handler as
// that field: validation passed over it as an unknown member.
func TestExactNameBinding(t *testing.T) {
	a := &addon{}
	body := `{"POST_TOKEN":"` + strings.Repeat("x", 500) + `","Post_Token":"y","EXTRA_DATA":{"a":"b"}}`
	w := serve(newServer(t, a, nil), divarRequest("/divar/open-server-link", body))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if got := a.osl[0]; got.PostToken != "" || len(got.Data()) != 0 {
		t.Errorf("post_token %q, data %s reached the handler", got.PostToken, got.Data())
	}
}

func TestBodyLimit(t *testing.T) {
	big := `{"extra_data":{"a":"` + strings.Repeat("x", server.DefaultBodyLimit) + `"}}`
	for _, tc := range []struct {
		name    string
		chunked bool
	}{{"with Content-Length", false}, {"chunked", true}} {
		t.Run(tc.name, func(t *testing.T) {
			a := &addon{}
			srv := httptest.NewServer(newServer(t, a, nil))
			defer srv.Close()
			var body io.Reader = strings.NewReader(big)
			if tc.chunked {
				body = io.MultiReader(strings.NewReader(big)) // unknown length: sent chunked
			}
			r, _ := http.NewRequest(http.MethodPost, srv.URL+"/divar/open-server-link", body)
			r.Header.Set("Authorization", testKey)
			r.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if tc.chunked != (r.ContentLength <= 0) {
				t.Fatalf("ContentLength %d for chunked=%v", r.ContentLength, tc.chunked)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", resp.StatusCode)
			}
			if len(a.osl) != 0 {
				t.Error("the handler ran")
			}
		})
	}
}

func TestPanicIs500AndTheServerGoesOn(t *testing.T) {
	var logs bytes.Buffer
	a := &addon{panics: true}
	srv := httptest.NewServer(newServer(t, a, &logs))
	defer srv.Close()
	post := func() *http.Response {
		r, _ := http.NewRequest(http.MethodPost, srv.URL+"/divar/open-server-link", strings.NewReader(seedOpenServerLink))
		r.Header.Set("Authorization", testKey)
		r.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(b), "handler bug") {
			t.Errorf("the answer discloses the panic: %s", b)
		}
		return resp
	}
	if resp := post(); resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	a.panics = false
	if resp := post(); resp.StatusCode != http.StatusOK {
		t.Fatalf("after a panic: status %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "handler panicked") {
		t.Error("the panic is not logged")
	}
	if strings.Contains(logs.String(), "wZC44q5D") || strings.Contains(logs.String(), testKey) {
		t.Error("the log holds a submitted value or the key")
	}
}

func TestRequestIDs(t *testing.T) {
	e := newServer(t, &addon{}, nil)
	seen := map[string]bool{}
	for range 3 {
		r := divarRequest("/divar/dynamic-action", seedDynamicAction)
		r.Header.Set("X-Request-Id", "client-chosen<script>")
		w := serve(e, r)
		id := w.Header().Get("X-Request-Id")
		if id == "" || id == "client-chosen<script>" || seen[id] {
			t.Fatalf("request id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
	w := serve(e, divarRequest("/divar/dynamic-action", `{"touchpoint":1}`))
	if p := decodeProblem(t, w); p.RequestID != w.Header().Get("X-Request-Id") {
		t.Errorf("problem request_id %q, header %q", p.RequestID, w.Header().Get("X-Request-Id"))
	}
}

func TestRoutesOutsideTheSpecPassThrough(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	if w := serve(newServer(t, &addon{}, nil), r); w.Code != http.StatusOK || w.Body.String() != "ok" {
		t.Fatalf("healthz: %d %s", w.Code, w.Body)
	}
}

// TestGracefulShutdown starts Serve on a loopback port, holds a request in
// the handler, stops the server (context cancelled, or SIGTERM caught by
// the program's own signal.NotifyContext: the library installs no signal
// handler) and checks the held request is answered and Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	for _, how := range []string{"context", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			a := &addon{started: make(chan struct{}), release: make(chan struct{})}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if how == "SIGTERM" {
				var stop context.CancelFunc
				ctx, stop = signal.NotifyContext(ctx, syscall.SIGTERM)
				defer stop()
			}
			served := make(chan error, 1)
			go func() { served <- newServer(t, a, nil).Serve(ctx, ln) }()

			answered := make(chan int, 1)
			go func() {
				r, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/divar/open-server-link", strings.NewReader(seedOpenServerLink))
				r.Header.Set("Authorization", testKey)
				r.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					answered <- -1
					return
				}
				resp.Body.Close()
				answered <- resp.StatusCode
			}()
			<-a.started // the request is in flight
			if how == "context" {
				cancel()
			} else if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			// Serve stops accepting: a new connection is refused once the
			// listener is closed.
			for {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					break
				}
				c.Close()
				time.Sleep(10 * time.Millisecond)
			}
			close(a.release)
			if code := <-answered; code != http.StatusOK {
				t.Errorf("the in-flight request got %d", code)
			}
			if err := <-served; err != nil {
				t.Errorf("Serve = %v", err)
			}
		})
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func decodeJSON(b []byte, v any) error { return json.Unmarshal(b, v) }

func httptestGet(h http.Handler, path, remote string) int {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = remote
	return serve(h, r).Code
}

type syncBuffer = divartest.LogBuffer

// TestAccessLogSaysWhy: the access log line of a refused request says why,
// each failing field by pointer and rule, never the value sent or the key.
func TestAccessLogSaysWhy(t *testing.T) {
	const secretValue = "a-value-never-logged"
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		why    []string
	}{
		{"no key", func() *http.Request {
			r := divarRequest("/divar/dynamic-action", `{}`)
			r.Header.Del("Authorization")
			return r
		}, http.StatusUnauthorized, []string{"no identification key in the Authorization header"}},
		{"a wrong key", func() *http.Request {
			r := divarRequest("/divar/dynamic-action", `{}`)
			r.Header.Set("Authorization", secretValue)
			return r
		}, http.StatusUnauthorized, []string{"the identification key in the Authorization header is not accepted"}},
		{"a field of the wrong type", func() *http.Request {
			return divarRequest("/divar/dynamic-action", `{"post_token":{"x":"`+secretValue+`"}}`)
		}, http.StatusBadRequest, []string{"/post_token", "must be a string"}},
		{"not JSON", func() *http.Request {
			return divarRequest("/divar/open-server-link", `{"post_token":"`+secretValue+`"`)
		}, http.StatusBadRequest, []string{"400 Bad Request"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs divartest.LogBuffer
			e := newServer(t, &addon{}, &logs)
			if w := serve(e, tt.req()); w.Code != tt.status {
				t.Fatalf("answered %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "msg=request ") {
					line = l
				}
			}
			if !strings.Contains(line, "status="+strconv.Itoa(tt.status)) || !strings.Contains(line, "why=") {
				t.Fatalf("the access log line %q does not say why", line)
			}
			for _, w := range tt.why {
				if !strings.Contains(line, w) {
					t.Errorf("the access log line %q lacks %q", line, w)
				}
			}
			if strings.Contains(logs.String(), secretValue) || strings.Contains(logs.String(), testKey) {
				t.Errorf("the log holds the value sent or the key:\n%s", logs.String())
			}
		})
	}
}
