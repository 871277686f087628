package tokens_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divar"

	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

const (
	clientID = "kenar-app"
	secret   = "s3cret-from-the-panel"
	redirect = "http://127.0.0.1:9/callback" // never visited: the fixture reads the code off Divar's redirect
	user     = "awoDdf1ecd2wac"
)

// fixture is a Keeper in front of a fake Divar (its OAuth server, and its
// API, asked who owns a token) over loopback, with a log that must never
// hold a token.
type fixture struct {
	t     *testing.T
	oauth *divartest.OAuth
	k     *tokens.Keeper
	cfg   tokens.Config
	logs  *divartest.LogBuffer
}

func newFixture(t *testing.T, oauth *divartest.OAuth, edit ...func(*tokens.Config)) *fixture {
	t.Helper()
	if oauth == nil {
		oauth = divartest.NewOAuth(t)
	}
	api := divartest.NewAPI(t)
	api.UseOAuth(oauth)
	oauth.SetUser(user)
	client, err := divar.NewClient(divar.Config{APIKey: divartest.APIKey, BaseURL: api.URL()})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, oauth: oauth, logs: &divartest.LogBuffer{}}
	f.cfg = tokens.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		TokenURL:     oauth.TokenURL(),
		Sealer:       sealer,
		API:          client,
		Now:          oauth.Now,
		Logger:       slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, e := range edit {
		e(&f.cfg)
	}
	oauth.Register(divartest.OAuthClient{ID: clientID, Secret: secret, RedirectURIs: []string{redirect},
		Scopes: []string{"POST_ADDON_CREATE.*", "offline_access", "USER_ID"}})
	if f.k, err = tokens.New(f.cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.k.Close() })
	t.Cleanup(func() {
		if strings.Contains(f.logs.String(), "ory_") {
			t.Errorf("a token or a code reached the log:\n%s", f.logs.String())
		}
	})
	return f
}

// consented has userID grant the app at the fake Divar, as sdk/consent
// would walk them there, saves the grant in the Keeper and returns its
// token.
func (f *fixture) consented(userID string) *oauth2.Token {
	f.t.Helper()
	f.oauth.SetUser(userID) // the user consents for themselves
	defer f.oauth.SetUser(user)
	c := oauth2.Config{ClientID: clientID, RedirectURL: redirect, Scopes: []string{"POST_ADDON_CREATE.AZTH74V2", "offline_access", "USER_ID"},
		Endpoint: oauth2.Endpoint{AuthURL: f.oauth.AuthURL()}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(c.AuthCodeURL("state-0123456789"))
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		f.t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := f.k.Exchange(ctx, loc.Query().Get("code"), redirect)
	if err != nil {
		f.t.Fatal(err)
	}
	if owner, err := f.k.Owner(ctx, tok); err != nil || owner != userID {
		f.t.Fatalf("Owner = %q, %v; want %q", owner, err, userID)
	}
	if err := f.k.Save(ctx, userID, tok); err != nil {
		f.t.Fatal(err)
	}
	if tok, err = f.k.TokenSource(ctx, userID).Token(); err != nil {
		f.t.Fatal(err)
	}
	return tok
}

var errDown = errors.New("dial unix /tmp/redis.sock: connect: no such file or directory")

// failingStore is a store that is down.
type failingStore struct{ tokens.Store }

func (failingStore) Get(context.Context, string) (string, error) { return "", errDown }
func (failingStore) Put(context.Context, string, string, time.Duration) error {
	return errDown
}
func (failingStore) Delete(context.Context, string) error { return errDown }
