package divartest_test

import (
	"errors"

	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/widget"

	"golang.org/x/oauth2"

	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divartest"
)

const fakeRedirect = "https://addon.example/divar/oauth/callback"

func newFakeOAuth(t *testing.T) *divartest.OAuth {
	return divartest.NewOAuth(t,
		divartest.OAuthClient{ID: "app", Secret: "s3cret", RedirectURIs: []string{fakeRedirect}, Scopes: []string{"POST_ADDON_CREATE.*", "USER_PHONE", "offline_access"}},
		divartest.OAuthClient{ID: "other", Secret: "other-secret", RedirectURIs: []string{"https://other.example/cb"}},
	)
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize visits the consent page and returns the redirect's query.
func authorize(t *testing.T, o *divartest.OAuth, params url.Values) (int, url.Values) {
	t.Helper()
	resp, err := noFollow.Get(o.AuthURL() + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return resp.StatusCode, loc.Query()
}

func authParams(scope string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {fakeRedirect}, "scope": {scope}, "state": {"state-0123456789"}}
}

// postToken calls the token endpoint; basic sends the client's
// credentials in Basic rather than the form.
func postToken(t *testing.T, o *divartest.OAuth, form url.Values, basic bool) (int, map[string]any) {
	t.Helper()
	if basic {
		form = cloneValues(form)
		form.Del("client_id")
		form.Del("client_secret")
	}
	r, _ := http.NewRequest(http.MethodPost, o.TokenURL(), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		r.SetBasicAuth("app", "s3cret")
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s: %s", err, raw)
	}
	return resp.StatusCode, body
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func codeFor(t *testing.T, o *divartest.OAuth, scope string) string {
	status, q := authorize(t, o, authParams(scope))
	if status != http.StatusSeeOther || q.Get("code") == "" || q.Get("state") != "state-0123456789" {
		t.Fatalf("authorize: %d %v", status, q)
	}
	return q.Get("code")
}

func exchangeForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"app"}, "client_secret": {"s3cret"}, "redirect_uri": {fakeRedirect}}
}

func TestFakeOAuthAuthorize(t *testing.T) {
	o := newFakeOAuth(t)
	for _, tc := range []struct {
		name   string
		edit   func(url.Values)
		deny   bool
		status int
		err    string
	}{
		{"granted", nil, false, http.StatusSeeOther, ""},
		{"declined", nil, true, http.StatusSeeOther, "access_denied"},
		{"scope not allowed", func(v url.Values) { v.Set("scope", "USER_ID") }, false, http.StatusSeeOther, "invalid_scope"},
		{"weak state", func(v url.Values) { v.Set("state", "abc") }, false, http.StatusSeeOther, "invalid_state"},
		{"response_type token", func(v url.Values) { v.Set("response_type", "token") }, false, http.StatusSeeOther, "unsupported_response_type"},
		{"unregistered redirect", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, false, http.StatusBadRequest, ""},
		{"redirect with a query", func(v url.Values) { v.Set("redirect_uri", fakeRedirect+"?x=1") }, false, http.StatusBadRequest, ""},
		{"unknown client", func(v url.Values) { v.Set("client_id", "nobody") }, false, http.StatusUnauthorized, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o.Deny(tc.deny)
			p := authParams("POST_ADDON_CREATE.AZTH74V2 offline_access")
			if tc.edit != nil {
				tc.edit(p)
			}
			status, q := authorize(t, o, p)
			if status != tc.status || q.Get("error") != tc.err {
				t.Errorf("%d error=%q, want %d %q", status, q.Get("error"), tc.status, tc.err)
			}
			if status == http.StatusSeeOther && tc.err == "" && (q.Get("code") == "" || q.Get("scope") != "POST_ADDON_CREATE.AZTH74V2 offline_access") {
				t.Errorf("granted without a code or scope: %v", q)
			}
		})
	}
}

