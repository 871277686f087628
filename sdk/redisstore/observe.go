package redisstore

import (
	"context"
	"fmt"

	"github.com/kenarkit/kenarkit/internal/observers"
)

// Observer is told of every Redis error the stores meet: the hook through
// which sdk/metrics counts them by store and operation. Set it in
// [Config.Observer]; nil costs nothing. A key not found (redis.Nil) is an
// answer, not an error, and is not reported.
type Observer interface {
	// RedisError is called once for each command or script of a store
	// that failed: store is the store's name ([StoreDedupe],
	// [StoreSession], [StoreTokens], [StoreOAuthStates]) and operation
	// the method's ("put", "get", "claim", …), both fixed names, never a
	// key. err is the error the store returns wrapped; it may name a
	// Redis address, never a value.
	RedisError(ctx context.Context, store, operation string, err error)
}

// The stores' names, as [Observer.RedisError] is given them.
const (
	StoreDedupe      = "dedupe"       // the [Deduper]: claim, start, commit, release
	StoreSession     = "session"      // the [SessionStore]: put, get
	StoreTokens      = "tokens"       // [Tokens]: get, put, swap, delete, lock, unlock
	StoreOAuthStates = "oauth_states" // [UsedStates]: use
)

// Observers returns an [Observer] that tells each of obs in turn (the
// metrics and the tracer); nil ones are skipped, and with none left it
// returns nil.
func Observers(obs ...Observer) Observer {
	return observers.Join(obs, func(all []Observer) Observer { return multiObserver(all) })
}

type multiObserver []Observer

func (m multiObserver) RedisError(ctx context.Context, store, operation string, err error) {
	for _, o := range m {
		o.RedisError(ctx, store, operation, err)
	}
}

// reporter is what a store knows to report its errors: its name and the
// observer.
type reporter struct {
	store string
	obs   Observer // Config.Observer; nil: not observed
}

// failed reports err, an error of Redis met by operation, and returns it
// as the store returns it: "redisstore: <store> <operation>: <err>".
func (r reporter) failed(ctx context.Context, operation string, err error) error {
	err = fmt.Errorf("redisstore: %s %s: %w", r.store, operation, err)
	if r.obs != nil {
		r.obs.RedisError(ctx, r.store, operation, err)
	}
	return err
}
