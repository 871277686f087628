package redisstore_test

import (
	"context"
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

// A deployment is a Redis the stores run on, persisting every write, as
// a test gets it from a topology.
type deployment struct {
	rdb          redis.UniversalClient // MaxRetries -1: a dead Redis fails at once
	kill, revive func()                // nil: this topology is not killed in tests
}

// topologies are the ways to run Redis that every store is tested on:
// one node, a master behind a Sentinel, and a cluster of three masters,
// where the keys a store uses together must share a slot.
var topologies = []struct {
	name  string
	start func(t *testing.T) deployment
}{
	{"one node", func(t *testing.T) deployment {
		srv := redistest.StartPersistent(t)
		opt, err := redis.ParseURL(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		opt.MaxRetries = -1
		return deployment{closed(t, redis.NewClient(opt)), srv.Kill, srv.Restart}
	}},
	{"sentinel", func(t *testing.T) deployment {
		opt, err := redis.ParseFailoverURL(redistest.StartSentinel(t).URL)
		if err != nil {
			t.Fatal(err)
		}
		opt.MaxRetries = -1
		return deployment{rdb: closed(t, redis.NewFailoverClient(opt))}
	}},
	{"cluster", func(t *testing.T) deployment {
		c := redistest.StartCluster(t, 3)
		opt, err := redis.ParseClusterURL(c.URL)
		if err != nil {
			t.Fatal(err)
		}
		opt.MaxRetries = -1
		return deployment{closed(t, redis.NewClusterClient(opt)), c.Kill, c.Restart}
	}},
}

// closed closes rdb at the end of the test.
func closed[C redis.UniversalClient](t *testing.T, rdb C) C {
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// eachNode runs fn on every node of rdb holding data: the masters of a
// cluster, or rdb itself.
func eachNode(tb testing.TB, rdb redis.UniversalClient, fn func(node *redis.Client) error) {
	tb.Helper()
	ctx := context.Background()
	var err error
	if c, ok := rdb.(*redis.ClusterClient); ok {
		err = c.ForEachMaster(ctx, func(_ context.Context, node *redis.Client) error { return fn(node) })
	} else {
		err = fn(rdb.(*redis.Client))
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// emptied returns d's client with every node emptied (d revived first
// when a test left it killed).
func emptied(tb testing.TB, d deployment) redis.UniversalClient {
	if d.revive != nil {
		d.revive()
	}
	eachNode(tb, d.rdb, func(n *redis.Client) error { return n.FlushDB(context.Background()).Err() })
	return d.rdb
}

// onEachTopology runs test once on each topology, with the deployment it
// started for it.
func onEachTopology(t *testing.T, test func(t *testing.T, d deployment)) {
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) { test(t, tp.start(t)) })
	}
}
