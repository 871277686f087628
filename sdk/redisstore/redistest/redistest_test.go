package redistest_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/redisstore/redistest"
)

func TestStartServesRedis(t *testing.T) {
	opt, err := redis.ParseURL(redistest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("Get = %q, %v", v, err)
	}
}

// TestProxyBlocks: through the proxy Redis answers; blocked, every call
// fails, the open connections with it; unblocked, what Redis held is
// still there.
func TestProxyBlocks(t *testing.T) {
	p := redistest.NewProxy(t, redistest.Start(t))
	opt, err := redis.ParseURL(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	p.Block()
	for i := range 3 { // the pooled connection, then new ones
		if err := rdb.Get(ctx, "k").Err(); err == nil {
			t.Fatalf("call %d went through a blocked proxy", i+1)
		}
	}
	p.Unblock()
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("after Unblock: %q, %v", v, err)
	}
}

// TestPersistentKeepsItsDataAcrossAKill: killed (SIGKILL), the server
// answers nothing; restarted, it holds what it had written.
func TestPersistentKeepsItsDataAcrossAKill(t *testing.T) {
	s := redistest.StartPersistent(t)
	opt, err := redis.ParseURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if err := rdb.Get(ctx, "k").Err(); err == nil {
		t.Fatal("a killed server answered")
	}
	s.Restart()
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("after the restart: Get = %q, %v", v, err)
	}
}
