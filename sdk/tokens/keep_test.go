package tokens_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// flakyStore is a shared memory store that fails every call while down,
// as Redis does when it dies.
type flakyStore struct {
	tokens.Store
	down atomic.Bool
}

func (s *flakyStore) fail() error {
	if s.down.Load() {
		return errDown
	}
	return nil
}

func (s *flakyStore) Get(ctx context.Context, user string) (string, error) {
	if err := s.fail(); err != nil {
		return "", err
	}
	return s.Store.Get(ctx, user)
}

func (s *flakyStore) Put(ctx context.Context, user, v string, ttl time.Duration) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.Put(ctx, user, v, ttl)
}

func (s *flakyStore) Swap(ctx context.Context, user, old, v string, ttl time.Duration) (bool, error) {
	if err := s.fail(); err != nil {
		return false, err
	}
	return s.Store.Swap(ctx, user, old, v, ttl)
}

func (s *flakyStore) Lock(ctx context.Context, user string, ttl time.Duration) (func(context.Context) error, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.Lock(ctx, user, ttl)
}

// waitStored waits until the store holds another value than old for the
// user (the test's deadline bounds it) and returns it.
func waitStored(t *testing.T, store tokens.Store, old string) string {
	t.Helper()
	for {
		if v, err := store.Get(context.Background(), user); err == nil && v != old {
			return v
		}
		time.Sleep(time.Millisecond)
	}
}

// waitLog waits until the log holds s (the test's deadline bounds it).
func waitLog(t *testing.T, f *fixture, s string) {
	t.Helper()
	for !strings.Contains(f.logs.String(), s) {
		time.Sleep(time.Millisecond)
	}
}

// TestRefreshedPairKeptWhileStoreDown: the store dies while Divar rotates
// the pair (loss 2 of issue 18). The new pair is kept in memory and used;
// when its refresh falls due with the store still down, it is refreshed
// with its own refresh token, never the rotated one (which Divar refuses
// past its two-minute grace, revoking the grant); once the store is back
// the current pair is saved, and another replica reads it.
func TestRefreshedPairKeptWhileStoreDown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outage  time.Duration // store down for this long after the rotation
		refresh int           // refreshes Divar sees in all
	}{
		{"store back within Divar's grace", time.Minute, 1},
		{"store down past the grace and the next refresh", time.Hour, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := tokens.NewMemoryStore()
			store := &flakyStore{Store: mem}
			f := newFixture(t, nil, func(c *tokens.Config) {
				c.Store = store
				c.SaveRetry = tokens.Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond}
			})
			f.oauth.SetGrace(2 * time.Minute)
			ctx := context.Background()
			f.consented(user)
			stale, _ := mem.Get(ctx, user)
			f.oauth.BeforeToken(func(grant string) {
				if grant == "refresh_token" {
					store.down.Store(true) // Redis dies as Divar rotates
				}
			})
			f.oauth.Advance(time.Hour - time.Minute)
			rotated, err := f.k.TokenSource(ctx, user).Token()
			if err != nil {
				t.Fatalf("the refresh whose save failed: %v", err)
			}
			f.oauth.BeforeToken(nil)
			if v, _ := mem.Get(ctx, user); v != stale {
				t.Fatal("saved while the store was down?")
			}
			f.oauth.Advance(tc.outage)
			tok, err := f.k.TokenSource(ctx, user).Token()
			if err != nil {
				t.Fatalf("%v into the outage: %v", tc.outage, err)
			}
			if tc.refresh == 1 && tok.AccessToken != rotated.AccessToken {
				t.Error("the unsaved pair was not the one used")
			}
			if n := f.oauth.Issued("refresh_token"); n != tc.refresh {
				t.Errorf("Divar saw %d refreshes, want %d", n, tc.refresh)
			}
			if _, ok := f.oauth.Scopes(tok.AccessToken); !ok {
				t.Fatal("the token in use is dead at Divar (the grant was revoked?)")
			}

			store.down.Store(false)
			saved := waitStored(t, mem, stale)
			replica, err := tokens.New(f.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer replica.Close()
			got, err := replica.TokenSource(ctx, user).Token()
			if err != nil || got.AccessToken != tok.AccessToken {
				t.Fatalf("another replica after the outage: %v, the current token: %v", err, err == nil && got.AccessToken == tok.AccessToken)
			}
			if v, _ := mem.Get(ctx, user); v != saved {
				t.Error("saved twice")
			}
			logs := f.logs.String()
			for _, want := range []string{"the store refused a refreshed token; kept in memory", "a refreshed token the store had refused is saved"} {
				if !strings.Contains(logs, want) {
					t.Errorf("the log lacks %q", want)
				}
			}
		})
	}
}

