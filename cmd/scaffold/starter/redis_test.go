package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// startRedis starts a fresh redis-server on a unix socket in a temporary
// directory, stopped at the end of the test, and returns its REDIS_URL.
// The test is skipped when redis-server is not installed, unless
// KENARKIT_REDIS is 1 (as in kenarkit's CI), when that is a failure.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("KENARKIT_REDIS") == "1" {
			t.Fatal("redis-server is not installed (apt-get install redis-server)")
		}
		t.Skip("redis-server is not installed; set KENARKIT_REDIS=1 to make this a failure")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(bin, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: sock})
	defer rdb.Close()
	for i := 0; rdb.Ping(context.Background()).Err() != nil; i++ {
		if i == 200 {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return "unix://" + sock
}

func TestFollows(t *testing.T) {
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ctx := tc.new(t), t.Context()
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
		})
	}
}

// The whole loop with every store in a real Redis, as several replicas
// run it.
func TestConsentLoopOnRedis(t *testing.T) {
	redisURL := startRedis(t)
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

	f.divar.Event(divartest.Event(sdk.EventUserAccessRevocation).Set("user_access_revocation", map[string]any{"user_id": seedUser}))
	if _, err := f.addon.consents.TokenSource(t.Context(), seedUser).Token(); !errors.Is(err, consent.ErrReconsent) {
		t.Errorf("after revocation: %v, want ErrReconsent", err)
	}
	if users, err := f.addon.follows.Users(t.Context()); err != nil || len(users) != 0 {
		t.Errorf("still following for %v (%v)", users, err)
	}
}
