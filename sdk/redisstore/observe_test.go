package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/redisstore/redistest"
	"github.com/kenarkit/kenarkit/sdk/session"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// errorLog is an Observer that keeps "store operation" of each error.
type errorLog struct {
	mu  sync.Mutex
	got []string
}

func (l *errorLog) RedisError(_ context.Context, store, operation string, _ error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, store+" "+operation)
}

func (l *errorLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := l.got
	l.got = nil
	return got
}

// A key not found is an answer, not an error: nothing is reported while
// Redis answers, found or not. Once the redis-server is killed, every
// method of every store reports its one error, by the store's and the
// method's fixed names, and returns it wrapped.
func TestEveryRedisErrorIsReported(t *testing.T) {
	srv := redistest.StartPersistent(t)
	opt, err := redis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	rdb := closed(t, redis.NewClient(opt))
	log := &errorLog{}
	cfg := redisstore.Config{Observer: log}
	deduper, sessions := redisstore.NewDeduper(rdb, cfg), redisstore.NewSessionStore(rdb, cfg)
	toks, states := redisstore.NewTokens(rdb, cfg), redisstore.NewUsedStates(rdb, cfg)
	ctx := context.Background()

	if _, err := sessions.Get(ctx, "absent"); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("an absent session: %v, want ErrNotFound", err)
	}
	if _, err := toks.Get(ctx, "absent"); !errors.Is(err, tokens.ErrNoToken) {
		t.Fatalf("an absent token: %v, want ErrNoToken", err)
	}
	lease, err := deduper.Claim(ctx, "event-1")
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := toks.Lock(ctx, "user-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("reported while Redis answered: %q", got)
	}

	srv.Kill()

	for _, tc := range []struct {
		name, want string
		call       func() error
	}{
		{"Deduper.Claim", "dedupe claim", func() error { _, err := deduper.Claim(ctx, "event-2"); return err }},
		{"lease.Start", "dedupe start", func() error { return lease.Start(ctx) }},
		{"lease.Commit", "dedupe commit", func() error { return lease.Commit(ctx) }},
		{"lease.Release", "dedupe release", func() error { return lease.Release(ctx) }},
		{"SessionStore.Put", "session put", func() error { return sessions.Put(ctx, "s", []byte("v"), time.Minute) }},
		{"SessionStore.Get", "session get", func() error { _, err := sessions.Get(ctx, "s"); return err }},
		{"Tokens.Get", "tokens get", func() error { _, err := toks.Get(ctx, "user-1"); return err }},
		{"Tokens.Put", "tokens put", func() error { return toks.Put(ctx, "user-1", "sealed", time.Minute) }},
		{"Tokens.Swap", "tokens swap", func() error { _, err := toks.Swap(ctx, "user-1", "", "sealed", time.Minute); return err }},
		{"Tokens.Delete", "tokens delete", func() error { return toks.Delete(ctx, "user-1") }},
		{"Tokens.Lock", "tokens lock", func() error { _, err := toks.Lock(ctx, "user-2", time.Minute); return err }},
		{"Tokens.Lock's unlock", "tokens unlock", func() error { return unlock(ctx) }},
		{"UsedStates.Use", "oauth_states use", func() error { return states.Use(ctx, "state-1", time.Now().Add(time.Minute)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil || !strings.HasPrefix(err.Error(), "redisstore: "+tc.want+": ") {
				t.Errorf("error %v, want one beginning %q", err, "redisstore: "+tc.want+": ")
			}
			if got := log.take(); len(got) != 1 || got[0] != tc.want {
				t.Errorf("reported %q, want [%q]", got, tc.want)
			}
		})
	}
}

// Observers tells each observer, skipping nil ones; none is nil.
func TestObserversJoinsTheObservers(t *testing.T) {
	if redisstore.Observers() != nil || redisstore.Observers(nil, nil) != nil {
		t.Error("Observers of none is not nil")
	}
	a, b := &errorLog{}, &errorLog{}
	if o := redisstore.Observers(nil, a); o != a {
		t.Errorf("Observers of one is %v, want it", o)
	}
	redisstore.Observers(a, nil, b).RedisError(context.Background(), "tokens", "get", errors.New("down"))
	if got, want := strings.Join(append(a.take(), b.take()...), ";"), "tokens get;tokens get"; got != want {
		t.Errorf("told %q, want %q", got, want)
	}
}
