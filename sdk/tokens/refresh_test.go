package tokens_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// recordingStore is a shared memory store that reports each refused lock.
type recordingStore struct {
	tokens.Store
	locked chan struct{}
}

func (s *recordingStore) Lock(ctx context.Context, user string, ttl time.Duration) (func(context.Context) error, error) {
	unlock, err := s.Store.Lock(ctx, user, ttl)
	if errors.Is(err, tokens.ErrLocked) {
		select {
		case s.locked <- struct{}{}:
		default:
		}
	}
	return unlock, err
}

func TestRefreshBeforeExpiry(t *testing.T) {
	store := tokens.NewMemoryStore()
	refreshed := make(chan string, 4)
	f := newFixture(t, nil, func(c *tokens.Config) {
		c.Store = store
		c.OnRefresh = func(ctx context.Context, userID string, ts oauth2.TokenSource) error {
			tok, err := ts.Token()
			if err != nil {
				return err
			}
			refreshed <- userID + " " + tok.AccessToken
			return nil
		}
	})
	first := f.consented(user)
	ts := f.k.TokenSource(context.Background(), user)

	f.oauth.Advance(time.Hour - tokens.DefaultRefreshBefore - time.Second)
	if tok, err := ts.Token(); err != nil || tok.AccessToken != first.AccessToken {
		t.Fatalf("before the refresh window: %v, a new token: %v", err, tok.AccessToken != first.AccessToken)
	}
	f.oauth.Advance(2 * time.Second)
	second, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if second.AccessToken == first.AccessToken {
		t.Fatal("not refreshed within RefreshBefore of expiry")
	}
	if _, ok := f.oauth.Scopes(second.AccessToken); !ok {
		t.Error("Divar does not know the refreshed token")
	}
	if _, ok := f.oauth.Scopes(first.AccessToken); ok {
		t.Error("the replaced token still works at the fake (no grace by default)")
	}
	if third, _ := ts.Token(); third.AccessToken != second.AccessToken {
		t.Error("refreshed again")
	}
	if n := f.oauth.Issued("refresh_token"); n != 1 {
		t.Errorf("%d refreshes", n)
	}
	if got := <-refreshed; got != user+" "+second.AccessToken {
		t.Errorf("OnRefresh got the wrong user or token")
	}
	// Sealed at rest.
	v, err := store.Get(context.Background(), user)
	if err != nil || strings.Contains(v, "ory_") || strings.Contains(v, second.AccessToken) {
		t.Errorf("stored in the clear: %v", err)
	}
	// Long after, with the refresh token still valid: refreshed again.
	f.oauth.Advance(24 * time.Hour)
	if tok, err := ts.Token(); err != nil || tok.AccessToken == second.AccessToken {
		t.Errorf("a day later: %v", err)
	}
}

// TestRotatedRefreshToken: a refresh token already used is refused by
// Divar; the add-on is told to ask consent again, and the dead token is
// deleted.
func TestRotatedRefreshToken(t *testing.T) {
	store := tokens.NewMemoryStore()
	f := newFixture(t, nil, func(c *tokens.Config) { c.Store = store })
	f.consented(user)
	ctx := context.Background()
	stale, _ := store.Get(ctx, user)

	f.oauth.Advance(time.Hour)
	fresh, err := f.k.TokenSource(ctx, user).Token()
	if err != nil {
		t.Fatal(err)
	}
	// A copy from before the refresh comes back (a restored backup, a
	// replica that wrote late): its refresh token has been rotated.
	_ = store.Put(ctx, user, stale, time.Hour)
	f.oauth.Advance(time.Hour)
	_, err = f.k.TokenSource(ctx, user).Token()
	var re *tokens.ReconsentError
	if !errors.Is(err, tokens.ErrReconsent) || !errors.As(err, &re) || re.UserID != user || !strings.Contains(re.Reason, "invalid_grant") {
		t.Fatalf("Token = %v, want a ReconsentError for invalid_grant", err)
	}
	if strings.Contains(err.Error(), "ory_") {
		t.Error("the error shows a token")
	}
	if _, err := store.Get(ctx, user); !errors.Is(err, tokens.ErrNoToken) {
		t.Errorf("the dead token is still stored: %v", err)
	}
	// Hydra takes the reuse for theft and revokes the grant.
	if _, ok := f.oauth.Scopes(fresh.AccessToken); ok {
		t.Error("the fake did not revoke the grant on reuse")
	}
}

