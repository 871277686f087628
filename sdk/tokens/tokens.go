package tokens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/internal/logsafe"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/seal"
)

// record is a user's token as stored, sealed.
type record struct {
	Access  string `json:"a"`
	Refresh string `json:"r,omitempty"`
	Type    string `json:"t,omitempty"`
	Expiry  int64  `json:"e"` // Unix milliseconds, by the Keeper's clock
	Scope   string `json:"s,omitempty"`
	Issued  int64  `json:"i,omitempty"` // Unix milliseconds: when Divar gave it
}

// recordOf takes tok as Divar gave it at now. The expiry is counted from
// expires_in on the Keeper's clock, not from the one x/oauth2 used.
func recordOf(tok *oauth2.Token, now time.Time) record {
	r := record{Access: tok.AccessToken, Refresh: tok.RefreshToken, Type: tok.TokenType, Issued: now.UnixMilli()}
	switch {
	case tok.ExpiresIn > 0:
		r.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second).UnixMilli()
	case !tok.Expiry.IsZero():
		r.Expiry = tok.Expiry.UnixMilli()
	default:
		r.Expiry = now.Add(time.Hour).UnixMilli() // Divar's documented hour
	}
	if s, ok := tok.Extra("scope").(string); ok {
		r.Scope = s
	}
	return r
}

func (r record) expiry() time.Time { return time.UnixMilli(r.Expiry) }

func (r record) token() *oauth2.Token {
	t := &oauth2.Token{AccessToken: r.Access, TokenType: r.Type, Expiry: r.expiry()}
	if t.TokenType == "" {
		t.TokenType = "Bearer"
	}
	return t
}

// ttl is how long the store keeps r: as long as its refresh token lasts,
// or a day past its access token's expiry when it has no refresh token
// (so that the error then says why).
func (k *Keeper) ttl(r record) time.Duration {
	if r.Refresh != "" {
		return k.cfg.RefreshTokenTTL
	}
	return max(r.expiry().Sub(k.now()), 0) + 24*time.Hour
}

// bind is what a user's sealed token is bound to (authenticated data of
// the seal): the app and the store key, the user id. A value copied to
// another user's key, or from another app sharing the session keys, does
// not open.
func (k *Keeper) bind(user string) string {
	return "kenarkit consent token\x00" + k.cfg.ClientID + "\x00" + user
}

func (k *Keeper) seal(user string, r record) (string, error) {
	s, err := k.cfg.Sealer.SealFor(k.bind(user), r, k.ttl(r)+time.Hour)
	if err != nil {
		return "", fmt.Errorf("tokens: sealing a token: %w", err)
	}
	return s, nil
}

func (k *Keeper) put(ctx context.Context, user string, r record) error {
	s, err := k.seal(user, r)
	if err != nil {
		return err
	}
	if err := k.cfg.Store.Put(ctx, user, s, k.ttl(r)); err != nil {
		return k.storeError("put", err)
	}
	k.dropUnsaved(user) // a new consent replaces a pair still unsaved
	return nil
}

// storeError is a failure of the token store, remembered: a refresh token
// Divar refuses after one is not taken for a revocation (see rotate).
func (k *Keeper) storeError(op string, err error) *StoreError {
	k.keep.storeFailed.Store(k.now().UnixMilli())
	return &StoreError{Op: op, Err: err}
}

// load returns the user's stored value and what it holds.
func (k *Keeper) load(ctx context.Context, user string) (string, record, error) {
	s, err := k.cfg.Store.Get(ctx, user)
	if errors.Is(err, ErrNoToken) {
		return "", record{}, &ReconsentError{UserID: user, Reason: "no token is stored"}
	}
	if err != nil {
		return "", record{}, k.storeError("get", err)
	}
	var r record
	err = k.cfg.Sealer.OpenFor(k.bind(user), s, &r)
	if errors.Is(err, seal.ErrInvalid) && !errors.Is(err, seal.ErrUnknownKey) && k.cfg.Sealer.Open(s, &r) == nil {
		return k.bindStored(ctx, user, s, r)
	}
	switch {
	case err == nil:
		k.keep.opened.Add(1)
		return s, r, nil
	case errors.Is(err, seal.ErrExpired):
		// Genuine and past the life it was sealed for: the store should
		// have let it lapse already.
		return s, record{}, &ReconsentError{UserID: user, Reason: "the stored token is past its life"}
	default:
		e := &UnopenableError{UserID: user, Reason: "altered, or copied from another user's key"}
		if errors.Is(err, seal.ErrUnknownKey) {
			e.UnknownKey, e.Reason = true, "sealed with a key not among the session keys (wrong keys, or one dropped too early)"
			k.keep.unknownKey.Add(1)
		}
		return s, record{}, k.unopenable(ctx, e)
	}
}

