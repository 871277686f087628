package consent_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"golang.org/x/oauth2"
)

// withParam returns u with its query parameter k set to v.
func withParam(t *testing.T, u, k, v string) string {
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	p.RawQuery = q.Encode()
	return p.String()
}

func param(t *testing.T, u, k string) string {
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get(k)
}

type failingStore struct{ consent.TokenStore }

var errDown = errors.New("dial unix /tmp/redis.sock: connect: no such file or directory")

func (failingStore) Get(context.Context, string) (string, error) { return "", errDown }
func (failingStore) Put(context.Context, string, string, time.Duration) error {
	return errDown
}
func (failingStore) Delete(context.Context, string) error { return errDown }

type failingStates struct{}

func (failingStates) Use(context.Context, string, time.Time) error { return errDown }

// TestCallbackRefusals: each way a redirect back can go wrong gets its
// status, its sentinel and a page in Persian and English saying what to
// do; none shows a token or a code, none is a bare 500.
func TestCallbackRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*consent.Config)
		visit  func(t *testing.T, f *fixture, b *browser) string // the address the browser opens
		status int
		want   error
		page   string // a phrase of the English text
	}{
		{
			name: "consent declined",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				f.oauth.Deny(true)
				return f.consentRedirect(b, user)
			},
			status: http.StatusForbidden, want: consent.ErrDenied, page: "You declined",
		},
		{
			name: "client not allowed the scope",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				f.oauth.Register(divartest.OAuthClient{ID: clientID, Secret: secret, RedirectURIs: []string{f.addon.URL + "/callback"}, Scopes: []string{"USER_ID"}})
				return f.consentRedirect(b, user)
			},
			status: http.StatusBadGateway, want: consent.ErrDivarRefused, page: "Divar refused",
		},
		{
			name: "forged state",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				return withParam(t, f.consentRedirect(b, user), "state", "AQAAAAAforged-by-someone-else-0123456789abcdefABCDEF")
			},
			status: http.StatusBadRequest, want: consent.ErrStateInvalid, page: "not valid",
		},
		{
			name: "tampered state",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				cb := f.consentRedirect(b, user)
				st := []byte(param(t, cb, "state"))
				st[len(st)/2] ^= 1
				return withParam(t, cb, "state", string(st))
			},
			status: http.StatusBadRequest, want: consent.ErrStateInvalid, page: "not valid",
		},
		{
			name: "no state",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				return withParam(t, f.consentRedirect(b, user), "state", "")
			},
			status: http.StatusBadRequest, want: consent.ErrStateInvalid, page: "not valid",
		},
		{
			name: "expired state",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				cb := f.consentRedirect(b, user)
				f.oauth.Advance(consent.DefaultStateTTL)
				return cb
			},
			status: http.StatusBadRequest, want: consent.ErrStateExpired, page: "expired",
		},
		{
			name: "replayed state",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				cb := f.consentRedirect(b, user)
				if status, _ := b.get(cb); status != http.StatusOK {
					t.Fatalf("first visit: %d", status)
				}
				return cb
			},
			status: http.StatusConflict, want: consent.ErrStateReplayed, page: "already used",
		},
		{
			name: "state from another browser",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				victim := newBrowser(t)
				cb := f.consentRedirect(victim, user)
				f.consentRedirect(b, user) // the attacker has a cookie of their own
				return cb
			},
			status: http.StatusForbidden, want: consent.ErrStateForeign, page: "another browser",
		},
		{
			name: "state with no cookie",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				return f.consentRedirect(newBrowser(t), user)
			},
			status: http.StatusForbidden, want: consent.ErrStateForeign, page: "cookies are off",
		},
		{
			name: "code already used",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				first := f.consentRedirect(b, user)
				if status, _ := b.get(first); status != http.StatusOK {
					t.Fatalf("first consent: %d", status)
				}
				return withParam(t, f.consentRedirect(b, user), "code", param(t, first, "code"))
			},
			status: http.StatusBadRequest, want: consent.ErrCodeRejected, page: "already used",
		},
		{
			name: "code expired",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				cb := f.consentRedirect(b, user)
				f.oauth.Advance(divartest.OAuthCodeTTL)
				return cb
			},
			status: http.StatusBadRequest, want: consent.ErrCodeRejected, page: "expired",
		},
		{
			name: "code for another client",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				other := newFixture(t, f.oauth, func(c *consent.Config) { c.ClientID = "other-app" })
				stolen := param(t, other.consentRedirect(newBrowser(t), user), "code")
				return withParam(t, f.consentRedirect(b, user), "code", stolen)
			},
			status: http.StatusBadRequest, want: consent.ErrCodeRejected, page: "Start again",
		},
		{
			name: "no code",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				return withParam(t, f.consentRedirect(b, user), "code", "")
			},
			status: http.StatusBadRequest, want: consent.ErrNoCode, page: "incomplete",
		},
		{
			name:   "wrong client secret",
			edit:   func(c *consent.Config) { c.ClientSecret = "not-the-secret" },
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, user) },
			status: http.StatusInternalServerError, want: consent.ErrClientRejected, page: "misconfigured",
		},
		{
			name: "Divar answers 503",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				f.oauth.Down(true)
				return f.consentRedirect(b, user)
			},
			status: http.StatusBadGateway, want: consent.ErrDivarUnavailable, page: "cannot be reached",
		},
		{
			name: "Divar unreachable",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				cb := f.consentRedirect(b, user)
				f.oauth.Close()
				return cb
			},
			status: http.StatusBadGateway, want: consent.ErrDivarUnavailable, page: "cannot be reached",
		},
		{
			name:   "token store down",
			edit:   func(c *consent.Config) { c.Tokens = failingStore{} },
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, user) },
			status: http.StatusServiceUnavailable, want: consent.ErrStoreUnavailable, page: "cannot save",
		},
		{
			name:   "used-state store down",
			edit:   func(c *consent.Config) { c.UsedStates = failingStates{} },
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, user) },
			status: http.StatusServiceUnavailable, want: consent.ErrStoreUnavailable, page: "cannot save",
		},
		{
			name:   "no user id and no Identify",
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, "") },
			status: http.StatusInternalServerError, want: consent.ErrNoUser, page: "could not finish",
		},
		{
			name: "OnGrant fails",
			edit: func(c *consent.Config) {
				c.OnGrant = func(http.ResponseWriter, *http.Request, *consent.Grant) error {
					return errors.New("post add-on not created")
				}
			},
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, user) },
			status: http.StatusInternalServerError, want: consent.ErrGrantHandler, page: "could not finish",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var edits []func(*consent.Config)
			if tc.edit != nil {
				edits = append(edits, tc.edit)
			}
			f := newFixture(t, nil, edits...)
			b := newBrowser(t)
			u := tc.visit(t, f, b)
			resp, err := b.follow.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			body := string(raw)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := f.lastError(); !errors.Is(got, tc.want) {
				t.Errorf("error %v, want %v", got, tc.want)
			}
			if !strings.Contains(body, tc.page) || !strings.Contains(body, `lang="fa"`) || !strings.ContainsAny(body, "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی") {
				t.Errorf("page lacks %q or its Persian text:\n%s", tc.page, body)
			}
			if !strings.Contains(body, `href="`+sdk.CompletionURL+`"`) {
				t.Errorf("the page has no way back to Divar:\n%s", body)
			}
			if strings.Contains(body, "ory_") || strings.Contains(body, secret) {
				t.Errorf("the page shows a token, a code or the secret:\n%s", body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			if rp := resp.Header.Get("Referrer-Policy"); rp != "no-referrer" {
				t.Errorf("Referrer-Policy %q", rp)
			}
		})
	}
}

