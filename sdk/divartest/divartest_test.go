package divartest_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/labstack/echo/v4"
)

// goodAddon answers every call as Divar accepts.
type goodAddon struct {
	mu   sync.Mutex
	seen []string
}

var _ gen.StrictServerInterface = (*goodAddon)(nil)

func (a *goodAddon) note(s string) { a.mu.Lock(); a.seen = append(a.seen, s); a.mu.Unlock() }

func (a *goodAddon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	a.note("osl " + req.Body.PostToken + " " + req.Body.ReturnTo() + " " + req.Body.Data().String("your_key_1"))
	return sdk.OpenURL("https://addon.example/landing?post=" + req.Body.PostToken), nil
}

func (a *goodAddon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	a.note("dyn " + string(req.Body.Touchpoint) + " " + req.Body.Data().String("answer"))
	if req.Body.Data().String("answer") == "yes" {
		return sdk.Reply(sdk.OpenServerLink(sdk.Data{"step": "1"})).WithText("بفرمایید"), nil
	}
	return sdk.TextMessage("باشد"), nil
}

func (a *goodAddon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	a.note("event " + string(req.Body.Type))
	return event.Ack{}, nil
}

func newGoodServer(t testing.TB, a *goodAddon) *server.Server {
	e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{divartest.Key}, Logger: discard()}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(a, nil))
	if err != nil {
		t.Fatal(err)
	}
	e.Use(divartest.ValidateResponses(t, gen.GetSpec))
	return e
}

func TestACorrectAddonPasses(t *testing.T) {
	a := &goodAddon{}
	for name, divar := range map[string]*divartest.Divar{
		"in-process": divartest.New(t, gen.GetSpec, newGoodServer(t, a)),
		"over HTTP":  divartest.Dial(t, gen.GetSpec, httptest.NewServer(newGoodServer(t, a)).URL),
	} {
		t.Run(name, func(t *testing.T) {
			a.seen = nil
			if got := divar.OpenServerLink(divartest.OpenServerLink()); got.URL != "https://addon.example/landing?post=wZC44q5D" {
				t.Errorf("url %q", got.URL)
			}
			divar.OpenServerLink(divartest.OpenServerLink().CurrentNames().PostToken("gZd7omnS"))
			got := divar.DynamicAction(divartest.DynamicAction().Data(sdk.Data{"answer": "yes"}))
			if got.Action == nil || got.Action.OpenServerLink == nil || got.TextMessage != "بفرمایید" {
				t.Errorf("dynamic answer %+v", got)
			}
			for _, typ := range divartest.EventTypes {
				divar.Event(divartest.Event(typ))
			}
			divar.Event(divartest.Event("SOMETHING_NEW"))
			want := "osl wZC44q5D https://divar.ir/ your value|osl gZd7omnS " + sdk.CompletionURL + " your value|dyn CHAT yes|" +
				"event NEW_MESSAGE|event NEW_CHATBOT_MESSAGE|event USER_ACCESS_REVOCATION|event POST_UPDATE|event PAYMENT_TRANSACTION|event SOMETHING_NEW"
			if strings.Join(a.seen, "|") != want {
				t.Errorf("the add-on saw\n%s\nwant\n%s", strings.Join(a.seen, "|"), want)
			}
			// What the add-on must refuse, it refuses.
			if p := divar.Refused(divartest.OpenServerLink().Key("wrong"), 401); p.Status != 401 {
				t.Errorf("problem %+v", p)
			}
			p := divar.Refused(divartest.DynamicAction().PostToken("far-too-long"), 400)
			if len(p.Errors) != 1 || p.Errors[0].Pointer != "/post_token" {
				t.Errorf("problem %+v", p)
			}
			divar.Refused(divartest.Event(event.TypeNewMessage).Body(`{"type":`), 400)
		})
	}
}

// fakeTB records what a test would report.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	fatal  bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatal(args ...any) {
	f.mu.Lock()
	f.errors = append(f.errors, fmt.Sprint(args...))
	f.fatal = true
	f.mu.Unlock()
	panic(f)
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }

// run calls f with a fakeTB and returns what it reported.
func run(t *testing.T, f func(tb testing.TB)) string {
	tb := &fakeTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != any(tb) {
				panic(r)
			}
		}()
		f(tb)
	}()
	return strings.Join(tb.errors, "\n")
}

// badAddon answers Divar's paths with fixed, wrong answers.
func badAddon(status int, contentType, body string, delay time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
}