// TestInvalidGrantAfterStoreFailure: a replica that reads the stored pair
// after the store failed, while the rotated pair waits in another
// replica's memory, is refused by Divar past the grace: that is not a
// revocation, and the stored token is not deleted (so the other replica's
// save still lands). Within the grace the stale pair still refreshes, and
// the other replica's pair gives way to the newer one.
func TestInvalidGrantAfterStoreFailure(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after time.Duration // from the rotation to replica B's refresh
		want  error
	}{
		{"within Divar's grace", time.Minute, nil},
		{"past Divar's grace", 3 * time.Minute, tokens.ErrRefreshRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := tokens.NewMemoryStore()
			storeA := &flakyStore{Store: mem}
			f := newFixture(t, nil, func(c *tokens.Config) {
				c.Store = storeA
				c.SaveRetry = tokens.Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond}
			})
			f.oauth.SetGrace(2 * time.Minute)
			storeB := &flakyStore{Store: mem}
			cfgB := f.cfg
			cfgB.Store = storeB
			replicaB, err := tokens.New(cfgB)
			if err != nil {
				t.Fatal(err)
			}
			defer replicaB.Close()
			ctx := context.Background()
			f.consented(user)
			stale, _ := mem.Get(ctx, user)

			f.oauth.BeforeToken(func(grant string) { storeA.down.Store(true); storeB.down.Store(true) })
			f.oauth.Advance(time.Hour - time.Minute)
			if _, err := f.k.TokenSource(ctx, user).Token(); err != nil {
				t.Fatal(err)
			}
			f.oauth.BeforeToken(nil)
			if _, err := replicaB.TokenSource(ctx, user).Token(); !errors.Is(err, tokens.ErrStoreUnavailable) {
				t.Fatalf("replica B, store down: %v", err)
			}
			f.oauth.Advance(tc.after)
			storeB.down.Store(false) // back for B; A's writes still fail
			tokB, err := replicaB.TokenSource(ctx, user).Token()
			if !errors.Is(err, tc.want) || errors.Is(err, tokens.ErrReconsent) {
				t.Fatalf("replica B's refresh from the stale pair: %v, want %v", err, tc.want)
			}
			if v, err := mem.Get(ctx, user); err != nil {
				t.Fatalf("the stored token was deleted: %v", err)
			} else if tc.want != nil && v != stale {
				t.Error("the stored token was replaced")
			}
			storeA.down.Store(false)
			if tc.want == nil {
				waitLog(t, f, "a refreshed token was not saved: the store holds another")
			} else {
				waitLog(t, f, "a refreshed token the store had refused is saved")
			}
			tokA, err := f.k.TokenSource(ctx, user).Token()
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil && tokA.AccessToken != tokB.AccessToken {
				t.Error("replica A kept its pair over the newer one B stored")
			}
		})
	}
}

// TestUnopenableTokenIsKept: a stored token the session keys do not open
// (wrong keys, loss 3 of issue 18; a value copied from another user's
// key, loss 4) is a loud error, not ErrReconsent: it is kept, not used,
// Divar is not asked, and with wrong keys Ready says so.
func TestUnopenableTokenIsKept(t *testing.T) {
	other, err := seal.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		setup      func(f *fixture, store tokens.Store) // makes user's stored value unopenable
		reader     func(f *fixture) *tokens.Keeper
		unknownKey bool
	}{
		{"wrong session keys", nil, func(f *fixture) *tokens.Keeper {
			cfg := f.cfg
			cfg.Sealer = other
			m, err := tokens.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { m.Close() })
			return m
		}, true},
		{"another user's token copied to the user's key", func(f *fixture, store tokens.Store) {
			f.consented("other-user")
			v, _ := store.Get(context.Background(), "other-user")
			_ = store.Put(context.Background(), user, v, time.Hour)
		}, func(f *fixture) *tokens.Keeper { return f.k }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := tokens.NewMemoryStore()
			f := newFixture(t, nil, func(c *tokens.Config) { c.Store = store })
			f.consented(user)
			if tc.setup != nil {
				tc.setup(f, store)
			}
			before, _ := store.Get(context.Background(), user)
			m := tc.reader(f)
			f.oauth.Advance(time.Hour) // a refresh is due
			_, err := m.TokenSource(context.Background(), user).Token()
			var ue *tokens.UnopenableError
			if !errors.Is(err, tokens.ErrUnopenable) || errors.Is(err, tokens.ErrReconsent) || !errors.As(err, &ue) || ue.UnknownKey != tc.unknownKey {
				t.Fatalf("Token = %v", err)
			}
			if v, err := store.Get(context.Background(), user); err != nil || v != before {
				t.Errorf("the stored value was touched: %v", err)
			}
			if n := f.oauth.Issued("refresh_token"); n != 0 {
				t.Errorf("Divar was asked %d times", n)
			}
			if !strings.Contains(f.logs.String(), "level=ERROR msg=\"tokens: a stored token cannot be opened") {
				t.Error("not logged at error level")
			}
			if ready := m.Ready(); (ready != nil) != tc.unknownKey || (ready != nil && !errors.Is(ready, tokens.ErrUnopenable)) {
				t.Errorf("Ready = %v", ready)
			}
		})
	}
}

