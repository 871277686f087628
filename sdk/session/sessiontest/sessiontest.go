// Package sessiontest holds a [session.Store] to its contract, so that
// every store (the memory default, sdk/redisstore's SessionStore, one of
// your own) is tested alike: a new backend is one package, and one test
// file that calls [Run].
//
//	func TestConformance(t *testing.T) {
//		sessiontest.Run(t, func(t testing.TB) sessiontest.Backend {
//			return sessiontest.Backend{Store: mystore.New(…), Lapse: func(t testing.TB) { … }}
//		})
//	}
package sessiontest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/session"
)

// Backend is one store under test.
type Backend struct {
	// Store is fresh and empty.
	Store session.Store
	// Lapse makes every value the store holds pass its TTL, as the
	// store's clock moving on would; it should fail t when one was kept
	// with no TTL. Nil: the case that needs it is skipped.
	Lapse func(t testing.TB)
}

// Run checks the store newStore returns, a fresh one for each case,
// against the contract of [session.Store]. Ids are fresh and random, as
// [session.Handoff] makes them: a Store need not handle an id put twice.
func Run(t *testing.T, newStore func(t testing.TB) Backend) {
	ctx := context.Background()
	put := func(t *testing.T, s session.Store, id string, v []byte) {
		t.Helper()
		if err := s.Put(ctx, id, v, time.Hour); err != nil {
			t.Fatalf("Put(%q): %v", id, err)
		}
	}
	holds := func(t *testing.T, s session.Store, id string, want []byte) {
		t.Helper()
		got, err := s.Get(ctx, id)
		switch {
		case want == nil && !errors.Is(err, session.ErrNotFound):
			t.Errorf("Get(%q) = %q, %v; want session.ErrNotFound", id, got, err)
		case want != nil && (err != nil || !bytes.Equal(got, want)):
			t.Errorf("Get(%q) = %d bytes, %v; want the %d bytes put", id, len(got), err, len(want))
		}
	}
	// A sealed context: any byte, 0 included.
	sealed := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, b Backend)
	}{
		{"an id never put is ErrNotFound", func(t *testing.T, b Backend) {
			holds(t, b.Store, "AAAAAAAAAAAAAAAAAAAAAA", nil)
		}},
		{"a value put is got back byte for byte", func(t *testing.T, b Backend) {
			put(t, b.Store, "q5Jd0mC2z7Xv1LkN8pRt4w", sealed(300))
			holds(t, b.Store, "q5Jd0mC2z7Xv1LkN8pRt4w", sealed(300))
		}},
		{"a context too long for a URL is kept whole", func(t *testing.T, b Backend) {
			put(t, b.Store, "big", sealed(64<<10))
			holds(t, b.Store, "big", sealed(64<<10))
		}},
		{"ids are kept apart", func(t *testing.T, b Backend) {
			put(t, b.Store, "a", []byte("first"))
			put(t, b.Store, "b", []byte("second"))
			holds(t, b.Store, "a", []byte("first"))
			holds(t, b.Store, "b", []byte("second"))
		}},
		{"a value lapses with its TTL", func(t *testing.T, b Backend) {
			if b.Lapse == nil {
				t.Skip("the backend cannot make its TTLs pass (Backend.Lapse is nil)")
			}
			put(t, b.Store, "a", []byte("v"))
			b.Lapse(t)
			holds(t, b.Store, "a", nil)
		}},
		{"puts and gets at once", func(t *testing.T, b Backend) {
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					id, v := fmt.Sprint("id-", i), []byte(fmt.Sprint("value-", i))
					if err := b.Store.Put(ctx, id, v, time.Hour); err != nil {
						t.Errorf("Put: %v", err)
						return
					}
					if got, err := b.Store.Get(ctx, id); err != nil || !bytes.Equal(got, v) {
						t.Errorf("Get(%q) = %q, %v", id, got, err)
					}
				})
			}
			wg.Wait()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}
