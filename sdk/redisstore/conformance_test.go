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
// it implements, on each topology (one node, Sentinel, cluster) of real
// redis-servers, emptied for each case; the Deduper's (dedupetest) is in
// dedupe_test.go.

// lapseAll makes every key in rdb pass its TTL, as Redis's clock would:
// each is deleted, and a key kept with no TTL fails tb.
func lapseAll(tb testing.TB, rdb redis.UniversalClient) {
	tb.Helper()
	ctx := context.Background()
	eachNode(tb, rdb, func(node *redis.Client) error {
		for _, k := range node.Keys(ctx, "*").Val() {
			if ttl := node.PTTL(ctx, k).Val(); ttl < 0 {
				tb.Errorf("%s is kept with no TTL", k)
			}
			node.Del(ctx, k)
		}
		return nil
	})
}

func TestSessionStoreConformance(t *testing.T) {
	onEachTopology(t, func(t *testing.T, d deployment) {
		sessiontest.Run(t, func(tb testing.TB) sessiontest.Backend {
			rdb := emptied(tb, d)
			return sessiontest.Backend{
				Store: redisstore.NewSessionStore(rdb, redisstore.Config{}),
				Lapse: func(tb testing.TB) { lapseAll(tb, rdb) },
			}
		})
	})
}

func TestTokensConformance(t *testing.T) {
	onEachTopology(t, func(t *testing.T, d deployment) {
		tokenstest.Run(t, func(tb testing.TB) tokenstest.Backend {
			rdb := emptied(tb, d)
			return tokenstest.Backend{
				Store: redisstore.NewTokens(rdb, redisstore.Config{}),
				Lapse: func(tb testing.TB) { lapseAll(tb, rdb) },
			}
		})
	})
}

func TestUsedStatesConformance(t *testing.T) {
	onEachTopology(t, func(t *testing.T, d deployment) {
		consenttest.Run(t, func(tb testing.TB, max int, now func() time.Time) consent.UsedStates {
			return newUsedStates(emptied(tb, d), redisstore.Config{MaxStates: max}, now)
		})
	})
}