// TestUnboundTokenBoundOnceShownTheUsers: a token stored before tokens
// were bound to their user is taken, and stored bound, only when Divar
// (Config.Identify) says it is the user's; otherwise it is ErrUnopenable,
// kept and not used.
func TestUnboundTokenBoundOnceShownTheUsers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		identify func(context.Context, oauth2.TokenSource) (string, error)
		expired  bool
		want     error
	}{
		{"Divar says it is the user's", func(context.Context, oauth2.TokenSource) (string, error) { return user, nil }, false, nil},
		{"Divar says it is another user's", func(context.Context, oauth2.TokenSource) (string, error) { return "other-user", nil }, false, tokens.ErrUnopenable},
		{"no way to ask Divar (neither API nor Identify)", nil, false, tokens.ErrUnopenable},
		{"the access token expired: Divar cannot be asked", func(context.Context, oauth2.TokenSource) (string, error) { return user, nil }, true, tokens.ErrUnopenable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := tokens.NewMemoryStore()
			f := newFixture(t, nil, func(c *tokens.Config) { c.Store = store })
			ctx := context.Background()
			tok := f.consented(user)
			// The Manager that finds the unbound token asks tc.identify who
			// owns it; with none, it cannot ask Divar at all.
			cfg := f.cfg
			cfg.Identify = tc.identify
			if tc.identify == nil {
				cfg.API = nil
			}
			reader, err := tokens.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { reader.Close() })
			// As kenarkit sealed tokens before binding them: the same
			// record, unbound.
			legacy, err := f.cfg.Sealer.Seal(map[string]any{"a": tok.AccessToken, "t": "bearer", "e": tok.Expiry.UnixMilli()}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			_ = store.Put(ctx, user, legacy, time.Hour)
			if tc.expired {
				f.oauth.Advance(2 * time.Hour)
			}
			got, err := reader.TokenSource(ctx, user).Token()
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Token = %v, want %v", err, tc.want)
			}
			v, _ := store.Get(ctx, user)
			if tc.want != nil {
				if v != legacy {
					t.Error("an unbound token not shown to be the user's was touched")
				}
				return
			}
			if got.AccessToken != tok.AccessToken || v == legacy {
				t.Error("the user's unbound token was not taken and stored bound")
			}
			var into map[string]any
			if f.cfg.Sealer.Open(v, &into) == nil {
				t.Error("stored unbound again")
			}
		})
	}
}

// TestUnsavedPairAtClose: Close tries once more to save a pair the store
// refused; a pair it still cannot save is logged at error level as lost.
func TestUnsavedPairAtClose(t *testing.T) {
	for _, tc := range []struct {
		name      string
		storeBack bool
		log       string
	}{
		{"the store is back: saved at Close", true, "a refreshed token the store had refused is saved"},
		{"the store is still down: lost, and said so", false, "level=ERROR msg=\"tokens: a refreshed token was never saved and is lost at Close"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := tokens.NewMemoryStore()
			store := &flakyStore{Store: mem}
			f := newFixture(t, nil, func(c *tokens.Config) {
				c.Store = store
				c.SaveRetry = tokens.Backoff{Initial: time.Hour, Max: time.Hour} // only Close tries again
			})
			ctx := context.Background()
			f.consented(user)
			stale, _ := mem.Get(ctx, user)
			f.oauth.BeforeToken(func(string) { store.down.Store(true) })
			f.oauth.Advance(time.Hour)
			if _, err := f.k.TokenSource(ctx, user).Token(); err != nil {
				t.Fatal(err)
			}
			store.down.Store(!tc.storeBack)
			f.k.Close()
			if !strings.Contains(f.logs.String(), tc.log) {
				t.Errorf("the log lacks %q:\n%s", tc.log, f.logs)
			}
			if v, _ := mem.Get(ctx, user); (v != stale) != tc.storeBack {
				t.Errorf("saved: %v, want %v", v != stale, tc.storeBack)
			}
		})
	}
}