func TestWrongAnswersAreCaught(t *testing.T) {
	const js = "application/json"
	for _, tc := range []struct {
		name     string
		req      func() *divartest.Request
		status   int
		ctype    string
		body     string
		deadline time.Duration
		delay    time.Duration
		want     []string
	}{
		{"500", divartest.OpenServerLink, 500, sdk.ProblemContentType, `{"title":"Internal Server Error","status":500}`, 0, 0,
			[]string{"POST /divar/open-server-link: answered 500, not 200 (500 Internal Server Error); Divar shows the user an error"}},
		{"404", divartest.DynamicAction, 404, "text/plain", `404 page not found`, 0, 0,
			[]string{"answered 404, not 200; Divar shows the user an error"}},
		{"missing url", divartest.OpenServerLink, 200, js, `{}`, 0, 0,
			[]string{"answer /url is required", "/url must be an absolute http(s) URL of 8 to 2048 characters"}},
		{"relative url", divartest.OpenServerLink, 200, js, `{"url":"/landing?s=1"}`, 0, 0,
			[]string{"answer /url is not an absolute http(s) URL; Divar's schema refuses it", "/url must be an absolute http(s) URL"}},
		{"other scheme", divartest.OpenServerLink, 200, js, `{"url":"javascript:alert(1)"}`, 0, 0,
			[]string{"answer /url is not an absolute http(s) URL"}},
		{"two action kinds", divartest.DynamicAction, 200, js,
			`{"action":{"open_direct_link":"https://addon.example/","open_post_page":{"post_token":"gZd7omnS"}}}`, 0, 0,
			[]string{"answer /action must set exactly one action kind", "/action: an action must set exactly one kind, it sets 2"}},
		{"no action kind", divartest.DynamicAction, 200, js, `{"action":{}}`, 0, 0,
			[]string{"/action: an action must set one kind, it sets none"}},
		{"empty answer", divartest.DynamicAction, 200, js, `{}`, 0, 0,
			[]string{"a dynamic-action answer needs an action, a text_message, or both"}},
		{"unknown member", divartest.OpenServerLink, 200, js, `{"url":"https://addon.example/","redirect":"x"}`, 0, 0,
			[]string{"answer body has a member that is not allowed"}},
		{"wrong content type", divartest.OpenServerLink, 200, "text/html", `{"url":"https://addon.example/"}`, 0, 0,
			[]string{`answered Content-Type "text/html", not application/json; Divar does not read the answer`}},
		{"not JSON", divartest.OpenServerLink, 200, js, `<html>`, 0, 0,
			[]string{"the answer is not one JSON value"}},
		{"trailing data", divartest.OpenServerLink, 200, js, `{"url":"https://addon.example/"}{}`, 0, 0,
			[]string{"the answer is not one JSON value (data after the JSON value); Divar cannot read it"}},
		{"event not acknowledged", func() *divartest.Request { return divartest.Event(event.TypeNewMessage) }, 503, "text/plain", "busy", 0, 0,
			[]string{"POST /divar/events: answered 503"}},
		{"slow answer", divartest.OpenServerLink, 200, js, `{"url":"https://addon.example/"}`, time.Millisecond, 20 * time.Millisecond,
			[]string{"answered after ", "Divar gives up after 1ms and the user sees an error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := badAddon(tc.status, tc.ctype, tc.body, tc.delay)
			got := run(t, func(tb testing.TB) {
				d := divartest.New(tb, gen.GetSpec, h)
				if tc.deadline > 0 {
					d.SetDeadline(tc.deadline)
				}
				d.Call(tc.req())
			})
			if !strings.HasPrefix(got, "divartest: Divar would reject the answer: POST /divar/") {
				t.Errorf("message %q does not say what Divar would do", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("message\n%s\nlacks\n%s", got, w)
				}
			}
			if strings.Contains(got, "addon.example") || strings.Contains(got, "/landing?s=1") {
				t.Errorf("the message repeats the answer's values: %s", got)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	if _, err := divartest.Send(context.Background(), nil, closed, divartest.OpenServerLink()); err == nil ||
		!strings.Contains(err.Error(), "cannot reach "+closed+" (is the add-on running?)") {
		t.Errorf("unreachable: %v", err)
	}

	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer slow.Close()
	defer close(block)
	client := &http.Client{Timeout: 20 * time.Millisecond}
	if _, err := divartest.Send(context.Background(), client, slow.URL, divartest.OpenServerLink()); err == nil ||
		!strings.Contains(err.Error(), "did not answer in time") {
		t.Errorf("timeout: %v", err)
	}
	got := run(t, func(tb testing.TB) { divartest.Dial(tb, gen.GetSpec, closed).Do(divartest.DynamicAction()) })
	if !strings.Contains(got, "cannot reach") {
		t.Errorf("Dial to a closed port reported %q", got)
	}
}

// The requests the kit sends are what kenarkit's server accepts, over real
// HTTP: method, path, key, header spelling and body.
func TestRequestsAreDivarShaped(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  *divartest.Request
		want string // a header the server saw, with the value 2
	}{
		{"seed init callback", divartest.OpenServerLink(), "API_VERSION"},
		{"current names", divartest.OpenServerLink().CurrentNames(), "API-Version"},
		{"dynamic action", divartest.DynamicAction(), "API_VERSION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen http.Header
			e := newGoodServer(t, &goodAddon{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = r.Header.Clone()
				e.ServeHTTP(w, r)
			}))
			defer srv.Close()
			resp, err := divartest.Send(context.Background(), srv.Client(), srv.URL, tc.req)
			if err != nil || resp.Status != 200 {
				t.Fatalf("%v %+v", err, resp)
			}
			if seen.Get("Authorization") != divartest.Key || seen.Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", seen)
			}
			if seen.Get(tc.want) != "2" {
				t.Errorf("no %s header in %v", tc.want, seen)
			}
		})
	}
	if b := string(divartest.OpenServerLink().Without("user_id", "source").Set("new_field", 1).JSON()); strings.Contains(b, "user_id") ||
		!strings.Contains(b, `"new_field":1`) {
		t.Errorf("Without/Set: %s", b)
	}
}