// TestReplicasRefreshOnce: two replicas, several callers each, refresh the
// same user at the same moment over one store: Divar is asked once and
// every caller gets the new token. The refresh is held at the fake until
// another caller has found the lock taken, so the callers overlap.
func TestReplicasRefreshOnce(t *testing.T) {
	store := &recordingStore{Store: tokens.NewMemoryStore(), locked: make(chan struct{}, 1)}
	var hooks atomic.Int32
	f := newFixture(t, nil, func(c *tokens.Config) {
		c.Store = store
		c.OnRefresh = func(context.Context, string, oauth2.TokenSource) error { hooks.Add(1); return nil }
	})
	replicaB, err := tokens.New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.consented(user)
	testRefreshRace(t, f, []*tokens.Keeper{f.k, replicaB}, store.locked)
	f.k.Close()
	replicaB.Close()
	if n := hooks.Load(); n != 1 {
		t.Errorf("OnRefresh ran %d times", n)
	}
}

func testRefreshRace(t *testing.T, f *fixture, replicas []*tokens.Keeper, locked <-chan struct{}) {
	f.oauth.BeforeToken(func(grant string) {
		if grant == "refresh_token" {
			<-locked
		}
	})
	f.oauth.Advance(time.Hour - time.Minute)
	const perReplica = 4
	got := make(chan string, perReplica*len(replicas))
	var wg sync.WaitGroup
	for _, m := range replicas {
		for range perReplica {
			wg.Go(func() {
				tok, err := m.TokenSource(context.Background(), user).Token()
				if err != nil {
					t.Error(err)
					return
				}
				got <- tok.AccessToken
			})
		}
	}
	wg.Wait()
	close(got)
	var first string
	for tok := range got {
		if first == "" {
			first = tok
		}
		if tok != first {
			t.Error("callers got different tokens")
		}
	}
	if _, ok := f.oauth.Scopes(first); !ok {
		t.Error("the token the callers got is not valid at Divar")
	}
	if n := f.oauth.Issued("refresh_token"); n != 1 {
		t.Errorf("Divar was asked %d times", n)
	}
}

func TestNoRefreshToken(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if err := f.k.Save(ctx, "u1", &oauth2.Token{AccessToken: "at", ExpiresIn: 3600}); err != nil {
		t.Fatal(err)
	}
	f.oauth.Advance(59 * time.Minute)
	if tok, err := f.k.TokenSource(ctx, "u1").Token(); err != nil || tok.AccessToken != "at" {
		t.Errorf("usable until expiry: %v", err)
	}
	f.oauth.Advance(time.Minute)
	if _, err := f.k.TokenSource(ctx, "u1").Token(); !errors.Is(err, tokens.ErrReconsent) || !strings.Contains(err.Error(), "offline_access") {
		t.Errorf("expired with no refresh token: %v", err)
	}
	if _, err := f.k.TokenSource(ctx, "nobody").Token(); !errors.Is(err, tokens.ErrReconsent) {
		t.Errorf("no consent: %v", err)
	}
}

