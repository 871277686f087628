package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

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
