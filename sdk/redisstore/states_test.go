package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
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
	cfg := redisstore.TokensConfig{Prefix: "app:", MaxStates: 2}
	a, b := redisstore.NewUsedStates(rdb, cfg, clock), redisstore.NewUsedStates(rdb, cfg, clock) // two replicas
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
	if n := rdb.ZCard(ctx, "app:states").Val(); n != 2 {
		t.Errorf("%d states in Redis, want 2", n)
	}
	// The set lapses no sooner than the longest-lived state when it was
	// added (Redis counts real time): s2's 14 minutes.
	if ttl := rdb.PTTL(ctx, "app:states").Val(); ttl <= 13*time.Minute || ttl > 14*time.Minute {
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
	u := redisstore.NewUsedStates(rdb, redisstore.TokensConfig{}, func() time.Time { return now })
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
