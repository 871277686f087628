package redisstore

import (
	"time"

	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
)

// Config configures the stores of the package: one value serves them all,
// each reading its fields. Zero fields take the defaults.
type Config struct {
	// Prefix is put before every key, ahead of each store's own part:
	// "event:" for the [Deduper], "session:" for the [SessionStore],
	// "consent:" for [Tokens] and [UsedStates]. "kenarkit:" by default;
	// give each add-on that shares a Redis its own.
	Prefix string
	// EventTTL is how long the [Deduper] remembers a handled or started
	// event; dedupe.DefaultTTL if 0.
	EventTTL time.Duration
	// EventLease is how long a [Deduper]'s claim holds without a commit
	// or a release; dedupe.DefaultLease if 0.
	EventLease time.Duration
	// MaxStates bounds the used OAuth states [UsedStates] keeps at once,
	// over all replicas; consent.DefaultMaxStates if 0 or less.
	MaxStates int
	// Observer, when set, is told of every Redis error a store meets,
	// by store and operation (sdk/metrics counts them); nil: nothing
	// is told.
	Observer Observer
}

// DefaultPrefix is [Config.Prefix] when it is empty.
const DefaultPrefix = "kenarkit:"

// withDefaults returns c with its zero fields set.
func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.EventTTL <= 0 {
		c.EventTTL = dedupe.DefaultTTL
	}
	if c.EventLease <= 0 {
		c.EventLease = dedupe.DefaultLease
	}
	if c.MaxStates <= 0 {
		c.MaxStates = consent.DefaultMaxStates
	}
	return c
}