// withCustom is kenarkit's spec plus an operation of the add-on's own,
// GET /custom, answering {"ok": boolean}.
func withCustom() (*openapi3.T, error) {
	doc, err := gen.GetSpec()
	if err != nil {
		return nil, err
	}
	schema := openapi3.NewObjectSchema().WithProperty("ok", openapi3.NewBoolSchema())
	schema.Required = []string{"ok"}
	doc.Paths.Set("/custom", &openapi3.PathItem{Get: &openapi3.Operation{
		OperationID: "custom",
		Security:    &openapi3.SecurityRequirements{},
		Responses: openapi3.NewResponses(openapi3.WithStatus(http.StatusOK,
			&openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("ok").WithJSONSchema(schema)})),
	}})
	return doc, nil
}

func TestValidateResponses(t *testing.T) {
	const problem = `{"title":"Conflict","status":409}`
	for _, tc := range []struct {
		name    string
		method  string
		path    string
		call    *divartest.Request // sent with divartest.Serve when set
		answer  func(c echo.Context) error
		reports string // "" when nothing is wrong
	}{
		{"a good answer", http.MethodPost, server.OpenServerLinkPath, divartest.OpenServerLink(),
			func(c echo.Context) error {
				return c.JSON(http.StatusOK, map[string]string{"url": "https://a.example/x"})
			}, ""},
		{"a relative url", http.MethodPost, server.OpenServerLinkPath, divartest.OpenServerLink(),
			func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"url": "landing"}) },
			"answer /url is not an absolute http(s) URL"},
		{"a declared refusal", http.MethodPost, server.EventsPath, divartest.Event(event.TypeNewMessage),
			func(c echo.Context) error {
				return c.Blob(http.StatusConflict, "application/problem+json", []byte(problem))
			}, ""},
		{"an undeclared status", http.MethodPost, server.DynamicActionPath, divartest.DynamicAction(),
			func(c echo.Context) error {
				return c.Blob(http.StatusNotFound, "application/problem+json", []byte(problem))
			},
			"POST /divar/dynamic-action: the answer does not match the spec's responses"},
		{"a refusal that is not a problem", http.MethodPost, server.DynamicActionPath, divartest.DynamicAction(),
			func(c echo.Context) error { return c.String(http.StatusBadRequest, "bad") },
			"POST /divar/dynamic-action: the answer does not match the spec's responses"},
		{"the add-on's own endpoint, good", http.MethodGet, "/custom", nil,
			func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]bool{"ok": true}) }, ""},
		{"the add-on's own endpoint, wrong type", http.MethodGet, "/custom", nil,
			func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"ok": "yes"}) },
			"GET /custom: answer /ok must be a boolean; the spec refuses it"},
		{"a route outside the spec", http.MethodGet, "/healthz", nil,
			func(c echo.Context) error { return c.String(http.StatusOK, "<html>") }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, func(tb testing.TB) {
				e := echo.New()
				e.Use(divartest.ValidateResponses(tb, withCustom))
				e.Add(tc.method, tc.path, tc.answer)
				if tc.call != nil {
					divartest.Serve(e, tc.call)
					return
				}
				e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
			})
			switch {
			case tc.reports == "" && got != "":
				t.Errorf("reported %q", got)
			case tc.reports != "" && (!strings.Contains(got, tc.reports) || strings.Count(got, "divartest:") != 1):
				t.Errorf("reported %q, want one report with %q", got, tc.reports)
			}
		})
	}
}
