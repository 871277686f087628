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

	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/tokens"
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

type failingStore struct{ tokens.Store }

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
		edit   func(*setup)
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
				other := newFixture(t, f.oauth, func(c *setup) { c.Keeper.ClientID = "other-app" })
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
			edit:   func(c *setup) { c.Keeper.ClientSecret = "not-the-secret" },
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, user) },
			status: http.StatusInternalServerError, want: tokens.ErrClientRejected, page: "misconfigured",
		},
		{
			name: "Divar answers 503",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				f.oauth.Down(true)
				return f.consentRedirect(b, user)
			},
			status: http.StatusBadGateway, want: tokens.ErrDivarUnavailable, page: "cannot be reached",
		},
		{
			name: "Divar unreachable",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				cb := f.consentRedirect(b, user)
				f.oauth.Close()
				return cb
			},
			status: http.StatusBadGateway, want: tokens.ErrDivarUnavailable, page: "cannot be reached",
		},
		{
			name:   "token store down",
			edit:   func(c *setup) { c.Keeper.Store = failingStore{} },
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, user) },
			status: http.StatusServiceUnavailable, want: consent.ErrStoreUnavailable, page: "cannot save",
		},
		{
			name:   "used-state store down",
			edit:   func(c *setup) { c.UsedStates = failingStates{} },
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, user) },
			status: http.StatusServiceUnavailable, want: consent.ErrStoreUnavailable, page: "cannot save",
		},
		{
			name:   "neither API nor Identify",
			edit:   func(c *setup) { c.Keeper.API = nil },
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, user) },
			status: http.StatusInternalServerError, want: consent.ErrNoUser, page: "could not finish",
		},
		{
			name: "granted by another user",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				f.oauth.SetUser(otherUser) // user A's link, opened and granted by user B
				return f.consentRedirect(b, user)
			},
			status: http.StatusForbidden, want: consent.ErrWrongUser, page: "another Divar account",
		},
		{
			name: "Divar does not say who granted",
			visit: func(t *testing.T, f *fixture, b *browser) string {
				f.api.Deny("USER_RETRIEVE")
				return f.consentRedirect(b, user)
			},
			status: http.StatusBadGateway, want: consent.ErrNoUser, page: "could not finish",
		},
		{
			name: "Identify names no one",
			edit: func(c *setup) {
				c.Keeper.Identify = func(context.Context, oauth2.TokenSource) (string, error) { return "", nil }
			},
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, "") },
			status: http.StatusBadGateway, want: consent.ErrNoUser, page: "could not finish",
		},
		{
			name: "too many states pending",
			edit: func(c *setup) { c.UsedStates = consent.NewMemoryUsedStatesAt(c.Now, 1) },
			visit: func(t *testing.T, f *fixture, b *browser) string {
				if status, _ := b.get(f.consentRedirect(b, user)); status != http.StatusOK {
					t.Fatalf("first consent: %d", status)
				}
				return f.consentRedirect(b, user)
			},
			status: http.StatusTooManyRequests, want: consent.ErrTooManyStates, page: "Too many consents",
		},
		{
			name: "OnGrant fails",
			edit: func(c *setup) {
				c.OnGrant = func(http.ResponseWriter, *http.Request, *consent.Grant) error {
					return errors.New("post add-on not created")
				}
			},
			visit:  func(t *testing.T, f *fixture, b *browser) string { return f.consentRedirect(b, user) },
			status: http.StatusInternalServerError, want: consent.ErrGrantHandler, page: "could not finish",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var edits []func(*setup)
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
	f := newFixture(t, nil, func(c *setup) { c.OnGrant = nil })
	status, body := newBrowser(t).get(f.addon.URL + "/start?user=" + user + "&post=" + post)
	if status != http.StatusOK || !strings.Contains(body, "Access granted") || !strings.Contains(body, "اجازه ثبت شد") {
		t.Errorf("%d %s", status, body)
	}
}