// bindStored takes r, stored as s unbound (sealed before kenarkit bound
// tokens to their user), for the user only when Divar says the token is
// theirs ([Config.Identify]); it then stores it bound. Without Identify,
// or with a token past its life, such a value is [ErrUnopenable].
func (k *Keeper) bindStored(ctx context.Context, user, s string, r record) (string, record, error) {
	if k.cfg.Identify == nil || !k.usable(r) {
		return s, record{}, k.unopenable(ctx, &UnopenableError{UserID: user,
			Reason: "sealed before tokens were bound to their user, and Config.Identify cannot tell whose it is (unset, or the access token expired): the user must consent again"})
	}
	id, err := k.cfg.Identify(ctx, oauth2.StaticTokenSource(r.token()))
	if err != nil {
		return s, record{}, fmt.Errorf("tokens: asking Divar whose an unbound stored token is: %w", err)
	}
	if id != user {
		return s, record{}, k.unopenable(ctx, &UnopenableError{UserID: user, Reason: "sealed before tokens were bound to their user, and it is another user's"})
	}
	ns, err := k.seal(user, r)
	if err != nil {
		return s, record{}, err
	}
	ok, err := k.cfg.Store.Swap(ctx, user, s, ns, k.ttl(r))
	if err != nil {
		return s, record{}, k.storeError("swap", err)
	}
	if !ok {
		return k.load(ctx, user) // replaced meanwhile
	}
	k.keep.opened.Add(1)
	k.logger.LogAttrs(ctx, slog.LevelInfo, "tokens: a token stored before tokens were bound to their user is now bound to them", slog.String("user_id", user))
	return ns, r, nil
}

// unopenable reports a stored value the session keys cannot open: loud,
// and never a reason to delete it or to forget the user.
func (k *Keeper) unopenable(ctx context.Context, e *UnopenableError) *UnopenableError {
	k.logger.LogAttrs(ctx, slog.LevelError, "tokens: a stored token cannot be opened; kept, not used, not deleted",
		slog.String("user_id", e.UserID), slog.String("error", e.Error()))
	return e
}

// Ready reports whether the stored tokens open with the session keys: an
// [ErrUnopenable] error when stored tokens were found sealed with keys the
// Sealer does not hold and none has opened, which is what wrong session
// keys look like. Serve it in the add-on's readiness check, so that a
// deploy with the wrong keys does not take the traffic. The Keeper learns
// it as it reads tokens (a refresh loop reads them all); nil until then.
func (k *Keeper) Ready() error {
	if n := k.keep.unknownKey.Load(); n > 0 && k.keep.opened.Load() == 0 {
		return fmt.Errorf("%w: %d reads found stored tokens sealed with a key not among the session keys, and no stored token opened: are the session keys right?", ErrUnopenable, n)
	}
	return nil
}

func (k *Keeper) fresh(r record) bool {
	return k.now().Add(k.cfg.RefreshBefore).Before(r.expiry())
}

func (k *Keeper) usable(r record) bool {
	return k.now().Before(r.expiry())
}

// Save stores tok as the user's token, as a consent does: for tokens got
// elsewhere (a migration). Its expiry is counted from tok.ExpiresIn when
// set, else tok.Expiry.
func (k *Keeper) Save(ctx context.Context, userID string, tok *oauth2.Token) error {
	if tok == nil || tok.AccessToken == "" {
		return fmt.Errorf("tokens: Save: no access token")
	}
	return k.put(ctx, userID, recordOf(tok, k.now()))
}

// Forget deletes the user's tokens: the add-on can no longer act for them
// until they consent again. Divar revokes its side itself when the user
// withdraws access.
func (k *Keeper) Forget(ctx context.Context, userID string) error {
	k.dropUnsaved(userID)
	if err := k.cfg.Store.Delete(ctx, userID); err != nil {
		return k.storeError("delete", err)
	}
	return nil
}