func TestFakeOAuthToken(t *testing.T) {
	o := newFakeOAuth(t)
	// Both client authentication methods.
	for _, basic := range []bool{false, true} {
		status, body := postToken(t, o, exchangeForm(codeFor(t, o, "USER_PHONE offline_access")), basic)
		if status != http.StatusOK || body["token_type"] != "bearer" || body["expires_in"] != float64(3600) || body["scope"] != "USER_PHONE offline_access" ||
			!strings.HasPrefix(body["access_token"].(string), "ory_at_") || !strings.HasPrefix(body["refresh_token"].(string), "ory_rt_") {
			t.Errorf("basic=%v: %d %v", basic, status, body)
		}
	}
	// No offline_access, no refresh token.
	if _, body := postToken(t, o, exchangeForm(codeFor(t, o, "USER_PHONE")), false); body["refresh_token"] != nil {
		t.Error("a refresh token without offline_access")
	}

	for _, tc := range []struct {
		name   string
		form   func() url.Values
		status int
		err    string
	}{
		{"wrong secret", func() url.Values {
			f := exchangeForm(codeFor(t, o, "USER_PHONE"))
			f.Set("client_secret", "guess")
			return f
		}, http.StatusUnauthorized, "invalid_client"},
		{"no secret", func() url.Values {
			f := exchangeForm(codeFor(t, o, "USER_PHONE"))
			f.Del("client_secret")
			return f
		}, http.StatusUnauthorized, "invalid_client"},
		{"redirect_uri mismatch", func() url.Values {
			f := exchangeForm(codeFor(t, o, "USER_PHONE"))
			f.Set("redirect_uri", fakeRedirect+"/other")
			return f
		}, http.StatusBadRequest, "invalid_grant"},
		{"code for another client", func() url.Values {
			f := exchangeForm(codeFor(t, o, "USER_PHONE"))
			f.Set("client_id", "other")
			f.Set("client_secret", "other-secret")
			return f
		}, http.StatusBadRequest, "invalid_grant"},
		{"unknown code", func() url.Values { return exchangeForm("ory_ac_made-up") }, http.StatusBadRequest, "invalid_grant"},
		{"expired code", func() url.Values {
			f := exchangeForm(codeFor(t, o, "USER_PHONE"))
			o.Advance(divartest.OAuthCodeTTL)
			return f
		}, http.StatusBadRequest, "invalid_grant"},
		{"unsupported grant", func() url.Values {
			f := exchangeForm("x")
			f.Set("grant_type", "password")
			return f
		}, http.StatusBadRequest, "unsupported_grant_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postToken(t, o, tc.form(), false)
			if status != tc.status || body["error"] != tc.err || body["error_description"] == "" {
				t.Errorf("%d %v, want %d %s", status, body, tc.status, tc.err)
			}
		})
	}
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"app"}, "client_secret": {"s3cret"}}
}

func TestFakeOAuthRefresh(t *testing.T) {
	o := newFakeOAuth(t)
	code := codeFor(t, o, "POST_ADDON_CREATE.AZTH74V2 offline_access")
	_, first := postToken(t, o, exchangeForm(code), false)
	at1 := first["access_token"].(string)
	if scopes, ok := o.Scopes(at1); !ok || strings.Join(scopes, " ") != "POST_ADDON_CREATE.AZTH74V2 offline_access" {
		t.Fatalf("Scopes = %v %v", scopes, ok)
	}
	if status, body := postToken(t, o, exchangeForm(code), false); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("code reused: %d %v", status, body)
	}
	// Hydra revokes what a reused code gave.
	if _, ok := o.Scopes(at1); ok {
		t.Error("a reused code's token still works")
	}

	_, first = postToken(t, o, exchangeForm(codeFor(t, o, "POST_ADDON_CREATE.AZTH74V2 offline_access")), false)
	at1, rt1 := first["access_token"].(string), first["refresh_token"].(string)
	o.Advance(time.Hour)
	if _, ok := o.Scopes(at1); ok {
		t.Error("an expired access token is valid")
	}
	f := refreshForm(rt1)
	f.Set("scope", "USER_PHONE")
	if status, body := postToken(t, o, f, false); status != http.StatusBadRequest || body["error"] != "invalid_scope" {
		t.Errorf("refresh asking a scope not granted: %d %v", status, body)
	}
	status, second := postToken(t, o, refreshForm(rt1), true) // client_secret_basic
	if status != http.StatusOK || second["refresh_token"] == rt1 || second["access_token"] == at1 {
		t.Fatalf("refresh: %d %v", status, second)
	}
	at2 := second["access_token"].(string)
	if _, ok := o.Scopes(at2); !ok {
		t.Error("the new access token is not valid")
	}
	if status, body := postToken(t, o, refreshForm(rt1), false); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("rotated refresh token reused: %d %v", status, body)
	}
	if _, ok := o.Scopes(at2); ok {
		t.Error("reuse did not revoke the grant")
	}
	if n := o.Issued("refresh_token"); n != 1 {
		t.Errorf("Issued = %d", n)
	}
}

