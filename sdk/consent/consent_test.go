package consent_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divar"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

const (
	clientID = "kenar-app"
	secret   = "s3cret-from-the-panel"
	post     = "AZTH74V2"
	user     = "awoDdf1ecd2wac"
	// otherUser is another Divar account.
	otherUser = "bxpEeg2fde3xbd"
)

// fixture is an add-on with a consent.Manager served over loopback, a
// fake Divar OAuth server, and a log that must never hold a token.
type fixture struct {
	t      *testing.T
	oauth  *divartest.OAuth
	api    *divartest.API // Divar's API, asked who granted
	m      *consent.Manager
	cfg    setup
	k      *tokens.Keeper // the grants
	addon  *httptest.Server
	logs   *syncBuffer
	mu     sync.Mutex
	grants []*consent.Grant
	errs   []*consent.CallbackError
}

// setup is what a fixture is built from: the Manager's configuration and
// its Keeper's.
type setup struct {
	consent.Config
	Keeper tokens.Config
}

// syncBuffer is a log destination safe for the server's and client's goroutines.
type syncBuffer = divartest.LogBuffer

// newFixture starts the add-on: GET /start?user=&post= asks consent for
// POST_ADDON_CREATE.<post> and offline_access; /callback is the Manager.
func newFixture(t *testing.T, oauth *divartest.OAuth, edit ...func(*setup)) *fixture {
	t.Helper()
	if oauth == nil {
		oauth = divartest.NewOAuth(t)
	}
	f := &fixture{t: t, oauth: oauth, api: divartest.NewAPI(t), logs: &syncBuffer{}}
	f.api.UseOAuth(oauth)
	oauth.SetUser(user) // the user the consents are asked for grants them
	client, err := divar.NewClient(divar.Config{APIKey: divartest.APIKey, BaseURL: f.api.URL()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.addon = httptest.NewServer(mux)
	t.Cleanup(f.addon.Close)
	redirect := f.addon.URL + "/callback"
	sealer, err := seal.New()
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.cfg.Keeper = tokens.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		TokenURL:     oauth.TokenURL(),
		Sealer:       sealer,
		API:          client,
		Now:          oauth.Now,
		Logger:       logger,
	}
	f.cfg.Config = consent.Config{
		RedirectURL: redirect,
		AuthURL:     oauth.AuthURL(),
		Sealer:      sealer,
		Now:         oauth.Now,
		Logger:      logger,
		OnGrant: func(w http.ResponseWriter, r *http.Request, g *consent.Grant) error {
			f.mu.Lock()
			f.grants = append(f.grants, g)
			f.mu.Unlock()
			_, err := io.WriteString(w, "granted for "+g.Data["post"])
			return err
		},
		OnError: func(w http.ResponseWriter, r *http.Request, err *consent.CallbackError) {
			f.mu.Lock()
			f.errs = append(f.errs, err)
			f.mu.Unlock()
			consent.ErrorPage(w, r, err)
		},
	}
	for _, e := range edit {
		e(&f.cfg)
	}
	// Registered as in the Kenar panel, with the right secret whatever
	// the add-on is configured with.
	oauth.Register(divartest.OAuthClient{ID: f.cfg.Keeper.ClientID, Secret: secret, RedirectURIs: []string{redirect},
		Scopes: []string{"POST_ADDON_CREATE.*", "offline_access", "USER_ID", "USER_PHONE", "NOTIFICATION_ACCESS_REVOCATION"}})
	if f.k, err = tokens.New(f.cfg.Keeper); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.k.Close() })
	f.cfg.Tokens = f.k
	if f.m, err = consent.New(f.cfg.Config); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/callback", f.m)
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Query().Get("post")
		err := f.m.Redirect(w, r, consent.Request{
			UserID: r.URL.Query().Get("user"),
			Scopes: []consent.Scope{consent.PostAddonCreate(p), consent.OfflineAccess},
			Data:   map[string]string{"post": p},
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	t.Cleanup(func() {
		if strings.Contains(f.logs.String(), "ory_") {
			t.Errorf("a token or a code reached the log:\n%s", f.logs.String())
		}
	})
	return f
}

func (f *fixture) lastError() *consent.CallbackError {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) == 0 {
		return nil
	}
	return f.errs[len(f.errs)-1]
}