// TestGrantBoundToItsUser: user A forwards their landing link to user B,
// who opens it and consents on Divar's page, signed in as B. The Manager
// asks Divar's user endpoint who granted, and stores B's token under
// neither A nor B; A's own consent then goes through, and the direct link
// (no user asked) is stored under whoever granted.
func TestGrantBoundToItsUser(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()

	f.oauth.SetUser(otherUser) // B is signed in to Divar in this browser
	status, body := newBrowser(t).get(f.addon.URL + "/start?user=" + user + "&post=" + post)
	if status != http.StatusForbidden || !strings.Contains(body, "another Divar account") || !strings.Contains(body, "حساب دیگری") {
		t.Fatalf("B completing A's link: %d\n%s", status, body)
	}
	if err := f.lastError(); !errors.Is(err, consent.ErrWrongUser) || !strings.Contains(err.Detail, otherUser) {
		t.Errorf("error %v", err)
	}
	for _, u := range []string{user, otherUser} {
		if _, err := f.k.TokenSource(ctx, u).Token(); !errors.Is(err, tokens.ErrReconsent) {
			t.Errorf("a token is stored under %s: %v", u, err)
		}
	}
	if len(f.grants) != 0 {
		t.Errorf("OnGrant ran for a refused grant: %+v", f.grants)
	}
	if n := f.api.CallsTo("getUser"); n != 1 {
		t.Errorf("Divar's user endpoint asked %d times, want 1", n)
	}

	f.oauth.SetUser(user)
	if status, _ := newBrowser(t).get(f.addon.URL + "/start?user=" + user + "&post=" + post); status != http.StatusOK {
		t.Fatalf("A's own consent: %d", status)
	}
	if _, err := f.k.TokenSource(ctx, user).Token(); err != nil {
		t.Errorf("A's token: %v", err)
	}

	f.oauth.SetUser(otherUser)
	if status, _ := newBrowser(t).get(f.addon.URL + "/start?post=" + post); status != http.StatusOK {
		t.Fatalf("the direct link: %d", status)
	}
	tok, err := f.k.TokenSource(ctx, otherUser).Token()
	if info, ok := f.oauth.Lookup(tok.AccessToken); err != nil || !ok || info.UserID != otherUser {
		t.Errorf("the direct link's grant is not stored under its user: %v %+v", err, info)
	}
}

// TestIdentify: Config.Identify replaces the API: the grant is checked
// against the user it names.
func TestIdentify(t *testing.T) {
	var f *fixture
	f = newFixture(t, nil, func(c *setup) {
		c.Keeper.API = nil
		c.Keeper.Identify = func(ctx context.Context, ts oauth2.TokenSource) (string, error) {
			tok, err := ts.Token()
			if err != nil {
				return "", err
			}
			info, ok := f.oauth.Lookup(tok.AccessToken)
			if !ok {
				return "", errors.New("unknown token")
			}
			return info.UserID, nil
		}
	})
	f.oauth.SetUser("divar-user-7")
	if status, _ := newBrowser(t).get(f.addon.URL + "/start?post=" + post); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if _, err := f.k.TokenSource(context.Background(), "divar-user-7").Token(); err != nil {
		t.Errorf("token stored under the identified user: %v", err)
	}
	if status, _ := newBrowser(t).get(f.addon.URL + "/start?user=" + user + "&post=" + post); status != http.StatusForbidden {
		t.Errorf("another user's link: %d, want 403", status)
	}
}

// TestTooManyStates: beyond the bound the redirect is answered 429 with
// Retry-After, the code is not spent, and the same redirect goes through
// once the older states have expired.
func TestTooManyStates(t *testing.T) {
	f := newFixture(t, nil, func(c *setup) {
		c.StateTTL = 5 * time.Minute // shorter than the code's 10
		c.UsedStates = consent.NewMemoryUsedStatesAt(c.Now, 1)
	})
	b := newBrowser(t)
	if status, _ := b.get(f.consentRedirect(b, user)); status != http.StatusOK {
		t.Fatalf("first consent: %d", status)
	}
	f.oauth.Advance(time.Minute)
	cb := f.consentRedirect(b, user)
	resp, err := b.follow.Get(cb)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("%s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	if n := f.oauth.Issued("authorization_code"); n != 1 {
		t.Errorf("%d codes exchanged, want 1: a refused redirect spent its code", n)
	}
	f.oauth.Advance(4 * time.Minute) // the first state expires, not the second
	if status, body := b.get(cb); status != http.StatusOK {
		t.Errorf("the same redirect once there is room: %d %s", status, body)
	}
}
