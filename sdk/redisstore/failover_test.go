package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/redisstore/redistest"
)

// TestStoresAcrossAFailover: behind Sentinels, what every store wrote
// before the master failed over (once the replica held it) is found
// through the same client after: the event handled, the session, the
// token, the used state; and the stores go on writing.
func TestStoresAcrossAFailover(t *testing.T) {
	s := redistest.StartSentinel(t)
	opt, err := redis.ParseFailoverURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := closed(t, redis.NewFailoverClient(opt))
	ctx := context.Background()
	cfg := redisstore.Config{}
	deduper, sessions := redisstore.NewDeduper(rdb, cfg), redisstore.NewSessionStore(rdb, cfg)
	toks, states := redisstore.NewTokens(rdb, cfg), redisstore.NewUsedStates(rdb, cfg)
	expires := time.Now().Add(time.Hour)

	l, err := deduper.Claim(ctx, "event-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []error{
		l.Commit(ctx),
		sessions.Put(ctx, "session-1", []byte("context"), time.Hour),
		toks.Put(ctx, "user-1", "sealed", time.Hour),
		states.Use(ctx, "state-1", expires),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}

	s.Failover()

	if _, err := deduper.Claim(ctx, "event-1"); !errors.Is(err, dedupe.ErrDuplicate) {
		t.Errorf("the handled event after the failover: %v, want ErrDuplicate", err)
	}
	if v, err := sessions.Get(ctx, "session-1"); err != nil || string(v) != "context" {
		t.Errorf("the session after the failover: %q, %v", v, err)
	}
	if v, err := toks.Get(ctx, "user-1"); err != nil || v != "sealed" {
		t.Errorf("the token after the failover: %q, %v", v, err)
	}
	if err := states.Use(ctx, "state-1", expires); !errors.Is(err, consent.ErrStateUsed) {
		t.Errorf("the used state after the failover: %v, want ErrStateUsed", err)
	}
	if ok, err := toks.Swap(ctx, "user-1", "sealed", "refreshed", time.Hour); !ok || err != nil {
		t.Errorf("a swap on the new master: %v, %v", ok, err)
	}
}
