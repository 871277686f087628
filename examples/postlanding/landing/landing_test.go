package landing_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/event"
	landingpage "github.com/kenarkit/kenarkit/sdk/landing"

	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/kenarkit/kenarkit/examples/postlanding/landing"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/session"
)

var key = make([]byte, seal.KeySize)

func start(t *testing.T, ttl time.Duration, sessionKeys ...[]byte) (*httptest.Server, *divartest.Divar) {
	t.Helper()
	return startWith(t, landing.Config{SessionKeys: sessionKeys, TTL: ttl})
}

// startWith serves the add-on configured by cfg, with the test's key,
// address and a silent log, and returns it with a Divar that calls it.
func startWith(t *testing.T, cfg landing.Config) (*httptest.Server, *divartest.Divar) {
	t.Helper()
	return divartest.Start(t, gen.GetSpec, func(publicURL string) (*server.Server, error) {
		cfg.Keys, cfg.PublicURL, cfg.Logger = []string{divartest.Key}, publicURL, slog.New(slog.DiscardHandler)
		return landing.NewServer(cfg)
	})
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestTheLandingPageShowsTheContext(t *testing.T) {
	srv, divar := start(t, 0, key)
	for _, tc := range []struct {
		name     string
		call     *divartest.Request
		returnTo string
		shows    []string
	}{
		{"the seed", divartest.OpenServerLink(), "https://divar.ir/",
			[]string{"wZC44q5D", "6b3d5cf7-9291-4fa9-892a-9d07e300daea", "SUPPLY", "6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI=", "your_key_2", "your value"}},
		{"current names, typed data", divartest.OpenServerLink().CurrentNames().Set("provider_data", map[string]any{"n": 2, "ok": true}).UserSide(sdk.UserSideDemand),
			sdk.CompletionURL, []string{"DEMAND", `<dd class="data">2</dd>`, `<dd class="data">true</dd>`}},
		{"markup in the data is escaped", divartest.OpenServerLink().Data(sdk.Data{"x": "<script>alert(1)</script>"}),
			"https://divar.ir/", []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer := divar.OpenServerLink(tc.call)
			if !strings.HasPrefix(answer.URL, srv.URL+landing.Path+"?s=") {
				t.Fatalf("url %q", answer.URL)
			}
			res, page := get(t, answer.URL)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			for _, want := range append(tc.shows, `dir="rtl"`, `name="viewport"`, `id="back" href="`+tc.returnTo+`"`) {
				if !strings.Contains(page, want) {
					t.Errorf("the page lacks %s", want)
				}
			}
			if strings.Contains(page, "<script>") {
				t.Error("the page runs submitted markup")
			}
			for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
				if got := res.Header.Get(h); got != want {
					t.Errorf("%s = %q", h, got)
				}
			}
			if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Error("no CSP")
			}
		})
	}
}

func TestBadLinks(t *testing.T) {
	srv, divar := start(t, 0, key)
	answer := divar.OpenServerLink(divartest.OpenServerLink())
	token := strings.TrimPrefix(answer.URL, srv.URL+landing.Path+"?s=")

	other, otherDivar := start(t, 0) // a replica with another (random) key
	fromOther := strings.TrimPrefix(otherDivar.OpenServerLink(divartest.OpenServerLink()).URL, other.URL+landing.Path+"?s=")

	_, expiring := start(t, time.Nanosecond, key) // same key, links expire at once
	expired := strings.TrimPrefix(expiring.OpenServerLink(divartest.OpenServerLink()).URL, "http://")
	expired = expired[strings.Index(expired, "?s=")+3:]

	flipped := []byte(token)
	flipped[len(flipped)/2] ^= 1
	for _, tc := range []struct {
		name, query string
		status      int
		text        string
	}{
		{"no token", "", http.StatusBadRequest, landingpage.ProblemInvalid},
		{"tampered", "?s=" + url.QueryEscape(string(flipped)), http.StatusBadRequest, landingpage.ProblemInvalid},
		{"truncated", "?s=" + token[:len(token)-3], http.StatusBadRequest, landingpage.ProblemInvalid},
		{"another key", "?s=" + fromOther, http.StatusBadRequest, landingpage.ProblemInvalid},
		{"expired", "?s=" + expired, http.StatusGone, landingpage.ProblemExpired},
		{"huge", "?s=" + strings.Repeat("A", 5000), http.StatusBadRequest, landingpage.ProblemInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, page := get(t, srv.URL+landing.Path+tc.query)
			if res.StatusCode != tc.status || !strings.Contains(page, tc.text) {
				t.Fatalf("status %d, want %d with %q", res.StatusCode, tc.status, tc.text)
			}
			if !strings.Contains(page, `href="`+sdk.CompletionURL+`"`) || strings.Contains(page, "wZC44q5D") {
				t.Error("a refused link must lead back to Divar and show nothing")
			}
		})
	}
}

