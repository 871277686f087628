package main

import (
	"context"
	"slices"
	"sync"

	"github.com/redis/go-redis/v9"
)

// follows remembers, for each user who consented, the posts the add-on
// follows for them (their event subscriptions), so that the subscriptions
// are made again after each refresh of the user's token and the refresh
// loop knows whose tokens to keep fresh. Memory for one replica
// (newMemoryFollows), Redis for several (newRedisFollows).
type follows interface {
	// Add records that the add-on follows post for user.
	Add(ctx context.Context, user, post string) error
	// Posts returns the posts followed for user, sorted.
	Posts(ctx context.Context, user string) ([]string, error)
	// Users returns every user followed for, sorted.
	Users(ctx context.Context) ([]string, error)
	// Forget drops the user (they revoked access, or must consent again).
	Forget(ctx context.Context, user string) error
}

func newMemoryFollows() follows { return &memoryFollows{posts: map[string]map[string]bool{}} }

type memoryFollows struct {
	mu    sync.Mutex
	posts map[string]map[string]bool // user → posts
}

func (m *memoryFollows) Add(_ context.Context, user, post string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.posts[user] == nil {
		m.posts[user] = map[string]bool{}
	}
	m.posts[user][post] = true
	return nil
}

func (m *memoryFollows) Posts(_ context.Context, user string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.posts[user]))
	for p := range m.posts[user] {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

func (m *memoryFollows) Users(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.posts))
	for u := range m.posts {
		out = append(out, u)
	}
	slices.Sort(out)
	return out, nil
}

func (m *memoryFollows) Forget(_ context.Context, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.posts, user)
	return nil
}

// followsPrefix starts the Redis keys of newRedisFollows: a set of the
// users (…users) and a set of posts per user (…posts:<user>).
const followsPrefix = "starter:follows:"

func newRedisFollows(rdb redis.UniversalClient) follows { return redisFollows{rdb} }

type redisFollows struct{ rdb redis.UniversalClient }

func (r redisFollows) Add(ctx context.Context, user, post string) error {
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, followsPrefix+"posts:"+user, post)
		p.SAdd(ctx, followsPrefix+"users", user)
		return nil
	})
	return err
}

func (r redisFollows) Posts(ctx context.Context, user string) ([]string, error) {
	return r.sorted(r.rdb.SMembers(ctx, followsPrefix+"posts:"+user))
}

func (r redisFollows) Users(ctx context.Context) ([]string, error) {
	return r.sorted(r.rdb.SMembers(ctx, followsPrefix+"users"))
}

func (r redisFollows) sorted(cmd *redis.StringSliceCmd) ([]string, error) {
	out, err := cmd.Result()
	slices.Sort(out)
	return out, err
}

func (r redisFollows) Forget(ctx context.Context, user string) error {
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SRem(ctx, followsPrefix+"users", user)
		p.Del(ctx, followsPrefix+"posts:"+user)
		return nil
	})
	return err
}
