package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/redisstore/redistest"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// startRedis starts a fresh redis-server for the test and returns its
// REDIS_URL (see redistest.Start: skipped without redis-server unless
// KENARKIT_REDIS=1).
func startRedis(t *testing.T) string { return redistest.Start(t) }

func TestFollows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		new  func(t *testing.T) follows
	}{
		{"memory", func(*testing.T) follows { return newMemoryFollows() }},
		{"redis", func(t *testing.T) follows {
			rdb, err := redis.ParseURL(startRedis(t))
			if err != nil {
				t.Fatal(err)
			}
			c := redis.NewClient(rdb)
			t.Cleanup(func() { c.Close() })
			return newRedisFollows(c)
		}},
		// On a cluster: TestOnARedisCluster.
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			followsWork(t, tc.new(t))
		})
	}
}

// followsWork adds, lists and forgets follows in f.
func followsWork(t *testing.T, f follows) {
	ctx := t.Context()
	for _, up := range [][2]string{{"u2", "p1"}, {"u1", "p2"}, {"u1", "p1"}, {"u1", "p2"}} {
		if err := f.Add(ctx, up[0], up[1]); err != nil {
			t.Fatal(err)
		}
	}
	if users, err := f.Users(ctx); err != nil || !slices.Equal(users, []string{"u1", "u2"}) {
		t.Errorf("users %v, %v", users, err)
	}
	if posts, err := f.Posts(ctx, "u1"); err != nil || !slices.Equal(posts, []string{"p1", "p2"}) {
		t.Errorf("u1's posts %v, %v", posts, err)
	}
	if err := f.Forget(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if users, _ := f.Users(ctx); !slices.Equal(users, []string{"u2"}) {
		t.Errorf("users after forgetting u1: %v", users)
	}
	if posts, _ := f.Posts(ctx, "u1"); len(posts) != 0 {
		t.Errorf("a forgotten user's posts: %v", posts)
	}
}

// An upgrade forgets no follow: what a starter of before the cluster
// support kept under its keys (no hash tag) is found, moved to the
// current keys and gone from the old ones, on one node and on a cluster;
// a move Redis cut short is finished, and what an old replica writes
// during a rolling upgrade is moved too.
func TestFollowsMovedFromTheOldKeys(t *testing.T) {
	t.Parallel()
	opt, err := redis.ParseURL(startRedis(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	followsMoved(t, rdb) // on a cluster: TestOnARedisCluster
}

// followsMoved checks the move from the old keys in rdb, one case a
// subtest, each on keys it empties first.
func followsMoved(t *testing.T, rdb redis.UniversalClient) {
	type sets map[string][]string // key → members
	for _, tc := range []struct {
		name      string
		before    sets
		act       func(f follows) error // nil: none
		wantUsers []string
		wantPosts map[string][]string
	}{
		{"kept by the old version", sets{
			"starter:follows:users": {"u1", "u2"}, "starter:follows:posts:u1": {"p1", "p2"}, "starter:follows:posts:u2": {"p3"},
		}, nil, []string{"u1", "u2"}, map[string][]string{"u1": {"p1", "p2"}, "u2": {"p3"}}},
		{"a move cut short after the copy", sets{
			"starter:{follows}:users": {"u1"}, "starter:{follows}:posts:u1": {"p1"},
			"starter:follows:users": {"u1"}, "starter:follows:posts:u1": {"p1", "p2"},
		}, nil, []string{"u1"}, map[string][]string{"u1": {"p1", "p2"}}},
		{"an old replica's follow after the move", sets{
			"starter:{follows}:users": {"u1"}, "starter:{follows}:posts:u1": {"p1"},
			"starter:follows:users": {"u3"}, "starter:follows:posts:u3": {"p9"},
		}, func(f follows) error { return f.Add(t.Context(), "u1", "p2") },
			[]string{"u1", "u3"}, map[string][]string{"u1": {"p1", "p2"}, "u3": {"p9"}}},
		{"forgotten before it was moved", sets{
			"starter:follows:users": {"u1", "u2"}, "starter:follows:posts:u1": {"p1"}, "starter:follows:posts:u2": {"p3"},
		}, func(f follows) error { return f.Forget(t.Context(), "u1") },
			[]string{"u2"}, map[string][]string{"u1": {}, "u2": {"p3"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			for _, k := range []string{"starter:follows:users", "starter:{follows}:users"} {
				rdb.Del(ctx, k)
			}
			for _, u := range []string{"u1", "u2", "u3"} {
				rdb.Del(ctx, "starter:follows:posts:"+u)
				rdb.Del(ctx, "starter:{follows}:posts:"+u)
			}
			for k, members := range tc.before {
				for _, m := range members {
					if err := rdb.SAdd(ctx, k, m).Err(); err != nil {
						t.Fatal(err)
					}
				}
			}
			f := newRedisFollows(rdb)
			if tc.act != nil {
				if err := tc.act(f); err != nil {
					t.Fatal(err)
				}
			}
			if users, err := f.Users(ctx); err != nil || !slices.Equal(users, tc.wantUsers) {
				t.Errorf("users %v, %v; want %v", users, err, tc.wantUsers)
			}
			for u, want := range tc.wantPosts {
				if posts, err := f.Posts(ctx, u); err != nil || !slices.Equal(posts, want) {
					t.Errorf("%s's posts %v, %v; want %v", u, posts, err, want)
				}
			}
			for k := range tc.before {
				if strings.HasPrefix(k, "starter:follows:") && rdb.Exists(ctx, k).Val() != 0 {
					t.Errorf("the old key %s is still there", k)
				}
			}
		})
	}
}

// The whole loop with every store in a real Redis, as several replicas
// run it, with REDIS_URL naming one node or a Sentinel's master (a
// cluster's: TestOnARedisCluster).
func TestConsentLoopOnRedis(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"one node", startRedis},
		{"sentinel", func(t *testing.T) string { return redistest.StartSentinel(t).URL }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			consentLoopOn(t, tc.url(t))
		})
	}
}

// TestOnARedisCluster runs the tests of what the add-on keeps in Redis on
// one cluster of three masters, emptied before each: a cluster takes
// seconds to start (a new master takes writes 2 s after it starts), so
// they share one, launched before t.Parallel so that those seconds pass
// while the other tests run.
func TestOnARedisCluster(t *testing.T) {
	c := redistest.LaunchCluster(t, 3)
	t.Parallel()
	c.Wait()
	opt, err := redis.ParseClusterURL(c.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClusterClient(opt)
	t.Cleanup(func() { rdb.Close() })
	for _, tc := range []struct {
		name string
		test func(t *testing.T)
	}{
		{"follows", func(t *testing.T) { followsWork(t, newRedisFollows(rdb)) }},
		{"follows moved from the old keys", func(t *testing.T) { followsMoved(t, rdb) }},
		{"the consent loop", func(t *testing.T) { consentLoopOn(t, c.URL) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rdb.ForEachMaster(t.Context(), func(ctx context.Context, m *redis.Client) error {
				return m.FlushAll(ctx).Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			tc.test(t)
		})
	}
}

func consentLoopOn(t *testing.T, redisURL string) {
	f := startLoop(t, func(c *config) { c.RedisURL = redisURL })
	if done := f.consentFromLanding(t); done != "https://divar.ir/" {
		t.Errorf("sent to %q", done)
	}
	if n := len(f.api.PostAddons(seedPost)); n != 1 {
		t.Fatalf("%d post add-ons", n)
	}
	first := f.api.Subscriptions()
	assertSubscribed(t, first, seedPost)

	f.oauth.Advance(divartest.OAuthAccessTokenTTL - time.Minute)
	f.addon.refreshDue(t.Context())
	renewed := waitFor(t, func() []divartest.Subscription {
		if s := f.api.Subscriptions(); len(s) >= 2*len(first) {
			return s[len(first):]
		}
		return nil
	})
	assertSubscribed(t, renewed, seedPost)

	f.divar.Event(divartest.Event(event.TypeUserAccessRevocation).Set("user_access_revocation", map[string]any{"user_id": seedUser}))
	if _, err := f.addon.tokens.TokenSource(t.Context(), seedUser).Token(); !errors.Is(err, tokens.ErrReconsent) {
		t.Errorf("after revocation: %v, want ErrReconsent", err)
	}
	if users, err := f.addon.follows.Users(t.Context()); err != nil || len(users) != 0 {
		t.Errorf("still following for %v (%v)", users, err)
	}
}

// TestWrongSessionKeysForgetNothing: a deploy with the wrong SESSION_KEYS
// runs for a while (issue 18, loss 3): its refresh passes cannot open a
// token, log it at error level, answer /readyz 503, and forget no one;
// the next deploy, with the right keys, finds every follow and token,
// refreshes the tokens and renews every subscription.
func TestWrongSessionKeysForgetNothing(t *testing.T) {
	t.Parallel()
	redisURL := startRedis(t)
	right, _ := seal.ParseKeys(seal.NewKey())
	var cfg config
	f := startLoop(t, func(c *config) {
		c.RedisURL = redisURL
		c.SessionKeys = right
		cfg = *c
	})
	sellers := []string{"seller-1", "seller-2", "seller-3"}
	for i, user := range sellers {
		f.oauth.SetUser(user)
		post := fmt.Sprintf("wZC44q5%d", i)
		f.consent(t, f.divar.OpenServerLink(divartest.OpenServerLink().UserID(user).PostToken(post)).URL)
	}
	first := len(f.api.Subscriptions())
	opt, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	stored := func() map[string]string {
		out := map[string]string{}
		for _, user := range sellers {
			out[user] = rdb.Get(t.Context(), "kenarkit:consent:token:"+user).Val()
		}
		return out
	}
	before := stored()

	deploy := func(keys [][]byte) (*Addon, *httptest.Server) {
		c := cfg
		c.SessionKeys = keys
		e, addon, err := newServer(t.Context(), c, slog.New(slog.NewTextHandler(f.logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { addon.Close() })
		srv := httptest.NewServer(e)
		t.Cleanup(srv.Close)
		return addon, srv
	}
	wrong, _ := seal.ParseKeys(seal.NewKey())
	bad, badSrv := deploy(wrong)
	f.oauth.Advance(divartest.OAuthAccessTokenTTL - time.Minute) // every token due
	for range 3 {
		bad.refreshDue(t.Context())
		f.oauth.Advance(20 * time.Second)
	}
	if users, err := bad.follows.Users(t.Context()); err != nil || !slices.Equal(users, sellers) {
		t.Fatalf("followed after the bad deploy: %v (%v), want %v", users, err, sellers)
	}
	if !maps.Equal(stored(), before) {
		t.Fatal("the bad deploy changed the stored tokens")
	}
	if n := f.oauth.Issued("refresh_token"); n != 0 {
		t.Errorf("the bad deploy refreshed %d times", n)
	}
	if status, _ := get(t, badSrv, badSrv.URL+"/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the wrong keys: %d, want 503", status)
	}
	if !strings.Contains(f.logs.String(), "level=ERROR msg=\"a user's token cannot be opened: check SESSION_KEYS") {
		t.Errorf("the wrong keys were not logged at error level:\n%s", f.logs)
	}

	good, goodSrv := deploy(right)
	if status, _ := get(t, goodSrv, goodSrv.URL+"/readyz"); status != http.StatusOK {
		t.Errorf("/readyz with the right keys: %d, want 200", status)
	}
	good.refreshDue(t.Context())
	if n := f.oauth.Issued("refresh_token"); n != len(sellers) {
		t.Errorf("%d refreshes with the right keys, want %d", n, len(sellers))
	}
	renewed := waitFor(t, func() []divartest.Subscription {
		if s := f.api.Subscriptions(); len(s) >= 2*first {
			return s[first:]
		}
		return nil
	})
	for i := range sellers {
		assertSubscribed(t, renewed, fmt.Sprintf("wZC44q5%d", i))
	}
	for _, s := range renewed {
		if _, ok := f.oauth.Scopes(s.Token); !ok {
			t.Error("a subscription renewed with a dead token")
		}
	}
	if users, _ := good.follows.Users(t.Context()); !slices.Equal(users, sellers) {
		t.Errorf("followed after the good deploy: %v", users)
	}
}