func TestDynamicActionStartsTheFlow(t *testing.T) {
	_, divar := start(t, 0, key)
	a := divar.DynamicAction(divartest.DynamicAction().Data(sdk.Data{"step": "1"}))
	if a.Action == nil || a.Action.OpenServerLink == nil || a.Action.OpenServerLink.Data.String("step") != "1" {
		t.Errorf("answer %+v", a)
	}
	divar.Event(divartest.Event(event.TypePostUpdate))
}

// TestEveryValidInitCallbackLands: every valid init callback, every field
// at its schema's maxLength and a large extra_data included, is answered
// 200 with a landing URL Divar accepts (≤ 2048 characters) that opens the
// page with the callback's context, on this replica and on another that
// shares its keys and session store.
func TestEveryValidInitCallbackLands(t *testing.T) {
	store := session.NewMemoryStore(session.MemoryStoreConfig{}) // as Redis is shared
	srv, divar := startWith(t, landing.Config{SessionKeys: [][]byte{key}, SessionStore: store})
	other, _ := startWith(t, landing.Config{SessionKeys: [][]byte{key}, SessionStore: store})
	longReturn := "https://divar.ir/" + strings.Repeat("r", 2048-len("https://divar.ir/"))
	maxed := func() *divartest.Request {
		return divartest.OpenServerLink().ReturnURL(longReturn).Set("completion_url", "https://c.divar.ir/"+strings.Repeat("c", 2048-len("https://c.divar.ir/"))).
			Source(sdk.Source(strings.Repeat("S", 20))).PostToken(strings.Repeat("P", 10)).ConversationID(strings.Repeat("C", 64)).
			UserSide(sdk.UserSide(strings.Repeat("U", 50))).UserID(strings.Repeat("I", 64))
	}
	for _, tc := range []struct {
		name     string
		call     *divartest.Request
		returnTo string
		shows    []string
	}{
		{"the seed", divartest.OpenServerLink(), "https://divar.ir/", []string{"wZC44q5D", "your value"}},
		{"every field at its maximum", maxed(), longReturn, []string{strings.Repeat("P", 10), strings.Repeat("C", 64), strings.Repeat("U", 50), strings.Repeat("I", 64), strings.Repeat("S", 20)}},
		{"1.6 KB return_url", divartest.OpenServerLink().ReturnURL("https://divar.ir/" + strings.Repeat("a", 1600)), "https://divar.ir/" + strings.Repeat("a", 1600), []string{"wZC44q5D"}},
		{"1.4 KB extra_data", maxed().Data(sdk.Data{"k": strings.Repeat("ن", 700)}), longReturn, []string{strings.Repeat("ن", 700)}},
		{"100 KB extra_data", maxed().Data(sdk.Data{"k": strings.Repeat("x", 100_000), "n": 7}), longReturn, []string{strings.Repeat("x", 100_000), `<dd class="data">7</dd>`}},
		{"numbers beyond float64 in extra_data, shown as sent", divartest.OpenServerLink().Set("extra_data", json.RawMessage(`{"huge":1e999999,"id":123456789012345678901234567890,"your_key_1":"your value"}`)), "https://divar.ir/",
			[]string{`<dd class="data">1e999999</dd>`, `<dd class="data">123456789012345678901234567890</dd>`, "your value"}},
		{"a relative return_url", divartest.OpenServerLink().ReturnURL("/back"), sdk.CompletionURL, []string{"wZC44q5D"}},
		{"a javascript: return_url", divartest.OpenServerLink().ReturnURL("javascript:alert(1)"), sdk.CompletionURL, []string{"wZC44q5D"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer := divar.OpenServerLink(tc.call) // fails the test on anything but a 200 Divar accepts
			if len(answer.URL) > 2048 || !strings.HasPrefix(answer.URL, srv.URL+landing.Path+"?s=") {
				t.Fatalf("a URL of %d characters: %.80s…", len(answer.URL), answer.URL)
			}
			for _, base := range []string{srv.URL, other.URL} {
				res, page := get(t, base+strings.TrimPrefix(answer.URL, srv.URL))
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s: status %d", base, res.StatusCode)
				}
				for _, want := range append(tc.shows, `id="back" href="`+tc.returnTo+`"`) {
					if !strings.Contains(page, want) {
						t.Errorf("%s: the page lacks %.60s", base, want)
					}
				}
			}
		})
	}
}
