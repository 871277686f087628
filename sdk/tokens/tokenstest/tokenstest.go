// Package tokenstest holds a [tokens.Store] to its contract, so that every
// store (the memory default, sdk/redisstore's Tokens, one of your own on
// Postgres or etcd) is tested alike: a new backend is one package, and one
// test file that calls [Run].
//
//	func TestConformance(t *testing.T) {
//		tokenstest.Run(t, func(t testing.TB) tokenstest.Backend {
//			s := mystore.New(…) // a fresh, empty store
//			return tokenstest.Backend{Store: s, Lapse: func(t testing.TB) { … }}
//		})
//	}
package tokenstest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/internal/atonce"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// Backend is one store under test.
type Backend struct {
	// Store is fresh and empty.
	Store tokens.Store
	// Lapse makes every value and lock the store holds pass its TTL, as
	// the store's clock moving on would; it should fail t when one was
	// kept with no TTL. Nil: the cases that need it are skipped.
	Lapse func(t testing.TB)
}

// Run checks the store newStore returns, a fresh one for each case,
// against the contract of [tokens.Store].
func Run(t *testing.T, newStore func(t testing.TB) Backend) {
	ctx := context.Background()
	get := func(t *testing.T, s tokens.Store, user string) (string, error) {
		t.Helper()
		return s.Get(ctx, user)
	}
	must := func(t *testing.T, what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	holds := func(t *testing.T, s tokens.Store, user, want string) {
		t.Helper()
		v, err := get(t, s, user)
		switch {
		case want == "" && !errors.Is(err, tokens.ErrNoToken):
			t.Errorf("Get(%q) = %q, %v; want tokens.ErrNoToken", user, v, err)
		case want != "" && (err != nil || v != want):
			t.Errorf("Get(%q) = %q, %v; want %q", user, v, err, want)
		}
	}
	swap := func(t *testing.T, s tokens.Store, user, old, new string, want bool) {
		t.Helper()
		ok, err := s.Swap(ctx, user, old, new, time.Hour)
		if err != nil || ok != want {
			t.Errorf("Swap(%q, %q → %q) = %v, %v; want %v", user, old, new, ok, err, want)
		}
	}
	lock := func(t *testing.T, s tokens.Store, user string) func(context.Context) error {
		t.Helper()
		unlock, err := s.Lock(ctx, user, time.Minute)
		if err != nil {
			t.Fatalf("Lock(%q): %v", user, err)
		}
		return unlock
	}
	locked := func(t *testing.T, s tokens.Store, user string) {
		t.Helper()
		if _, err := s.Lock(ctx, user, time.Minute); !errors.Is(err, tokens.ErrLocked) {
			t.Errorf("Lock(%q) of a held lock: %v, want tokens.ErrLocked", user, err)
		}
	}
	lapse := func(t *testing.T, b Backend) {
		t.Helper()
		if b.Lapse == nil {
			t.Skip("the backend cannot make its TTLs pass (Backend.Lapse is nil)")
		}
		b.Lapse(t)
	}

	for _, tc := range []struct {
		name string
		run  func(t *testing.T, b Backend)
	}{
		{"a user with nothing stored is ErrNoToken", func(t *testing.T, b Backend) {
			holds(t, b.Store, "u", "")
		}},
		{"a value put is got back as put", func(t *testing.T, b Backend) {
			v := "AQID.sealed-value_with-every-url-char~" // sealed tokens are base64url
			must(t, "Put", b.Store.Put(ctx, "u", v, time.Hour))
			holds(t, b.Store, "u", v)
		}},
		{"a put replaces the user's value", func(t *testing.T, b Backend) {
			must(t, "Put", b.Store.Put(ctx, "u", "a", time.Hour))
			must(t, "Put", b.Store.Put(ctx, "u", "b", time.Hour))
			holds(t, b.Store, "u", "b")
		}},
		{"users are kept apart", func(t *testing.T, b Backend) {
			must(t, "Put", b.Store.Put(ctx, "u1", "a", time.Hour))
			must(t, "Put", b.Store.Put(ctx, "u2", "b", time.Hour))
			must(t, "Delete", b.Store.Delete(ctx, "u1"))
			holds(t, b.Store, "u1", "")
			holds(t, b.Store, "u2", "b")
		}},
		{"delete removes the value, and of a user with none is no error", func(t *testing.T, b Backend) {
			must(t, "Put", b.Store.Put(ctx, "u", "a", time.Hour))
			must(t, "Delete", b.Store.Delete(ctx, "u"))
			holds(t, b.Store, "u", "")
			must(t, "Delete of nothing", b.Store.Delete(ctx, "u"))
		}},
		{"swap from absent sets, and from a value not there does nothing", func(t *testing.T, b Backend) {
			swap(t, b.Store, "u", "x", "a", false)
			holds(t, b.Store, "u", "")
			swap(t, b.Store, "u", "", "a", true)
			holds(t, b.Store, "u", "a")
		}},
		{"swap from the current value sets, from a stale one does nothing", func(t *testing.T, b Backend) {
			must(t, "Put", b.Store.Put(ctx, "u", "a", time.Hour))
			swap(t, b.Store, "u", "stale", "b", false)
			holds(t, b.Store, "u", "a")
			swap(t, b.Store, "u", "", "b", false) // "" is absent, not any value
			swap(t, b.Store, "u", "a", "b", true)
			holds(t, b.Store, "u", "b")
		}},
		{"swap to nothing deletes", func(t *testing.T, b Backend) {
			must(t, "Put", b.Store.Put(ctx, "u", "a", time.Hour))
			swap(t, b.Store, "u", "a", "", true)
			holds(t, b.Store, "u", "")
		}},
		{"a value lapses with its TTL", func(t *testing.T, b Backend) {
			must(t, "Put", b.Store.Put(ctx, "put", "a", time.Hour))
			swap(t, b.Store, "swapped", "", "b", true)
			lapse(t, b)
			holds(t, b.Store, "put", "")
			holds(t, b.Store, "swapped", "")
		}},
		{"a lock is held until unlocked, per user", func(t *testing.T, b Backend) {
			unlock := lock(t, b.Store, "u")
			locked(t, b.Store, "u")
			other := lock(t, b.Store, "v")
			must(t, "unlock", unlock(ctx))
			must(t, "unlock v", other(ctx))
			must(t, "unlock", lock(t, b.Store, "u")(ctx))
		}},
		{"a lock lapses with its TTL, and the late unlock leaves the next holder's lock", func(t *testing.T, b Backend) {
			stale := lock(t, b.Store, "u")
			lapse(t, b)
			next := lock(t, b.Store, "u")
			_ = stale(ctx)
			locked(t, b.Store, "u")
			must(t, "unlock", next(ctx))
		}},
		{"the lock does not touch the value", func(t *testing.T, b Backend) {
			must(t, "Put", b.Store.Put(ctx, "u", "a", time.Hour))
			unlock := lock(t, b.Store, "u")
			holds(t, b.Store, "u", "a")
			must(t, "unlock", unlock(ctx))
			holds(t, b.Store, "u", "a")
		}},
		{"of callers locking a user at once, one holds it", func(t *testing.T, b Backend) {
			atonce.OneWins(t, 16, tokens.ErrLocked, func(int) error { _, err := b.Store.Lock(ctx, "u", time.Minute); return err })
		}},
		{"of swaps from one value at once, one wins", func(t *testing.T, b Backend) {
			must(t, "Put", b.Store.Put(ctx, "u", "old", time.Hour))
			lost := errors.New("lost")
			winner := atonce.OneWins(t, 16, lost, func(i int) error {
				ok, err := b.Store.Swap(ctx, "u", "old", fmt.Sprint("new-", i), time.Hour)
				if err == nil && !ok {
					return lost
				}
				return err
			})
			if winner >= 0 {
				holds(t, b.Store, "u", fmt.Sprint("new-", winner))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}