func TestCallbackMethod(t *testing.T) {
	f := newFixture(t, nil)
	b := newBrowser(t)
	cb := f.consentRedirect(b, user)
	for _, method := range []string{http.MethodPost, http.MethodHead} {
		r, _ := http.NewRequest(method, cb, nil)
		resp, err := b.follow.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET" {
			t.Errorf("%s: %s, Allow %q", method, resp.Status, resp.Header.Get("Allow"))
		}
	}
	// Neither spent the state or the code.
	if status, _ := b.get(cb); status != http.StatusOK {
		t.Errorf("GET after POST and HEAD: %d", status)
	}
}

// TestDefaultGrantPage: without OnGrant the user reads that access was
// granted.
func TestDefaultGrantPage(t *testing.T) {
	f := newFixture(t, nil, func(c *consent.Config) { c.OnGrant = nil })
	status, body := newBrowser(t).get(f.addon.URL + "/start?user=" + user + "&post=" + post)
	if status != http.StatusOK || !strings.Contains(body, "Access granted") || !strings.Contains(body, "اجازه ثبت شد") {
		t.Errorf("%d %s", status, body)
	}
}

// TestIdentify: a consent begun without a user id (Divar's direct link)
// keys the token by the id Identify finds with the new token.
func TestIdentify(t *testing.T) {
	var f *fixture
	f = newFixture(t, nil, func(c *consent.Config) {
		c.Identify = func(ctx context.Context, ts oauth2.TokenSource) (string, error) {
			tok, err := ts.Token()
			if err != nil {
				return "", err
			}
			info, ok := f.oauth.Lookup(tok.AccessToken) // the fake API's GET /v1/open-platform/users
			if !ok {
				return "", errors.New("unknown token")
			}
			return info.UserID, nil
		}
	})
	f.oauth.SetUser("divar-user-7")
	status, _ := newBrowser(t).get(f.addon.URL + "/start?post=" + post)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if _, err := f.m.TokenSource(context.Background(), "divar-user-7").Token(); err != nil {
		t.Errorf("token stored under the identified user: %v", err)
	}
}
