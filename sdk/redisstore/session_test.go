package redisstore_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/session"
)

type landing struct {
	PostToken string `json:"p"`
	Data      string `json:"d"`
}

func tokenOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get(session.Param)
}

// TestSessionStoreKeys: each context is one key under the prefix, with
// its TTL, never replaced (the contract itself is
// TestSessionStoreConformance's).
func TestSessionStoreKeys(t *testing.T) {
	ctx := context.Background()
	rdb := newRedis(t)
	s := redisstore.NewSessionStore(rdb, redisstore.Config{})
	if err := s.Put(ctx, "a", []byte("sealed\x00bytes"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, "kenarkit:session:a").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("the key's TTL is %v", ttl)
	}
	if err := s.Put(ctx, "a", []byte("other"), time.Minute); err == nil {
		t.Error("a stored context was replaced")
	}
}

// TestHandoffAcrossReplicas: a context too long for its URL, handed off by
// one replica, opens on another that shares the Redis and the keys; Redis
// forgets it with its TTL, and an altered value is refused.
func TestHandoffAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	rdb := newRedis(t)
	keys := [][]byte{make([]byte, seal.KeySize)}
	replica := func() *session.Handoff {
		h, err := session.New(session.Config{Keys: keys, TTL: time.Minute, Store: redisstore.NewSessionStore(rdb, redisstore.Config{})})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, b := replica(), replica()
	in := landing{PostToken: "wZC44q5D", Data: strings.Repeat("x", 100_000)}
	u, err := a.URL(ctx, "https://addon.example/landing", in)
	if err != nil {
		t.Fatal(err)
	}
	if len(u) > session.DefaultMaxURLLength {
		t.Fatalf("URL of %d characters", len(u))
	}
	var out landing
	if err := b.Open(ctx, tokenOf(t, u), &out); err != nil || out != in {
		t.Fatalf("the other replica: %v", err)
	}
	keysFound := rdb.Keys(ctx, "kenarkit:session:*").Val()
	if len(keysFound) != 1 {
		t.Fatalf("keys %v", keysFound)
	}
	if ttl := rdb.PTTL(ctx, keysFound[0]).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("the stored context's TTL is %v", ttl)
	}
	v := []byte(rdb.Get(ctx, keysFound[0]).Val())
	v[len(v)/2] ^= 1
	rdb.Set(ctx, keysFound[0], v, time.Minute)
	if err := b.Open(ctx, tokenOf(t, u), &out); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("an altered value: %v, want ErrInvalid", err)
	}
	rdb.Del(ctx, keysFound[0])
	if err := b.Open(ctx, tokenOf(t, u), &out); !errors.Is(err, session.ErrExpired) {
		t.Errorf("a forgotten context: %v, want ErrExpired", err)
	}
}

func TestSessionStoreDown(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: filepath.Join(t.TempDir(), "none.sock"), MaxRetries: -1})
	defer rdb.Close()
	s := redisstore.NewSessionStore(rdb, redisstore.Config{})
	if err := s.Put(context.Background(), "a", []byte("x"), time.Minute); err == nil || !strings.HasPrefix(err.Error(), "redisstore: session put") {
		t.Errorf("Put with no store = %v", err)
	}
	if _, err := s.Get(context.Background(), "a"); err == nil || errors.Is(err, session.ErrNotFound) {
		t.Errorf("Get with no store = %v", err)
	}
}
