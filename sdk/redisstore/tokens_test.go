package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// TestTokensKeys: the values and locks live under the prefix, one key
// each, with their TTL (the contract itself is TestTokensConformance's).
func TestTokensKeys(t *testing.T) {
	ctx := context.Background()
	rdb := newRedis(t)
	s := redisstore.NewTokens(rdb, redisstore.Config{Prefix: "app:"})
	if err := s.Put(ctx, "u", "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(ctx, "u", time.Minute); err != nil {
		t.Fatal(err)
	}
	for key, max := range map[string]time.Duration{"app:consent:token:u": time.Hour, "app:consent:lock:u": time.Minute} {
		if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > max {
			t.Errorf("%s: TTL %v, want up to %v", key, ttl, max)
		}
	}
}

func TestUsedStates(t *testing.T) {
	ctx := context.Background()
	rdb := newRedis(t)
	now := time.Now()
	u := newUsedStates(rdb, redisstore.Config{Prefix: "app:"}, func() time.Time { return now })
	if err := u.Use(ctx, "s1", now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := u.Use(ctx, "s1", now.Add(10*time.Minute)); !errors.Is(err, consent.ErrStateUsed) {
		t.Errorf("replay: %v", err)
	}
	if ttl := rdb.PTTL(ctx, "app:consent:states").Val(); ttl <= 9*time.Minute || ttl > 10*time.Minute {
		t.Errorf("TTL %v", ttl)
	}
	if err := u.Use(ctx, "s2", now.Add(-time.Minute)); err != nil {
		t.Errorf("an expired state's id: %v", err)
	}
}

const tokensUser = "awoDdf1ecd2wac"

// consentedToken gets a token with a refresh token from the fake, as a
// consent would, for client.
func consentedToken(t *testing.T, o *divartest.OAuth, client oauth2.Config) *oauth2.Token {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(client.AuthCodeURL("state-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := client.Exchange(context.Background(), loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// lockWatch reports when a replica finds the lock taken.
type lockWatch struct {
	*redisstore.Tokens
	locked chan struct{}
}

func (w *lockWatch) Lock(ctx context.Context, user string, ttl time.Duration) (func(context.Context) error, error) {
	unlock, err := w.Tokens.Lock(ctx, user, ttl)
	if errors.Is(err, tokens.ErrLocked) {
		select {
		case w.locked <- struct{}{}:
		default:
		}
	}
	return unlock, err
}

// TestReplicasRefreshOnceOnRedis: two replicas, four callers each,
// sharing a real Redis, refresh one user at the same moment: Divar is
// asked once, every caller gets the new token, OnRefresh runs once.
func TestReplicasRefreshOnceOnRedis(t *testing.T) {
	rdb := newRedis(t)
	const redirect = "http://127.0.0.1:9/callback"
	o := divartest.NewOAuth(t, divartest.OAuthClient{ID: "app", Secret: "s", RedirectURIs: []string{redirect}})
	sealer, _ := seal.New()
	var hooks atomic.Int32
	var replicas []*tokens.Keeper
	locked := make(chan struct{}, 1)
	for range 2 {
		m, err := tokens.New(tokens.Config{
			ClientID: "app", ClientSecret: "s",
			TokenURL: o.TokenURL(), Now: o.Now, Sealer: sealer,
			Store:     &lockWatch{Tokens: redisstore.NewTokens(rdb, redisstore.Config{}), locked: locked},
			OnRefresh: func(context.Context, string, oauth2.TokenSource) error { hooks.Add(1); return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, m)
	}
	client := oauth2.Config{ClientID: "app", ClientSecret: "s", RedirectURL: redirect, Scopes: []string{"POST_ADDON_CREATE.AZTH74V2", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: o.AuthURL(), TokenURL: o.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	ctx := context.Background()
	first := consentedToken(t, o, client)
	if err := replicas[0].Save(ctx, tokensUser, first); err != nil {
		t.Fatal(err)
	}
	if v := rdb.Get(ctx, "kenarkit:consent:token:"+tokensUser).Val(); v == "" || strings.Contains(v, "ory_") {
		t.Fatal("the token is not in Redis, or is there in the clear")
	}

	o.BeforeToken(func(grant string) {
		if grant == "refresh_token" {
			<-locked // hold the refresh until another caller waits on the lock
		}
	})
	o.Advance(time.Hour - time.Minute)
	issued := make(chan string, 8)
	var wg sync.WaitGroup
	for _, m := range replicas {
		for range 4 {
			wg.Go(func() {
				tok, err := m.TokenSource(ctx, tokensUser).Token()
				if err != nil {
					t.Error(err)
					return
				}
				issued <- tok.AccessToken
			})
		}
	}
	wg.Wait()
	close(issued)
	var got []string
	for tok := range issued {
		got = append(got, tok)
	}
	for _, tok := range got {
		if tok != got[0] || tok == first.AccessToken {
			t.Fatal("callers got different or old tokens")
		}
	}
	if _, ok := o.Scopes(got[0]); !ok {
		t.Error("the token is not valid at Divar")
	}
	if n := o.Issued("refresh_token"); n != 1 {
		t.Errorf("Divar was asked %d times", n)
	}
	for _, m := range replicas {
		m.Close()
	}
	if n := hooks.Load(); n != 1 {
		t.Errorf("OnRefresh ran %d times", n)
	}
	if rdb.Exists(ctx, "kenarkit:consent:lock:"+tokensUser).Val() != 0 {
		t.Error("the lock was left behind")
	}

	// The revocation event deletes the tokens from Redis.
	mux := &event.Mux{UserAccessRevocation: replicas[1].UserAccessRevocation}
	if _, err := mux.Handle(ctx, &event.Event{Type: event.TypeUserAccessRevocation, UserAccessRevocation: &event.UserAccessRevocation{UserID: tokensUser}}); err != nil {
		t.Fatal(err)
	}
	if _, err := replicas[0].TokenSource(ctx, tokensUser).Token(); !errors.Is(err, tokens.ErrReconsent) {
		t.Errorf("after revocation: %v", err)
	}
}

// TestRedisDown: with Redis unreachable, every operation returns an
// error (tokens.ErrStoreUnavailable through the Keeper), never panics.
func TestRedisDown(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: filepath.Join(t.TempDir(), "none.sock"), MaxRetries: -1, DialerRetries: 1})
	defer rdb.Close()
	ctx := context.Background()
	s := redisstore.NewTokens(rdb, redisstore.Config{})
	if _, err := s.Get(ctx, "u"); err == nil || errors.Is(err, tokens.ErrNoToken) {
		t.Errorf("Get: %v", err)
	}
	if err := s.Put(ctx, "u", "v", time.Minute); err == nil {
		t.Error("Put: no error")
	}
	if _, err := s.Swap(ctx, "u", "", "v", time.Minute); err == nil {
		t.Error("Swap: no error")
	}
	if _, err := s.Lock(ctx, "u", time.Minute); err == nil || errors.Is(err, tokens.ErrLocked) {
		t.Errorf("Lock: %v", err)
	}
	if err := redisstore.NewUsedStates(rdb, redisstore.Config{}).Use(ctx, "s", time.Now().Add(time.Minute)); err == nil || errors.Is(err, consent.ErrStateUsed) {
		t.Errorf("Use: %v", err)
	}
	sealer, _ := seal.New()
	m, err := tokens.New(tokens.Config{ClientID: "app", ClientSecret: "s", Sealer: sealer, Store: s})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, err = m.TokenSource(ctx, "u").Token()
	var se *tokens.StoreError
	if !errors.Is(err, tokens.ErrStoreUnavailable) || !errors.As(err, &se) {
		t.Errorf("Token: %v", err)
	}
	if err := m.UserAccessRevocation(ctx, &event.Event{}, &event.UserAccessRevocation{UserID: "u"}); !errors.Is(err, tokens.ErrStoreUnavailable) {
		t.Errorf("revocation: %v", err)
	}
}

// BenchmarkTokenOnRedis is the cost a token adds to each API call on
// Redis: a GET over a unix socket and an AES-GCM open.
func BenchmarkTokenOnRedis(b *testing.B) {
	rdb := newRedis(b)
	sealer, _ := seal.New()
	m, err := tokens.New(tokens.Config{ClientID: "app", ClientSecret: "s", Sealer: sealer,
		Store: redisstore.NewTokens(rdb, redisstore.Config{})})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	if err := m.Save(ctx, "u", &oauth2.Token{AccessToken: "ory_at_x", RefreshToken: "ory_rt_y", ExpiresIn: 3600}); err != nil {
		b.Fatal(err)
	}
	ts := m.TokenSource(ctx, "u")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ts.Token(); err != nil {
			b.Fatal(err)
		}
	}
}