// UserAccessRevocation deletes the tokens of the user who withdrew access:
// set it as event.Mux.UserAccessRevocation. Divar sends the event only
// for tokens granted with [NotificationAccessRevocation] and [UserID]. A
// store failure is returned, so the event is answered 500 and Divar
// delivers it again.
func (k *Keeper) UserAccessRevocation(ctx context.Context, e *event.Event, r *event.UserAccessRevocation) error {
	if r == nil || r.UserID == "" {
		k.logger.LogAttrs(ctx, slog.LevelWarn, "tokens: USER_ACCESS_REVOCATION without a user_id; nothing deleted")
		return nil
	}
	if err := k.Forget(ctx, r.UserID); err != nil {
		return err
	}
	k.logger.LogAttrs(ctx, slog.LevelInfo, "tokens: user withdrew access; tokens deleted", slog.String("user_id", r.UserID))
	if o := k.cfg.Observer; o != nil {
		o.Revoked(ctx)
	}
	return nil
}

// TokenSource returns the user's tokens as an oauth2.TokenSource, for
// oauth2.NewClient or the Kenar API client. Each Token call reads the
// store (so every replica sees a refresh at once) and, within
// [Config.RefreshBefore] of expiry, refreshes: one replica takes the
// user's lock and asks Divar, the others wait for the token it stores.
//
// Divar rotates both tokens at each refresh and keeps the old pair valid
// about two minutes (its grace); a rotated refresh token used after that
// is refused, and Hydra takes the reuse for theft and revokes the whole
// grant, the new pair with it. So the new pair is never lost: when the
// store refuses it, the Keeper keeps it in memory, uses it (and refreshes
// with it, never with the rotated one), and writes it again with backoff
// ([Config.SaveRetry]) until the store takes it, a newer value is stored
// (a consent, another replica's refresh) or it is deleted (a revocation).
// What the grace still covers: a pair unsaved when its process ends
// (logged at error level at [Keeper.Close]), and another replica
// refreshing from the store before this one has saved; within two minutes
// of the rotation the old pair still works and nothing is lost.
//
// Errors: [ErrReconsent] (a [*ReconsentError]) when the user must consent
// again; [ErrUnopenable] (a [*UnopenableError]) when the stored token does
// not open with the session keys; [ErrStoreUnavailable] when the store
// fails; [ErrRefreshRefused] when Divar refused a stored refresh token
// that may not be current; [ErrDivarUnavailable] when a refresh is due and
// Divar cannot be reached and the token has expired (until then the
// current token is returned). ctx bounds waiting; a refresh under way
// completes and is saved even if ctx ends.
func (k *Keeper) TokenSource(ctx context.Context, userID string) oauth2.TokenSource {
	return &tokenSource{k: k, ctx: ctx, user: userID}
}

type tokenSource struct {
	k    *Keeper
	ctx  context.Context
	user string
}

func (s *tokenSource) Token() (*oauth2.Token, error) {
	tok, err := s.k.token(s.ctx, s.user)
	if o := s.k.cfg.Observer; o != nil && errors.Is(err, ErrReconsent) {
		o.Reconsent(s.ctx)
	}
	return tok, err
}

