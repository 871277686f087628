package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/metrics"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/redisstore/redistest"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

var _ redisstore.Observer = (*metrics.Metrics)(nil)

// kenarkit_redis_errors_total counts the stores' failures by store and
// operation, read from /metrics after a real redis-server is killed; a
// token not found, while Redis answers, counts nothing.
func TestRedisErrorsAreCounted(t *testing.T) {
	f := newFixture(t)
	srv := redistest.StartPersistent(t)
	opt, err := redis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	cfg := redisstore.Config{Observer: f.m}
	toks, deduper := redisstore.NewTokens(rdb, cfg), redisstore.NewDeduper(rdb, cfg)
	ctx := context.Background()

	if _, err := toks.Get(ctx, "user-1"); !errors.Is(err, tokens.ErrNoToken) {
		t.Fatalf("an absent token: %v, want ErrNoToken", err)
	}
	if got := f.value(t, "kenarkit_redis_errors_total", "operation=get", "store=tokens"); got != 0 {
		t.Fatalf("a token not found counted %v errors, want 0", got)
	}

	srv.Kill()

	for range 2 {
		if _, err := toks.Get(ctx, "user-1"); err == nil {
			t.Fatal("a token read from a dead Redis")
		}
	}
	if err := toks.Put(ctx, "user-1", "sealed", time.Minute); err == nil {
		t.Fatal("a token written to a dead Redis")
	}
	if _, err := deduper.Claim(ctx, "event-1"); err == nil {
		t.Fatal("an event claimed in a dead Redis")
	}
	for _, tc := range []struct {
		store, operation string
		want             float64
	}{
		{"tokens", "get", 2},
		{"tokens", "put", 1},
		{"dedupe", "claim", 1},
		{"session", "get", 0},
	} {
		if got := f.value(t, "kenarkit_redis_errors_total", "operation="+tc.operation, "store="+tc.store); got != tc.want {
			t.Errorf("kenarkit_redis_errors_total{store=%q,operation=%q} = %v, want %v", tc.store, tc.operation, got, tc.want)
		}
	}
}
