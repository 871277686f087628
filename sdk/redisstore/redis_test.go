package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/redisstore/redistest"
)

// newRedis returns a client of a fresh redis-server (redistest.Start),
// closed at the end of the test.
func newRedis(t testing.TB) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(redistest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// newUsedStates returns UsedStates in rdb counting expiries on now.
func newUsedStates(rdb redis.UniversalClient, cfg redisstore.Config, now func() time.Time) *redisstore.UsedStates {
	u := redisstore.NewUsedStates(rdb, cfg)
	redisstore.SetClock(u, now)
	return u
}