func (k *Keeper) token(ctx context.Context, user string) (*oauth2.Token, error) {
	if tok, ok, err := k.fromUnsaved(ctx, user); ok {
		return tok, err
	}
	sealed, r, err := k.load(ctx, user)
	if err != nil {
		return nil, err
	}
	if k.fresh(r) {
		return r.token(), nil
	}
	if r.Refresh == "" {
		if k.usable(r) {
			return r.token(), nil
		}
		return nil, &ReconsentError{UserID: user, Reason: "the access token expired and there is no refresh token (ask for offline_access)"}
	}
	wait := 5 * time.Millisecond
	for {
		unlock, err := k.cfg.Store.Lock(ctx, user, k.cfg.LockTTL)
		if err == nil {
			tok, err := k.refreshLocked(ctx, user)
			if uerr := unlock(context.WithoutCancel(ctx)); uerr != nil {
				k.logger.LogAttrs(ctx, slog.LevelWarn, "tokens: releasing the refresh lock failed; it lapses by itself",
					slog.String("user_id", user), slog.String("error", uerr.Error()))
			}
			return tok, err
		}
		if !errors.Is(err, ErrLocked) {
			if tok, ok, err := k.fromUnsaved(ctx, user); ok {
				return tok, err // the store died as this process rotated the pair
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("tokens: refreshing: %w", ctx.Err())
			}
			return nil, k.storeError("lock", err)
		}
		// Another replica is refreshing: wait for its token.
		select {
		case <-ctx.Done():
			if k.usable(r) {
				return r.token(), nil
			}
			return nil, fmt.Errorf("tokens: waiting for another replica's refresh: %w", ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
		now, nr, err := k.load(ctx, user)
		if err != nil {
			return nil, err
		}
		if now != sealed && k.fresh(nr) {
			return nr.token(), nil
		}
	}
}

// fromUnsaved returns the user's unsaved pair, refreshed with its own
// refresh token when due; ok is false when there is none (or it was saved
// meanwhile): the store holds the current pair.
func (k *Keeper) fromUnsaved(ctx context.Context, user string) (tok *oauth2.Token, ok bool, err error) {
	p := k.unsavedOf(user)
	if p == nil {
		return nil, false, nil
	}
	if k.fresh(p.r) {
		return p.r.token(), true, nil
	}
	k.keep.rotating.Lock()
	defer k.keep.rotating.Unlock()
	if p = k.unsavedOf(user); p == nil {
		return nil, false, nil
	}
	if k.fresh(p.r) {
		return p.r.token(), true, nil
	}
	tok, err = k.rotate(ctx, user, p.r, p.old, true)
	return tok, true, err
}

// refreshLocked refreshes the user's token, holding the user's lock.
func (k *Keeper) refreshLocked(ctx context.Context, user string) (*oauth2.Token, error) {
	if tok, ok, err := k.fromUnsaved(ctx, user); ok {
		// This process rotated the pair meanwhile and the store refused
		// it: never refresh with the rotated one.
		return tok, err
	}
	sealed, r, err := k.load(ctx, user)
	if err != nil {
		return nil, err
	}
	if k.fresh(r) {
		return r.token(), nil // another replica refreshed just before
	}
	if r.Refresh == "" {
		return nil, &ReconsentError{UserID: user, Reason: "no refresh token"}
	}
	return k.rotate(ctx, user, r, sealed, false)
}

// rotate asks Divar for a new pair with r's refresh token and stores it
// in place of old; r is the user's unsaved pair when inMemory is true, else
// what the store holds. The observer, if any, is told of the refresh.
func (k *Keeper) rotate(ctx context.Context, user string, r record, old string, inMemory bool) (*oauth2.Token, error) {
	if k.cfg.Observer == nil {
		tok, _, err := k.refresh(ctx, user, r, old, inMemory)
		return tok, err
	}
	ctx, done := k.cfg.Observer.ObserveRefresh(ctx)
	tok, failed, err := k.refresh(ctx, user, r, old, inMemory)
	done(failed)
	return tok, err
}

// refresh is rotate without the observer; failed is why Divar gave no new
// pair (nil when it did), even when the current token is returned to be
// used until the next try.
func (k *Keeper) refresh(ctx context.Context, user string, r record, old string, inMemory bool) (_ *oauth2.Token, failed, _ error) {
	// Once asked, Divar rotates the pair: finish and save whatever the
	// caller's context does, but within the lock's life, so that no other
	// replica takes the lock while this refresh may still land.
	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.cfg.LockTTL*2/3)
	defer cancel()
	xctx = context.WithValue(xctx, oauth2.HTTPClient, k.cfg.HTTPClient)
	tok, err := k.oauth.TokenSource(xctx, &oauth2.Token{RefreshToken: r.Refresh}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_token") {
			why := logsafe.Clip(re.ErrorCode) + ": " + logsafe.Clip(re.ErrorDescription)
			tok, err := k.refused(xctx, user, r, old, inMemory, why)
			return tok, errors.New("tokens: Divar refused the refresh token (" + why + ")"), err
		}
		err = oauthError(err)
		if errors.Is(err, ErrClientRejected) {
			return nil, err, err
		}
		k.logger.LogAttrs(ctx, slog.LevelWarn, "tokens: refresh failed", slog.String("user_id", user), slog.String("error", err.Error()))
		if k.usable(r) {
			return r.token(), err, nil // try again at the next call
		}
		if !errors.Is(err, ErrDivarUnavailable) {
			err = fmt.Errorf("%w: %w", ErrDivarUnavailable, err)
		}
		return nil, err, err
	}
	nr := recordOf(tok, k.now())
	if nr.Refresh == "" {
		nr.Refresh = r.Refresh
	}
	if nr.Scope == "" {
		nr.Scope = r.Scope
	}
	p := &unsaved{r: nr, old: old}
	ok, err := k.store(xctx, user, p)
	if err != nil {
		// Divar has rotated the pair: this one is the only copy.
		k.logger.LogAttrs(ctx, slog.LevelError, "tokens: the store refused a refreshed token; kept in memory and written again until it takes it",
			slog.String("user_id", user), slog.String("error", err.Error()))
		k.keepUnsaved(user, p)
	} else {
		if inMemory {
			k.dropUnsaved(user)
		}
		if !ok {
			// Deleted (access withdrawn) or replaced (a new consent) while
			// Divar answered: what is stored now wins.
			_, cur, err := k.load(xctx, user)
			if err != nil {
				return nil, nil, err
			}
			return cur.token(), nil, nil
		}
	}
	k.logger.LogAttrs(ctx, slog.LevelInfo, "tokens: token refreshed", slog.String("user_id", user))
	k.afterRefresh(user)
	return nr.token(), nil, nil
}

