package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/divartest"

	"github.com/kenarkit/kenarkit/cmd/scaffold/starter/gen"
)

// startAddon serves the add-on, wired as main wires it, on a loopback port,
// with every answer to Divar's calls checked against api/openapi.yaml; it
// returns the server and a fake Divar that calls it. The add-on has no API
// key and no OAuth settings: loop_test.go gives them.
func startAddon(t *testing.T) (*httptest.Server, *divartest.Divar) {
	t.Helper()
	return divartest.Start(t, gen.GetSpec, func(publicURL string) (*server.Server, error) {
		cfg := config{Env: addonenv.Env{Keys: []string{divartest.Key}, PublicURL: publicURL}}
		e, addon, err := newServer(t.Context(), cfg, slog.New(slog.DiscardHandler))
		if err == nil {
			t.Cleanup(func() { addon.Close() })
		}
		return e, err
	})
}

func TestOpenServerLinkLandsOnThePage(t *testing.T) {
	t.Parallel()
	srv, divar := startAddon(t)
	for _, tc := range []struct {
		name     string
		call     *divartest.Request
		returnTo string
		shows    []string // besides the seed's context
	}{
		{"the seed's example", divartest.OpenServerLink(), "https://divar.ir/", nil},
		{"the current documentation's names", divartest.OpenServerLink().CurrentNames(), sdk.CompletionURL, nil},
		// Too long to seal into a 2048-character URL: kept server-side.
		{"a 1.6 KB return_url", divartest.OpenServerLink().ReturnURL("https://divar.ir/" + strings.Repeat("r", 1600)), "https://divar.ir/" + strings.Repeat("r", 1600), nil},
		{"a 100 KB extra_data", divartest.OpenServerLink().Set("extra_data", map[string]any{"your_key_1": "your value", "big": strings.Repeat("x", 100_000)}), "https://divar.ir/", nil},
		// Numbers no float64 holds are shown as sent, never as 0 or rounded.
		{"numbers beyond float64 in extra_data", divartest.OpenServerLink().Set("extra_data", json.RawMessage(`{"huge":1e999999,"id":123456789012345678901234567890,"your_key_1":"your value"}`)), "https://divar.ir/",
			[]string{`<dd class="data">1e999999</dd>`, `<dd class="data">123456789012345678901234567890</dd>`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer := divar.OpenServerLink(tc.call) // fails the test unless Divar accepts the answer
			if !strings.HasPrefix(answer.URL, srv.URL+landingPath+"?s=") {
				t.Fatalf("url %q is not the landing page under PUBLIC_URL", answer.URL)
			}
			status, html := get(t, srv, answer.URL)
			if status != http.StatusOK {
				t.Fatalf("landing page status %d", status)
			}
			for _, want := range append([]string{"wZC44q5D", "SUPPLY", "6b3d5cf7-9291-4fa9-892a-9d07e300daea", "your value",
				`href="` + tc.returnTo + `"`, `dir="rtl"`}, tc.shows...) {
				if !strings.Contains(html, want) {
					t.Errorf("landing page lacks %s", want)
				}
			}
		})
	}
}

// answerNo is the dynamic action's text for any answer but yes.
const answerNo = "درخواست شما دریافت شد."

func TestDynamicActionAnswers(t *testing.T) {
	t.Parallel()
	_, divar := startAddon(t)
	yes := divar.DynamicAction(divartest.DynamicAction().Data(sdk.Data{"answer": "yes"}))
	if yes.Action == nil || yes.Action.OpenServerLink == nil || yes.TextMessage != answerYes {
		t.Errorf("yes: %+v, want the add-on opened and %q", yes, answerYes)
	}
	no := divar.DynamicAction(divartest.DynamicAction().Data(sdk.Data{"answer": "no"}))
	if no.Action != nil || no.TextMessage != answerNo {
		t.Errorf("no: %+v, want only %q", no, answerNo)
	}
}

func TestEventsAreAcknowledged(t *testing.T) {
	t.Parallel()
	_, divar := startAddon(t)
	for _, typ := range append(divartest.EventTypes, "SOMETHING_NEW") {
		t.Run(string(typ), func(t *testing.T) {
			divar.Event(divartest.Event(typ))
			divar.Event(divartest.Event(typ)) // Divar may deliver an event twice
		})
	}
}

func TestCallbacksRefuse(t *testing.T) {
	t.Parallel()
	_, divar := startAddon(t)
	for _, tc := range []struct {
		name   string
		call   *divartest.Request
		status int
	}{
		{"a wrong key", divartest.OpenServerLink().Key("not-the-key"), http.StatusUnauthorized},
		{"no key", divartest.DynamicAction().Key(""), http.StatusUnauthorized},
		{"a post token over 10 characters", divartest.OpenServerLink().PostToken("12345678901"), http.StatusBadRequest},
		{"a body that is not JSON", divartest.DynamicAction().Body(`{"touchpoint":`), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			divar.Refused(tc.call, tc.status)
		})
	}
}

func TestLandingRefusesBadLinks(t *testing.T) {
	t.Parallel()
	srv, _ := startAddon(t)
	for _, tc := range []struct {
		name, query string
		status      int
	}{
		{"no session", "", http.StatusBadRequest},
		{"a forged session", "?s=" + url.QueryEscape("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, _ := get(t, srv, srv.URL+landingPath+tc.query); status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	srv, _ := startAddon(t)
	if status, body := get(t, srv, srv.URL+"/healthz"); status != http.StatusOK || body != "ok" {
		t.Fatalf("status %d, body %q", status, body)
	}
}

// get fetches u from the test server, as a browser would.
func get(t *testing.T, srv *httptest.Server, u string) (status int, body string) {
	t.Helper()
	res, err := srv.Client().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}
