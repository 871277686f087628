package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divar"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// TestUsedStatesBounded: the replicas together hold at most MaxStates
// states on a real redis-server; beyond, Use is ErrTooManyStates; a replay
// is a replay even when full; a state that expires by the Manager's clock
// makes room, and the set itself lapses when its last state expires.
func TestUsedStatesBounded(t *testing.T) {
	ctx := context.Background()
	rdb := newRedis(t)
	t0 := time.Now().Truncate(time.Millisecond)
	now := t0
	clock := func() time.Time { return now }
	cfg := redisstore.Config{Prefix: "app:", MaxStates: 2}
	a, b := newUsedStates(rdb, cfg, clock), newUsedStates(rdb, cfg, clock) // two replicas
	steps := []struct {
		name    string
		replica *redisstore.UsedStates
		at      time.Duration
		id      string
		expires time.Duration
		want    error
	}{
		{"first state", a, 0, "s1", 10 * time.Minute, nil},
		{"second state, other replica", b, time.Minute, "s2", 15 * time.Minute, nil},
		{"third state: full", a, 2 * time.Minute, "s3", 15 * time.Minute, consent.ErrTooManyStates},
		{"replay when full", b, 2 * time.Minute, "s1", 10 * time.Minute, consent.ErrStateUsed},
		{"s1 expired: room", b, 10 * time.Minute, "s3", 20 * time.Minute, nil},
		{"full again", a, 10 * time.Minute, "s4", 20 * time.Minute, consent.ErrTooManyStates},
		{"s1's id after its expiry", a, 15 * time.Minute, "s1", 25 * time.Minute, nil},
	}
	for _, s := range steps {
		now = t0.Add(s.at)
		err := s.replica.Use(ctx, s.id, t0.Add(s.expires))
		if !errors.Is(err, s.want) || (s.want == nil && err != nil) {
			t.Errorf("%s: %v, want %v", s.name, err, s.want)
		}
	}
	if n := rdb.ZCard(ctx, "app:consent:states").Val(); n != 2 {
		t.Errorf("%d states in Redis, want 2", n)
	}
	// The set lapses no sooner than the longest-lived state when it was
	// added (Redis counts real time): s2's 14 minutes.
	if ttl := rdb.PTTL(ctx, "app:consent:states").Val(); ttl <= 13*time.Minute || ttl > 14*time.Minute {
		t.Errorf("the set's TTL %v, want 14m", ttl)
	}
}

// TestUsedStatesDefaultBound: with no MaxStates, Redis holds
// consent.DefaultMaxStates states and no more; the test logs what they
// cost in Redis's memory.
func TestUsedStatesDefaultBound(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 100,000 states")
	}
	ctx := context.Background()
	rdb := newRedis(t)
	now := time.Now()
	u := newUsedStates(rdb, redisstore.Config{}, func() time.Time { return now })
	// The states fill the set as Use leaves them (id scored by expiry),
	// added in batches rather than one round trip each.
	exp := float64(now.Add(15 * time.Minute).UnixMilli())
	for i := 0; i < consent.DefaultMaxStates-1; i += 10_000 {
		batch := make([]redis.Z, 0, 10_000)
		for j := i; j < min(i+10_000, consent.DefaultMaxStates-1); j++ {
			batch = append(batch, redis.Z{Score: exp, Member: fmt.Sprintf("%022d", j)}) // 22 characters, as the Manager's ids
		}
		if err := rdb.ZAdd(ctx, "kenarkit:consent:states", batch...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := u.Use(ctx, "the-last-one-there-is", now.Add(15*time.Minute)); err != nil {
		t.Fatalf("state %d: %v", consent.DefaultMaxStates, err)
	}
	if err := u.Use(ctx, "one-more", now.Add(15*time.Minute)); !errors.Is(err, consent.ErrTooManyStates) {
		t.Errorf("state %d: %v, want ErrTooManyStates", consent.DefaultMaxStates+1, err)
	}
	used := rdb.MemoryUsage(ctx, "kenarkit:consent:states", 0).Val()
	t.Logf("%d states: %.1f MB of Redis, %d B each", consent.DefaultMaxStates, float64(used)/1e6, used/int64(consent.DefaultMaxStates))
}

// TestConsentOnRedis walks consents over loopback against the fake Divar
// with the tokens and used states on a real redis-server, bounded to one
// state: a grant by another user than the link's is refused and Redis
// holds no token for either; the user's own consent is stored; the next
// redirect, with the bound reached, is answered 429 and spends no code.
func TestConsentOnRedis(t *testing.T) {
	rdb := newRedis(t)
	oauth, api := divartest.NewOAuth(t), divartest.NewAPI(t)
	api.UseOAuth(oauth)
	client, err := divar.NewClient(divar.Config{APIKey: divartest.APIKey, BaseURL: api.URL()})
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := seal.New()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	oauth.Register(divartest.OAuthClient{ID: "app", Secret: "s", RedirectURIs: []string{srv.URL + "/callback"}})
	cfg := redisstore.Config{MaxStates: 1}
	keeper, err := tokens.New(tokens.Config{
		ClientID: "app", ClientSecret: "s", TokenURL: oauth.TokenURL(), Now: oauth.Now, Sealer: sealer, API: client,
		Logger: slog.New(slog.DiscardHandler),
		Store:  redisstore.NewTokens(rdb, cfg),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keeper.Close() })
	m, err := consent.New(consent.Config{
		Tokens: keeper, RedirectURL: srv.URL + "/callback",
		AuthURL: oauth.AuthURL(), Now: oauth.Now, Sealer: sealer,
		Logger:     slog.New(slog.DiscardHandler),
		UsedStates: newUsedStates(rdb, cfg, oauth.Now),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/callback", m)
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Redirect(w, r, consent.Request{UserID: tokensUser, Scopes: []consent.Scope{consent.OfflineAccess}}); err != nil {
			t.Error(err)
		}
	})
	consentAs := func(granter string) *http.Response {
		t.Helper()
		oauth.SetUser(granter)
		jar, _ := cookiejar.New(nil)
		resp, err := (&http.Client{Jar: jar}).Get(srv.URL + "/start")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	ctx := context.Background()

	if resp := consentAs("another-user"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another user completing the link: %s, want 403", resp.Status)
	}
	if n := rdb.Exists(ctx, "kenarkit:consent:token:"+tokensUser, "kenarkit:consent:token:another-user").Val(); n != 0 {
		t.Errorf("%d tokens in Redis after a refused grant", n)
	}
	oauth.Advance(consent.DefaultStateTTL) // the refused consent's state expires: room for one
	if resp := consentAs(tokensUser); resp.StatusCode != http.StatusOK {
		t.Fatalf("the user's own consent: %s", resp.Status)
	}
	if _, err := keeper.TokenSource(ctx, tokensUser).Token(); err != nil {
		t.Errorf("the user's token: %v", err)
	}
	resp := consentAs(tokensUser)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("beyond the bound: %s, Retry-After %q; want 429 with one", resp.Status, resp.Header.Get("Retry-After"))
	}
	if n := oauth.Issued("authorization_code"); n != 2 {
		t.Errorf("%d codes exchanged, want 2", n)
	}
}
