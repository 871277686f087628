package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/consent/consenttest"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/session/sessiontest"
	"github.com/kenarkit/kenarkit/sdk/tokens/tokenstest"
)

// Each store here runs the conformance suite of the room whose interface
// it implements, on a real redis-server emptied for each case; the
// Deduper's (dedupetest) is in dedupe_test.go.

// fresh returns a factory's Redis: one server for the test, emptied for
// each case.
func fresh(t *testing.T) func(tb testing.TB) *redis.Client {
	rdb := newRedis(t)
	return func(tb testing.TB) *redis.Client {
		if err := rdb.FlushDB(context.Background()).Err(); err != nil {
			tb.Fatal(err)
		}
		return rdb
	}
}

// lapseAll makes every key in rdb pass its TTL, as Redis's clock would:
// each is deleted, and a key kept with no TTL fails tb.
func lapseAll(tb testing.TB, rdb *redis.Client) {
	tb.Helper()
	ctx := context.Background()
	for _, k := range rdb.Keys(ctx, "*").Val() {
		if ttl := rdb.PTTL(ctx, k).Val(); ttl < 0 {
			tb.Errorf("%s is kept with no TTL", k)
		}
		rdb.Del(ctx, k)
	}
}

func TestSessionStoreConformance(t *testing.T) {
	empty := fresh(t)
	sessiontest.Run(t, func(tb testing.TB) sessiontest.Backend {
		rdb := empty(tb)
		return sessiontest.Backend{
			Store: redisstore.NewSessionStore(rdb, redisstore.Config{}),
			Lapse: func(tb testing.TB) { lapseAll(tb, rdb) },
		}
	})
}

func TestTokensConformance(t *testing.T) {
	empty := fresh(t)
	tokenstest.Run(t, func(tb testing.TB) tokenstest.Backend {
		rdb := empty(tb)
		return tokenstest.Backend{
			Store: redisstore.NewTokens(rdb, redisstore.Config{}),
			Lapse: func(tb testing.TB) { lapseAll(tb, rdb) },
		}
	})
}

func TestUsedStatesConformance(t *testing.T) {
	empty := fresh(t)
	consenttest.Run(t, func(tb testing.TB, max int, now func() time.Time) consent.UsedStates {
		return newUsedStates(empty(tb), redisstore.Config{MaxStates: max}, now)
	})
}