// refused handles Divar's invalid_grant for r's refresh token. It ends the
// grant only when r is known to be current: the user's unsaved pair, or a
// stored one issued after the last store failure this Keeper saw. Else a
// pair rotated since may be waiting to be saved (by this replica or
// another) and the stored value, which that save replaces, is kept.
func (k *Keeper) refused(ctx context.Context, user string, r record, old string, inMemory bool, why string) (*oauth2.Token, error) {
	if f := k.keep.storeFailed.Load(); !inMemory && f != 0 && r.Issued <= f {
		k.logger.LogAttrs(ctx, slog.LevelError, "tokens: Divar refused a refresh token read after a store failure; kept, not deleted: a pair rotated meanwhile may still be saved",
			slog.String("user_id", user), slog.String("reason", why))
		return nil, fmt.Errorf("%w: user %q: %s", ErrRefreshRefused, user, why)
	}
	// Rotated already, expired, or revoked: dead for good. Delete it
	// unless someone stored another meanwhile.
	k.dropUnsaved(user)
	if ok, serr := k.cfg.Store.Swap(ctx, user, old, "", 0); serr == nil && !ok {
		if _, nr, lerr := k.load(ctx, user); lerr == nil && k.usable(nr) {
			return nr.token(), nil
		}
	}
	return nil, &ReconsentError{UserID: user, Reason: "Divar refused the refresh token (" + why + ")"}
}

// store seals p's pair and swaps it for p.old; it reports whether the
// store held p.old.
func (k *Keeper) store(ctx context.Context, user string, p *unsaved) (bool, error) {
	ns, err := k.seal(user, p.r)
	if err != nil {
		return false, err
	}
	ok, err := k.cfg.Store.Swap(ctx, user, p.old, ns, k.ttl(p.r))
	if err != nil {
		return false, k.storeError("swap", err)
	}
	return ok, nil
}

// keeping is what a Keeper remembers of the tokens beyond the store: the
// pairs the store refused, and what the readiness check reports.
type keeping struct {
	mu       sync.Mutex
	unsaved  map[string]*unsaved // by user
	rotating sync.Mutex          // held to refresh an unsaved pair, or to write one

	storeFailed atomic.Int64 // Unix ms of the last store failure, by the Keeper's clock
	opened      atomic.Int64 // stored tokens opened
	unknownKey  atomic.Int64 // stored tokens sealed with a key the Sealer lacks
}

// unsaved is a pair Divar gave that the store has not taken: the only
// copy of the user's current tokens. old is the stored value it replaces.
type unsaved struct {
	r   record
	old string
}

func (k *Keeper) unsavedOf(user string) *unsaved {
	k.keep.mu.Lock()
	defer k.keep.mu.Unlock()
	return k.keep.unsaved[user]
}

