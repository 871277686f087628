package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/redis/go-redis/v9"
)

// deduperConfig is what a [Deduper] reads of a [Config].
type deduperConfig struct {
	Prefix string        // of every key: Config.Prefix + "event:"
	TTL    time.Duration // how long a handled or started event is remembered
	Lease  time.Duration // how long a claim holds without a commit or a release
}

// Deduper is a [dedupe.Deduper] on Redis, the state machine of package
// dedupe with each event one Redis key:
//
//	claimed:<token>               expires after the lease (a replica that died lets go)
//	started:<token>:<lease end>   expires after the TTL; the lease end, in Redis's
//	                              clock, tells a running delivery from a dead one
//	done                          expires after the TTL
//
// Every transition is one Lua script that checks the lease's random token,
// so a lease only moves its own claim. A step that cannot be taken back is
// kept at most once across a Redis crash only if Redis persists each write
// before answering it (appendonly yes, appendfsync always): a Redis that
// restarts empty has forgotten which steps were started. It is safe for
// concurrent use.
type Deduper struct {
	rdb redis.UniversalClient
	cfg deduperConfig
	reporter
}

var _ dedupe.Deduper = (*Deduper)(nil)

// NewDeduper returns a Deduper storing its keys in rdb, under
// cfg.Prefix+"event:", for cfg.EventTTL with leases of cfg.EventLease.
func NewDeduper(rdb redis.UniversalClient, cfg Config) *Deduper {
	cfg = cfg.withDefaults()
	return &Deduper{rdb: rdb, cfg: deduperConfig{Prefix: cfg.Prefix + "event:", TTL: cfg.EventTTL, Lease: cfg.EventLease},
		reporter: reporter{StoreDedupe, cfg.Observer}}
}

// dedupeLib holds the Lua shared by the scripts: mine(v, token) says
// whether the value v is held by the lease token (claimed or started).
const dedupeLib = `
local function mine(v, token)
  if not v then return false end
  if v == 'claimed:' .. token then return true end
  local p = 'started:' .. token .. ':'
  return string.sub(v, 1, #p) == p
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// claim sets the key to the lease's claim unless it exists, and says what
// it found: "claimed" (now ours), "done", "unfinished" (started, its lease
// over) or "busy" (claimed, started within its lease, or a value it does
// not know: fail closed).
var claim = redis.NewScript(dedupeLib + `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'claimed:' .. ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if v == 'done' then return 'done' end
local lease_end = string.match(v, '^started:[^:]*:(%d+)$')
if lease_end and now_ms() >= tonumber(lease_end) then return 'unfinished' end
return 'busy'`)

// start marks the key started, kept for the TTL (ARGV[3]), with the lease
// (ARGV[2]) from now, if the lease still holds it.
var start = redis.NewScript(dedupeLib + `
if not mine(redis.call('GET', KEYS[1]), ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], 'started:' .. ARGV[1] .. ':' .. (now_ms() + tonumber(ARGV[2])), 'PX', ARGV[3])
return 1`)

// commit marks the key done if the lease still holds it.
var commit = redis.NewScript(dedupeLib + `
if not mine(redis.call('GET', KEYS[1]), ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
return 1`)

// release deletes the key if the lease still holds it.
var release = redis.NewScript(dedupeLib + `
if not mine(redis.call('GET', KEYS[1]), ARGV[1]) then return 0 end
return redis.call('DEL', KEYS[1])`)

// Claim implements [dedupe.Deduper].
func (d *Deduper) Claim(ctx context.Context, key string) (dedupe.Lease, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	l := &lease{d: d, key: d.cfg.Prefix + key, token: base64.RawURLEncoding.EncodeToString(b[:])}
	got, err := claim.Run(ctx, d.rdb, []string{l.key}, l.token, d.cfg.Lease.Milliseconds()).Text()
	if err != nil {
		return nil, d.failed(ctx, "claim", err)
	}
	switch got {
	case "claimed":
		return l, nil
	case "done":
		return nil, dedupe.ErrDuplicate
	case "unfinished":
		return nil, dedupe.ErrUnfinished
	}
	return nil, dedupe.ErrInProgress
}

type lease struct {
	d          *Deduper
	key, token string
}

// run runs one of the lease's scripts; 0 means the lease lost its claim.
func (l *lease) run(ctx context.Context, step string, s *redis.Script, args ...any) error {
	n, err := s.Run(ctx, l.d.rdb, []string{l.key}, append([]any{l.token}, args...)...).Int()
	if err != nil {
		return l.d.failed(ctx, step, err)
	}
	if n == 0 {
		return dedupe.ErrLeaseLost
	}
	return nil
}

func (l *lease) Start(ctx context.Context) error {
	return l.run(ctx, "start", start, l.d.cfg.Lease.Milliseconds(), l.d.cfg.TTL.Milliseconds())
}

func (l *lease) Commit(ctx context.Context) error {
	return l.run(ctx, "commit", commit, l.d.cfg.TTL.Milliseconds())
}

func (l *lease) Release(ctx context.Context) error {
	if err := l.run(ctx, "release", release); err != nil && err != dedupe.ErrLeaseLost {
		return err
	}
	return nil // a claim that lapsed is released already
}
