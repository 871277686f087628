package redistest_test

import (
	"context"
	"fmt"
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

// TestClusterSpreadsKeysAndKeepsThem: the cluster's URL is a cluster to
// go-redis; keys land on every node; killed and restarted, it holds what
// it had written and serves every slot again.
func TestClusterSpreadsKeysAndKeepsThem(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	opt, err := redis.ParseClusterURL(c.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(opt.Addrs) != 3 {
		t.Fatalf("the URL names %d nodes, want 3", len(opt.Addrs))
	}
	opt.MaxRetries = -1
	rdb := redis.NewClusterClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	for i := range 30 {
		if err := rdb.Set(ctx, fmt.Sprint("k", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, addr := range c.Addrs {
		node := redis.NewClient(&redis.Options{Addr: addr})
		n, err := node.DBSize(ctx).Result()
		node.Close()
		if err != nil || n == 0 {
			t.Errorf("node %s holds %d keys (%v), want some of the 30", addr, n, err)
		}
	}
	c.Kill()
	if err := rdb.Get(ctx, "k1").Err(); err == nil {
		t.Fatal("a killed cluster answered")
	}
	c.Restart()
	for i := range 30 {
		if v, err := rdb.Get(ctx, fmt.Sprint("k", i)).Int(); err != nil || v != i {
			t.Fatalf("after the restart: GET k%d = %d, %v", i, v, err)
		}
	}
}

// TestSentinelNamesItsMaster: through the Sentinel's URL, go-redis finds
// the master and writes to it; after a failover, it finds the promoted
// replica, which holds what was written.
func TestSentinelNamesItsMaster(t *testing.T) {
	s := redistest.StartSentinel(t)
	opt, err := redis.ParseFailoverURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if opt.MasterName != s.Name {
		t.Fatalf("MasterName = %q, want %q", opt.MasterName, s.Name)
	}
	rdb := redis.NewFailoverClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET k = %q, %v", v, err)
	}
	old := s.Master
	s.Failover()
	if s.Master == old {
		t.Fatal("Failover left the master in place")
	}
	if err := rdb.Set(ctx, "k2", "v2", 0).Err(); err != nil {
		t.Fatalf("SET after the failover: %v", err)
	}
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("after the failover: GET k = %q, %v", v, err)
	}
}