// TestUserAccessRevocation: the event, through event.Mux, deletes the
// user's tokens; a refresh under way when it arrives does not bring them
// back.
func TestUserAccessRevocation(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.consented(user)
	mux := &event.Mux{UserAccessRevocation: f.k.UserAccessRevocation}
	revoke := &event.Event{Type: event.TypeUserAccessRevocation, UserAccessRevocation: &event.UserAccessRevocation{UserID: user}}

	f.oauth.BeforeToken(func(grant string) {
		if _, err := mux.Handle(ctx, revoke); err != nil {
			t.Error(err)
		}
	})
	f.oauth.Advance(time.Hour)
	if _, err := f.k.TokenSource(ctx, user).Token(); !errors.Is(err, tokens.ErrReconsent) {
		t.Errorf("revoked during a refresh: %v", err)
	}
	if _, err := f.k.TokenSource(ctx, user).Token(); !errors.Is(err, tokens.ErrReconsent) {
		t.Errorf("the refresh brought the token back: %v", err)
	}

	f.oauth.BeforeToken(nil)
	f.consented(user)
	if _, err := mux.Handle(ctx, revoke); err != nil {
		t.Fatal(err)
	}
	if _, err := f.k.TokenSource(ctx, user).Token(); !errors.Is(err, tokens.ErrReconsent) {
		t.Errorf("after the event: %v", err)
	}
}

// TestDivarDownDuringRefresh: a refresh that fails keeps the current
// token while it lasts, then fails with ErrDivarUnavailable; once Divar is
// back, the refresh succeeds.
func TestDivarDownDuringRefresh(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	first := f.consented(user)
	f.oauth.Down(true)
	f.oauth.Advance(58 * time.Minute)
	if tok, err := f.k.TokenSource(ctx, user).Token(); err != nil || tok.AccessToken != first.AccessToken {
		t.Errorf("within the window: %v", err)
	}
	f.oauth.Advance(2 * time.Minute)
	if _, err := f.k.TokenSource(ctx, user).Token(); !errors.Is(err, tokens.ErrDivarUnavailable) {
		t.Errorf("expired, Divar down: %v", err)
	}
	f.oauth.Down(false)
	if tok, err := f.k.TokenSource(ctx, user).Token(); err != nil || tok.AccessToken == first.AccessToken {
		t.Errorf("Divar back: %v", err)
	}
	if !strings.Contains(f.logs.String(), "refresh failed") {
		t.Error("the failed refresh was not logged")
	}
}

// TestOnRefreshRetried: a failing OnRefresh is retried with backoff and
// each failure logged; after the last attempt it is logged as given up.
func TestOnRefreshRetried(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int32
		calls    int32
		log      string
	}{
		{"succeeds at the third call", 2, 3, "OnRefresh failed; retrying"},
		{"never succeeds", 100, 4, "OnRefresh failed; giving up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			called := make(chan struct{}, 100)
			f := newFixture(t, nil, func(c *tokens.Config) {
				c.OnRefreshRetry = tokens.Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond, Attempts: 4}
				c.OnRefresh = func(context.Context, string, oauth2.TokenSource) error {
					called <- struct{}{}
					if calls.Add(1) <= tc.failures {
						return errors.New("subscribe: 503 from the fake API")
					}
					return nil
				}
			})
			f.consented(user)
			f.oauth.Advance(time.Hour)
			if _, err := f.k.TokenSource(context.Background(), user).Token(); err != nil {
				t.Fatal(err)
			}
			for range tc.calls {
				<-called
			}
			f.k.Close() // waits for the last call to finish
			if n := calls.Load(); n != tc.calls {
				t.Errorf("%d calls, want %d", n, tc.calls)
			}
			if !strings.Contains(f.logs.String(), tc.log) || !strings.Contains(f.logs.String(), "user_id="+user) {
				t.Errorf("log lacks %q:\n%s", tc.log, f.logs.String())
			}
		})
	}
}

func TestStoreDown(t *testing.T) {
	f := newFixture(t, nil, func(c *tokens.Config) { c.Store = failingStore{} })
	_, err := f.k.TokenSource(context.Background(), user).Token()
	var se *tokens.StoreError
	if !errors.Is(err, tokens.ErrStoreUnavailable) || !errors.As(err, &se) || se.Op != "get" {
		t.Errorf("Token = %v", err)
	}
	if err := f.k.UserAccessRevocation(context.Background(), &event.Event{}, &event.UserAccessRevocation{UserID: user}); err == nil {
		t.Error("a revocation the store could not apply was acknowledged")
	}
}
