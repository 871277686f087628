package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// Tokens is a [tokens.Store] on Redis, shared by the replicas: each user's
// sealed token is one key (Config.Prefix, "consent:token:", the user id)
// expiring with its refresh token, and the refresh lock another
// ("consent:lock:" and the user id), set with NX and a TTL so a replica
// that dies holding it lets go. Swap and unlock are Lua scripts, atomic.
// The values are sealed by the tokens.Keeper, bound to their user: Redis
// never holds a token in the clear, and a value copied to another user's
// key does not open there (tokens.ErrUnopenable). It is safe for
// concurrent use.
type Tokens struct {
	rdb    redis.UniversalClient
	prefix string
	reporter
}

var _ tokens.Store = (*Tokens)(nil)

// NewTokens returns a token store keeping its keys in rdb, under
// cfg.Prefix+"consent:".
func NewTokens(rdb redis.UniversalClient, cfg Config) *Tokens {
	return &Tokens{rdb: rdb, prefix: cfg.withDefaults().Prefix + "consent:", reporter: reporter{StoreTokens, cfg.Observer}}
}

func (t *Tokens) key(user string) string  { return t.prefix + "token:" + user }
func (t *Tokens) lock(user string) string { return t.prefix + "lock:" + user }

// Get implements [tokens.Store].
func (t *Tokens) Get(ctx context.Context, user string) (string, error) {
	v, err := t.rdb.Get(ctx, t.key(user)).Result()
	if errors.Is(err, redis.Nil) {
		return "", tokens.ErrNoToken
	}
	if err != nil {
		return "", t.failed(ctx, "get", err)
	}
	return v, nil
}

// Put implements [tokens.Store].
func (t *Tokens) Put(ctx context.Context, user, value string, ttl time.Duration) error {
	if err := t.rdb.Set(ctx, t.key(user), value, ttl).Err(); err != nil {
		return t.failed(ctx, "put", err)
	}
	return nil
}

// swap sets KEYS[1] to ARGV[2] (deletes it when ARGV[2] is empty) if it
// holds ARGV[1] (is absent when ARGV[1] is empty).
var swap = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if (v or '') ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1`)

// Swap implements [tokens.Store].
func (t *Tokens) Swap(ctx context.Context, user, old, new string, ttl time.Duration) (bool, error) {
	ms := max(ttl.Milliseconds(), 1)
	n, err := swap.Run(ctx, t.rdb, []string{t.key(user)}, old, new, ms).Int()
	if err != nil {
		return false, t.failed(ctx, "swap", err)
	}
	return n == 1, nil
}

// Delete implements [tokens.Store].
func (t *Tokens) Delete(ctx context.Context, user string) error {
	if err := t.rdb.Del(ctx, t.key(user)).Err(); err != nil {
		return t.failed(ctx, "delete", err)
	}
	return nil
}

// unlock deletes KEYS[1] if it still holds this lock's owner.
var unlock = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// Lock implements [tokens.Store].
func (t *Tokens) Lock(ctx context.Context, user string, ttl time.Duration) (func(context.Context) error, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	owner := base64.RawURLEncoding.EncodeToString(b[:])
	key := t.lock(user)
	ok, err := t.rdb.SetNX(ctx, key, owner, ttl).Result()
	if err != nil {
		return nil, t.failed(ctx, "lock", err)
	}
	if !ok {
		return nil, tokens.ErrLocked
	}
	return func(ctx context.Context) error {
		if err := unlock.Run(ctx, t.rdb, []string{key}, owner).Err(); err != nil {
			return t.failed(ctx, "unlock", err)
		}
		return nil
	}, nil
}

// UsedStates is [consent.UsedStates] on Redis: the used states are one
// sorted set (key Config.Prefix+"consent:states"), each state's id scored
// by its expiry, so a state comes back once whichever replica it reaches,
// and the replicas together hold at most [Config.MaxStates] of them
// (consent.DefaultMaxStates by default): beyond, Use returns
// consent.ErrTooManyStates until some expire. Each Use drops the expired
// ones and checks, counts and adds in one Lua script, atomic. It is safe
// for concurrent use.
type UsedStates struct {
	rdb redis.UniversalClient
	key string
	max int
	now func() time.Time
	reporter
}

var _ consent.UsedStates = (*UsedStates)(nil)

// NewUsedStates returns used states keeping their set in rdb, at most
// cfg.MaxStates of them. Their expiries are counted on the wall clock,
// as the consent.Manager's are.
func NewUsedStates(rdb redis.UniversalClient, cfg Config) *UsedStates {
	cfg = cfg.withDefaults()
	return &UsedStates{rdb: rdb, key: cfg.Prefix + "consent:states", max: cfg.MaxStates, now: time.Now,
		reporter: reporter{StoreOAuthStates, cfg.Observer}}
}

// useState: KEYS[1] the set; ARGV: the id, now and its expiry (Unix ms),
// the bound. 1: used now; 0: already used; -1: full.
var useState = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
local ttl = tonumber(ARGV[3]) - tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`)

// Use implements [consent.UsedStates].
func (u *UsedStates) Use(ctx context.Context, id string, expires time.Time) error {
	now := u.now().UnixMilli()
	exp := max(expires.UnixMilli(), now+1)
	n, err := useState.Run(ctx, u.rdb, []string{u.key}, id, now, exp, u.max).Int()
	switch {
	case err != nil:
		return u.failed(ctx, "use", err)
	case n == 0:
		return consent.ErrStateUsed
	case n < 0:
		return consent.ErrTooManyStates
	}
	return nil
}
