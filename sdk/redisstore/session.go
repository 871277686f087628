package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/kenarkit/kenarkit/sdk/session"
	"github.com/redis/go-redis/v9"
)

// SessionStore is a [session.Store] on Redis: each context is one key,
// expiring with its TTL. It is safe for concurrent use.
type SessionStore struct {
	rdb    redis.UniversalClient
	prefix string
	reporter
}

var _ session.Store = (*SessionStore)(nil)

// NewSessionStore returns a SessionStore storing its keys in rdb, under
// cfg.Prefix+"session:".
func NewSessionStore(rdb redis.UniversalClient, cfg Config) *SessionStore {
	return &SessionStore{rdb: rdb, prefix: cfg.withDefaults().Prefix + "session:", reporter: reporter{StoreSession, cfg.Observer}}
}

// Put implements [session.Store]. It never replaces a context already
// stored under id.
func (s *SessionStore) Put(ctx context.Context, id string, value []byte, ttl time.Duration) error {
	ok, err := s.rdb.SetNX(ctx, s.prefix+id, value, ttl).Result()
	if err != nil {
		return s.failed(ctx, "put", err)
	}
	if !ok {
		return errors.New("redisstore: session put: the id is taken")
	}
	return nil
}

// Get implements [session.Store].
func (s *SessionStore) Get(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.prefix+id).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, session.ErrNotFound
	case err != nil:
		return nil, s.failed(ctx, "get", err)
	}
	return b, nil
}
