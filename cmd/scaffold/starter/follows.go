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

// The Redis keys of newRedisFollows: a set of the users and a set of
// posts per user, all under one hash tag, {follows}, so that a Redis
// Cluster keeps them in one slot and Add and Forget stay one transaction
// (MULTI/EXEC) there: keys in two slots cannot share one.
const (
	followsUsers = "starter:{follows}:users"
	followsPosts = "starter:{follows}:posts:" // + the user
)

// The keys of the starters before Redis Cluster was supported, without a
// hash tag. newRedisFollows moves what it finds under them to the keys
// above: an upgrade forgets no follow.
const (
	oldFollowsUsers = "starter:follows:users"
	oldFollowsPosts = "starter:follows:posts:" // + the user
)

func newRedisFollows(rdb redis.UniversalClient) follows { return redisFollows{rdb} }

type redisFollows struct{ rdb redis.UniversalClient }

// moveOld moves the follows kept under the old keys to the current ones,
// a user at a time: the user's posts are added under the new keys before
// the old ones are deleted, so that Redis dying half-way loses nothing
// and the next call finishes the move. Every call runs it first (one
// SMEMBERS of an absent set once the move is done), so that during a
// rolling upgrade what the replicas of the old version still write is
// moved too; replicas may run it at once (SADD, DEL and SREM repeat
// harmlessly).
func (r redisFollows) moveOld(ctx context.Context) error {
	users, err := r.rdb.SMembers(ctx, oldFollowsUsers).Result()
	if err != nil {
		return err
	}
	for _, user := range users {
		posts, err := r.rdb.SMembers(ctx, oldFollowsPosts+user).Result()
		if err != nil {
			return err
		}
		if err := r.add(ctx, user, posts...); err != nil {
			return err
		}
		if err := r.rdb.Del(ctx, oldFollowsPosts+user).Err(); err != nil {
			return err
		}
		if err := r.rdb.SRem(ctx, oldFollowsUsers, user).Err(); err != nil {
			return err
		}
	}
	return nil
}

// add adds posts (none or more) and the user in one transaction.
func (r redisFollows) add(ctx context.Context, user string, posts ...string) error {
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(posts) > 0 {
			p.SAdd(ctx, followsPosts+user, toAny(posts)...)
		}
		p.SAdd(ctx, followsUsers, user)
		return nil
	})
	return err
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (r redisFollows) Add(ctx context.Context, user, post string) error {
	if err := r.moveOld(ctx); err != nil {
		return err
	}
	return r.add(ctx, user, post)
}

func (r redisFollows) Posts(ctx context.Context, user string) ([]string, error) {
	if err := r.moveOld(ctx); err != nil {
		return nil, err
	}
	return r.sorted(r.rdb.SMembers(ctx, followsPosts+user))
}

func (r redisFollows) Users(ctx context.Context) ([]string, error) {
	if err := r.moveOld(ctx); err != nil {
		return nil, err
	}
	return r.sorted(r.rdb.SMembers(ctx, followsUsers))
}

func (r redisFollows) sorted(cmd *redis.StringSliceCmd) ([]string, error) {
	out, err := cmd.Result()
	slices.Sort(out)
	return out, err
}

func (r redisFollows) Forget(ctx context.Context, user string) error {
	if err := r.moveOld(ctx); err != nil { // else a user not yet moved would come back
		return err
	}
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SRem(ctx, followsUsers, user)
		p.Del(ctx, followsPosts+user)
		return nil
	})
	return err
}
