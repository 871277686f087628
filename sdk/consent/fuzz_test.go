package consent_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// FuzzCallback sends the redirect handler any query and cookie: it never
// panics, never grants (no token endpoint is reachable), and answers one of
// its documented statuses with a page.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func FuzzCallback(f *testing.F) {
	f.Add("state=AQ&code=x", "")
	f.Add("error=access_denied&state=", "")
	f.Add("error=%00&error_description=%ff%fe", "kenarkit_consent=AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("code=ory_ac_x&state=AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "kenarkit_consent=x")
	sealer, _ := seal.New()
	keeper, err := tokens.New(tokens.Config{ClientID: "app", ClientSecret: "s", TokenURL: "http://127.0.0.1:1/oauth2/token", Sealer: sealer, Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	defer keeper.Close()
	m, err := consent.New(consent.Config{Tokens: keeper, RedirectURL: "http://127.0.0.1:1/cb", Sealer: sealer, Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	allowed := map[int]bool{400: true, 403: true, 409: true, 502: true}
	f.Fuzz(func(t *testing.T, query, cookie string) {
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1/cb", nil)
		r.URL.RawQuery = query
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		m.ServeHTTP(w, r)
		if !allowed[w.Code] || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("query %q: %d %q", query, w.Code, w.Header().Get("Content-Type"))
		}
	})
}
