package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/redis/go-redis/v9"
)

// deduperConfig is what a [Deduper] reads of a [Config].
type deduperConfig struct {
	Prefix string // of every key: Config.Prefix + "event:"
	TTL    time.Duration
	Lease  time.Duration
}

// Deduper is a [dedupe.Deduper] on Redis. Each event is one Redis key: set
// with NX while a replica handles it (a lease that lapses if the replica
// dies), then marked done for the TTL. Commit and release only touch a
// claim their own lease holds. It is safe for concurrent use.
type Deduper struct {
	rdb redis.UniversalClient
	cfg deduperConfig
}

var _ dedupe.Deduper = (*Deduper)(nil)

// NewDeduper returns a Deduper storing its keys in rdb, under
// cfg.Prefix+"event:", for cfg.EventTTL with leases of cfg.EventLease.
func NewDeduper(rdb redis.UniversalClient, cfg Config) *Deduper {
	cfg = cfg.withDefaults()
	return &Deduper{rdb: rdb, cfg: deduperConfig{Prefix: cfg.Prefix + "event:", TTL: cfg.EventTTL, Lease: cfg.EventLease}}
}

const done = "done"

// claim sets the key to the lease's token unless it exists, and says what
// it found: "claimed", "done" or "busy".
var claim = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if v == 'done' then return 'done' end
return 'busy'`)

// commit marks the key done if the lease still holds it.
var commit = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0`)

// release deletes the key if the lease still holds it.
var release = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// Claim implements [dedupe.Deduper].
func (d *Deduper) Claim(ctx context.Context, key string) (dedupe.Lease, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	l := &lease{d: d, key: d.cfg.Prefix + key, token: "claim:" + base64.RawURLEncoding.EncodeToString(b[:])}
	got, err := claim.Run(ctx, d.rdb, []string{l.key}, l.token, d.cfg.Lease.Milliseconds()).Text()
	if err != nil {
		return nil, fmt.Errorf("redisstore: dedupe claim: %w", err)
	}
	switch got {
	case "claimed":
		return l, nil
	case done:
		return nil, dedupe.ErrDuplicate
	}
	return nil, dedupe.ErrInProgress
}

type lease struct {
	d          *Deduper
	key, token string
}

func (l *lease) Commit(ctx context.Context) error {
	n, err := commit.Run(ctx, l.d.rdb, []string{l.key}, l.token, l.d.cfg.TTL.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("redisstore: dedupe commit: %w", err)
	}
	if n == 0 {
		return dedupe.ErrLeaseLost
	}
	return nil
}

func (l *lease) Release(ctx context.Context) error {
	if err := release.Run(ctx, l.d.rdb, []string{l.key}, l.token).Err(); err != nil {
		return fmt.Errorf("redisstore: dedupe release: %w", err)
	}
	return nil
}