// browser is a user agent with its own cookies.
type browser struct {
	t      *testing.T
	follow *http.Client
	stop   *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{
		t:      t,
		follow: &http.Client{Jar: jar},
		stop: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

// get follows redirects and returns the last answer's status and body.
func (b *browser) get(u string) (int, string) {
	b.t.Helper()
	resp, err := b.follow.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// location returns where u redirects.
func (b *browser) location(u string) string {
	b.t.Helper()
	resp, err := b.stop.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 3 {
		b.t.Fatalf("GET %s: %s, want a redirect", u, resp.Status)
	}
	return resp.Header.Get("Location")
}

// consentRedirect walks the user from the add-on to Divar's consent and
// returns the address Divar sends them back to, not yet visited.
func (f *fixture) consentRedirect(b *browser, userID string) string {
	f.t.Helper()
	auth := b.location(f.addon.URL + "/start?user=" + userID + "&post=" + post)
	return b.location(auth)
}

// TestConsentDance walks the whole consent over loopback HTTP: the add-on
// redirects to the fake Divar, the user consents, Divar redirects back,
// the Manager exchanges the code and stores the token, and the token
// source gives a token Divar knows with the scopes asked for.
func TestConsentDance(t *testing.T) {
	f := newFixture(t, nil)
	b := newBrowser(t)
	status, body := b.get(f.addon.URL + "/start?user=" + user + "&post=" + post)
	if status != http.StatusOK || body != "granted for "+post {
		t.Fatalf("consent ended with %d %q", status, body)
	}
	if len(f.grants) != 1 {
		t.Fatalf("%d grants", len(f.grants))
	}
	g := f.grants[0]
	if g.UserID != user || strings.Join(g.Scopes, " ") != "POST_ADDON_CREATE."+post+" offline_access USER_ID" {
		t.Errorf("grant %+v", g)
	}
	tok, err := g.TokenSource.Token()
	if err != nil {
		t.Fatal(err)
	}
	info, ok := f.oauth.Lookup(tok.AccessToken)
	if !ok || info.UserID != user || info.ClientID != clientID || strings.Join(info.Scopes, " ") != "POST_ADDON_CREATE."+post+" offline_access USER_ID" {
		t.Errorf("the stored token is not one Divar issued for the consent: %+v %v", info, ok)
	}
	if tok.Type() != "Bearer" || !tok.Expiry.Equal(f.oauth.Now().Add(time.Hour)) {
		t.Errorf("token type %q expiry %v", tok.Type(), tok.Expiry)
	}
	if n := f.oauth.Issued("authorization_code"); n != 1 {
		t.Errorf("%d code exchanges", n)
	}
}

// TestAuthCodeURL checks the consent address and the cookie.
func TestAuthCodeURL(t *testing.T) {
	f := newFixture(t, nil)
	r := httptest.NewRequest(http.MethodGet, f.addon.URL+"/start", nil)
	w := httptest.NewRecorder()
	u, err := f.m.AuthCodeURL(w, r, consent.Request{UserID: user, Scopes: []consent.Scope{consent.PostAddonCreate(post), consent.UserPhone, consent.OfflineAccess}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := url.Parse(u)
	q := p.Query()
	want := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {f.addon.URL + "/callback"},
		"scope": {"POST_ADDON_CREATE." + post + " USER_PHONE offline_access USER_ID"}, "state": q["state"]}
	if p.Scheme+"://"+p.Host+p.Path != f.oauth.AuthURL() || q.Encode() != want.Encode() || len(q.Get("state")) < 40 {
		t.Errorf("consent address %s", u)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != consent.DefaultCookieName || !cookies[0].HttpOnly ||
		cookies[0].SameSite != http.SameSiteLaxMode || cookies[0].Path != "/callback" || cookies[0].MaxAge <= 0 {
		t.Errorf("cookie %+v", cookies)
	}
	// The same browser keeps its cookie: consents in two tabs both work.
	r.AddCookie(cookies[0])
	w = httptest.NewRecorder()
	if _, err := f.m.AuthCodeURL(w, r, consent.Request{UserID: user, Scopes: []consent.Scope{consent.UserID}}); err != nil {
		t.Fatal(err)
	}
	if c := w.Result().Cookies(); len(c) != 1 || c[0].Value != cookies[0].Value {
		t.Errorf("the browser's cookie changed: %+v", c)
	}
}

func TestBadScopesRefused(t *testing.T) {
	f := newFixture(t, nil)
	for name, s := range map[string]consent.Scope{
		"space in the post token": consent.PostAddonCreate("AZTH 74V2"),
		"dot in the post token":   consent.PostAddonCreate("AZTH.74V2"),
		"empty post token":        consent.PostEdit(""),
		"scope smuggled":          consent.ConversationSendMessage("x USER_PHONE"),
		"slash":                   consent.ChatConversationRead("a/b"),
		"non-ASCII":               consent.ChatPostConversationsRead("آگهی"),
		"too long":                consent.ChatPostConversationsMessageSend(strings.Repeat("a", 129)),
		"empty":                   consent.Scope(""),
		"space in a name":         consent.Scope("USER PHONE"),
	} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			_, err := f.m.AuthCodeURL(w, httptest.NewRequest(http.MethodGet, "/", nil), consent.Request{Scopes: []consent.Scope{consent.OfflineAccess, s}})
			if !errors.Is(err, consent.ErrBadScope) {
				t.Errorf("AuthCodeURL(%q) = %v, want ErrBadScope", s, err)
			}
		})
	}
	if _, err := f.m.AuthCodeURL(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil), consent.Request{}); !errors.Is(err, consent.ErrBadScope) {
		t.Errorf("no scope: %v", err)
	}
	for _, s := range []consent.Scope{consent.PostAddonCreate("gZd7omnS"), consent.ConversationSendMessage("62c82c02-6a71-4501-a1fd-4bf226b3aa78"), consent.NotificationAccessRevocation, consent.PostEdit("a_b-C9")} {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	sealer, _ := seal.New()
	keeper, err := tokens.New(tokens.Config{ClientID: "app", ClientSecret: "s", Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	defer keeper.Close()
	good := consent.Config{Tokens: keeper, RedirectURL: "https://addon.example/divar/oauth/callback", Sealer: sealer}
	for name, tc := range map[string]struct {
		edit func(*consent.Config)
		want string
	}{
		"redirect with a query":    {func(c *consent.Config) { c.RedirectURL += "?next=1" }, "has a query"},
		"redirect with an empty ?": {func(c *consent.Config) { c.RedirectURL += "?" }, "has a query"},
		"redirect with a fragment": {func(c *consent.Config) { c.RedirectURL += "#x" }, "fragment"},
		"relative redirect":        {func(c *consent.Config) { c.RedirectURL = "/divar/oauth/callback" }, "not an absolute"},
		"plain http redirect":      {func(c *consent.Config) { c.RedirectURL = "http://addon.example/cb" }, "must be https"},
		"no redirect":              {func(c *consent.Config) { c.RedirectURL = "" }, "RedirectURL is empty"},
		"no keeper":                {func(c *consent.Config) { c.Tokens = nil }, "Tokens is nil"},
		"no sealer":                {func(c *consent.Config) { c.Sealer = nil }, "Sealer"},
		"bad auth URL":             {func(c *consent.Config) { c.AuthURL = "oauth.divar.ir/oauth2/auth" }, "AuthURL"},
	} {
		t.Run(name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			_, err := consent.New(c)
			if !errors.Is(err, consent.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want ErrConfig saying %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Error("the error shows the secret")
			}
		})
	}
	if _, err := consent.New(good); err != nil {
		t.Errorf("good config: %v", err)
	}
	c := good
	c.RedirectURL = "http://127.0.0.1:8080/cb"
	if _, err := consent.New(c); err != nil {
		t.Errorf("http on loopback: %v", err)
	}
}