func (k *Keeper) dropUnsaved(user string) {
	k.keep.mu.Lock()
	defer k.keep.mu.Unlock()
	delete(k.keep.unsaved, user)
}

// keepUnsaved keeps p as the user's current pair and, unless a writer
// already runs for the user, writes it until the store takes it.
func (k *Keeper) keepUnsaved(user string, p *unsaved) {
	k.keep.mu.Lock()
	_, running := k.keep.unsaved[user]
	if k.keep.unsaved == nil {
		k.keep.unsaved = map[string]*unsaved{}
	}
	k.keep.unsaved[user] = p
	k.keep.mu.Unlock()
	if running {
		return
	}
	k.hooks.Add(1)
	go func() {
		defer k.hooks.Done()
		wait := k.cfg.SaveRetry.Initial
		for attempt := 1; ; attempt++ {
			t := time.NewTimer(wait)
			select {
			case <-k.ctx.Done():
				t.Stop()
				// One last try, then the pair is lost with the process.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				saved := k.saveUnsaved(ctx, user, attempt)
				cancel()
				if !saved {
					k.logger.LogAttrs(ctx, slog.LevelError, "tokens: a refreshed token was never saved and is lost at Close: the user must consent again unless the stored one is refreshed within Divar's two-minute grace",
						slog.String("user_id", user))
				}
				return
			case <-t.C:
			}
			if k.saveUnsaved(k.ctx, user, attempt) {
				return
			}
			wait = min(2*wait, k.cfg.SaveRetry.Max)
		}
	}()
}

// saveUnsaved writes the user's unsaved pair once; it reports whether
// nothing is left to write.
func (k *Keeper) saveUnsaved(ctx context.Context, user string, attempt int) bool {
	k.keep.rotating.Lock()
	defer k.keep.rotating.Unlock()
	p := k.unsavedOf(user)
	if p == nil {
		return true
	}
	ok, err := k.store(ctx, user, p)
	if err != nil {
		k.logger.LogAttrs(ctx, slog.LevelWarn, "tokens: a refreshed token still cannot be saved; kept in memory",
			slog.String("user_id", user), slog.Int("attempt", attempt), slog.String("error", err.Error()))
		return false
	}
	k.dropUnsaved(user)
	if ok {
		k.logger.LogAttrs(ctx, slog.LevelInfo, "tokens: a refreshed token the store had refused is saved", slog.String("user_id", user), slog.Int("attempt", attempt))
	} else {
		k.logger.LogAttrs(ctx, slog.LevelWarn, "tokens: a refreshed token was not saved: the store holds another by now (a consent, a revocation or another replica's refresh), which wins",
			slog.String("user_id", user))
	}
	return true
}

// afterRefresh runs OnRefresh in the background with retries.
func (k *Keeper) afterRefresh(user string) {
	if k.cfg.OnRefresh == nil {
		return
	}
	k.hooks.Add(1)
	go func() {
		defer k.hooks.Done()
		b := k.cfg.OnRefreshRetry
		wait := b.Initial
		for attempt := 1; ; attempt++ {
			err := k.cfg.OnRefresh(k.ctx, user, k.TokenSource(k.ctx, user))
			if err == nil {
				return
			}
			if attempt >= b.Attempts || k.ctx.Err() != nil {
				k.logger.LogAttrs(k.ctx, slog.LevelError, "tokens: OnRefresh failed; giving up: the user's subscriptions may lapse",
					slog.String("user_id", user), slog.Int("attempt", attempt), slog.String("error", err.Error()))
				return
			}
			k.logger.LogAttrs(k.ctx, slog.LevelWarn, "tokens: OnRefresh failed; retrying",
				slog.String("user_id", user), slog.Int("attempt", attempt), slog.Duration("retry_in", wait), slog.String("error", err.Error()))
			t := time.NewTimer(wait)
			select {
			case <-k.ctx.Done():
				t.Stop()
				k.logger.LogAttrs(k.ctx, slog.LevelError, "tokens: OnRefresh abandoned at Close: the user's subscriptions may lapse",
					slog.String("user_id", user), slog.Int("attempt", attempt))
				return
			case <-t.C:
			}
			wait = min(2*wait, b.Max)
		}
	}()
}