func TestFakeOAuthAccessTokenTTL(t *testing.T) {
	o := newFakeOAuth(t)
	o.SetAccessTokenTTL(5*time.Minute + 3*time.Second)
	_, tok := postToken(t, o, exchangeForm(codeFor(t, o, "POST_ADDON_CREATE.AZTH74V2 offline_access")), false)
	if tok["expires_in"] != float64(303) {
		t.Errorf("expires_in = %v, want 303", tok["expires_in"])
	}
	at := tok["access_token"].(string)
	o.Advance(5*time.Minute + 2*time.Second)
	if _, ok := o.Scopes(at); !ok {
		t.Error("the access token expired before its life")
	}
	o.Advance(time.Second)
	if _, ok := o.Scopes(at); ok {
		t.Error("the access token outlived its life")
	}
	_, refreshed := postToken(t, o, refreshForm(tok["refresh_token"].(string)), false)
	if refreshed["expires_in"] != float64(303) {
		t.Errorf("a refresh's expires_in = %v, want 303", refreshed["expires_in"])
	}
}

func TestFakeOAuthGraceAndRevoke(t *testing.T) {
	o := newFakeOAuth(t)
	o.SetGrace(2 * time.Minute)
	o.SetUser("u1")
	_, first := postToken(t, o, exchangeForm(codeFor(t, o, "USER_PHONE offline_access")), false)
	at1, rt1 := first["access_token"].(string), first["refresh_token"].(string)
	if status, _ := postToken(t, o, refreshForm(rt1), false); status != http.StatusOK {
		t.Fatal(status)
	}
	if _, ok := o.Scopes(at1); !ok {
		t.Error("the old access token failed within the grace")
	}
	o.Advance(2 * time.Minute)
	if _, ok := o.Scopes(at1); ok {
		t.Error("the old access token works after the grace")
	}
	_, third := postToken(t, o, exchangeForm(codeFor(t, o, "USER_PHONE offline_access")), false)
	o.Revoke("u1")
	if _, ok := o.Scopes(third["access_token"].(string)); ok {
		t.Error("revoked, still valid")
	}
	if status, body := postToken(t, o, refreshForm(third["refresh_token"].(string)), false); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("refresh after revocation: %d %v", status, body)
	}
	o.Down(true)
	if status, body := postToken(t, o, refreshForm("x"), false); status != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" {
		t.Errorf("down: %d %v", status, body)
	}
}

// The fake API takes the tokens the fake OAuth server issues once told
// to, with their scopes, and refuses them once refreshed away.
func TestFakeAPIUsesOAuthTokens(t *testing.T) {
	o := newFakeOAuth(t)
	o.SetUser("seller-1")
	api := divartest.NewAPI(t)
	api.UseOAuth(o)
	_, tok := postToken(t, o, exchangeForm(codeFor(t, o, "POST_ADDON_CREATE.gZd7omnS offline_access")), false)
	access, _ := tok["access_token"].(string)
	client, err := divar.NewClient(divar.Config{APIKey: divartest.APIKey, BaseURL: api.URL(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	user := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: access})
	addon := widget.Addon(widget.TitleRow("سلام"))
	if err := client.CreatePostAddon(t.Context(), user, "gZd7omnS", addon); err != nil {
		t.Fatalf("a token the OAuth server issued: %v", err)
	}
	if err := client.CreatePostAddon(t.Context(), user, "otherPst", addon); !errors.Is(err, divar.ErrForbidden) {
		t.Errorf("a post the token has no scope for: %v, want ErrForbidden", err)
	}
	o.Revoke("seller-1")
	if err := client.CreatePostAddon(t.Context(), user, "gZd7omnS", addon); !errors.Is(err, divar.ErrUnauthorized) {
		t.Errorf("a revoked token: %v, want ErrUnauthorized", err)
	}
}

// TestFakeOAuthAnswersHydrasText: the fake's error descriptions, kept in
// hydra.json, are Hydra's word for word (here the one for a short state).
func TestFakeOAuthAnswersHydrasText(t *testing.T) {
	o := newFakeOAuth(t)
	p := authParams("POST_ADDON_CREATE.AZTH74V2")
	p.Set("state", "abc")
	_, q := authorize(t, o, p)
	const want = "The state is missing or does not have enough characters and is therefore considered too weak."
	if got := q.Get("error_description"); !strings.HasPrefix(got, want) {
		t.Errorf("error_description = %q, want Hydra's %q", got, want)
	}
}
