package consent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kenarkit/kenarkit/sdk"
	"golang.org/x/oauth2"
)

// record is a user's token as stored, sealed.
type record struct {
	Access  string `json:"a"`
	Refresh string `json:"r,omitempty"`
	Type    string `json:"t,omitempty"`
	Expiry  int64  `json:"e"` // Unix milliseconds, by the Manager's clock
	Scope   string `json:"s,omitempty"`
}

// recordOf takes tok as Divar gave it at now. The expiry is counted from
// expires_in on the Manager's clock, not from the one x/oauth2 used.
func recordOf(tok *oauth2.Token, now time.Time) record {
	r := record{Access: tok.AccessToken, Refresh: tok.RefreshToken, Type: tok.TokenType}
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
func (m *Manager) ttl(r record) time.Duration {
	if r.Refresh != "" {
		return m.cfg.RefreshTokenTTL
	}
	return max(r.expiry().Sub(m.now()), 0) + 24*time.Hour
}

func (m *Manager) seal(r record) (string, error) {
	s, err := m.cfg.Sealer.Seal(r, m.ttl(r)+time.Hour)
	if err != nil {
		return "", fmt.Errorf("consent: sealing a token: %w", err)
	}
	return s, nil
}

func (m *Manager) put(ctx context.Context, user string, r record) error {
	s, err := m.seal(r)
	if err != nil {
		return err
	}
	if err := m.cfg.Tokens.Put(ctx, user, s, m.ttl(r)); err != nil {
		return &StoreError{Op: "put", Err: err}
	}
	return nil
}

// load returns the user's stored value and what it holds.
func (m *Manager) load(ctx context.Context, user string) (string, record, error) {
	s, err := m.cfg.Tokens.Get(ctx, user)
	if errors.Is(err, ErrNoToken) {
		return "", record{}, &ReconsentError{UserID: user, Reason: "no token is stored"}
	}
	if err != nil {
		return "", record{}, &StoreError{Op: "get", Err: err}
	}
	var r record
	if err := m.cfg.Sealer.Open(s, &r); err != nil {
		// Sealed with a key since dropped, or past its life.
		return s, record{}, &ReconsentError{UserID: user, Reason: "the stored token cannot be opened with the session keys"}
	}
	return s, r, nil
}

func (m *Manager) fresh(r record) bool {
	return m.now().Add(m.cfg.RefreshBefore).Before(r.expiry())
}

func (m *Manager) usable(r record) bool {
	return m.now().Before(r.expiry())
}

// Save stores tok as the user's token, as a consent does: for tokens got
// elsewhere (a migration). Its expiry is counted from tok.ExpiresIn when
// set, else tok.Expiry.
func (m *Manager) Save(ctx context.Context, userID string, tok *oauth2.Token) error {
	if tok == nil || tok.AccessToken == "" {
		return fmt.Errorf("consent: Save: no access token")
	}
	return m.put(ctx, userID, recordOf(tok, m.now()))
}

// Forget deletes the user's tokens: the add-on can no longer act for them
// until they consent again. Divar revokes its side itself when the user
// withdraws access.
func (m *Manager) Forget(ctx context.Context, userID string) error {
	if err := m.cfg.Tokens.Delete(ctx, userID); err != nil {
		return &StoreError{Op: "delete", Err: err}
	}
	return nil
}

// UserAccessRevocation deletes the tokens of the user who withdrew access:
// set it as sdk.EventMux.UserAccessRevocation. Divar sends the event only
// for tokens granted with [NotificationAccessRevocation] and [UserID]. A
// store failure is returned, so the event is answered 500 and Divar
// delivers it again.
func (m *Manager) UserAccessRevocation(ctx context.Context, e *sdk.Event, r *sdk.UserAccessRevocation) error {
	if r == nil || r.UserID == "" {
		m.logger.LogAttrs(ctx, slog.LevelWarn, "consent: USER_ACCESS_REVOCATION without a user_id; nothing deleted")
		return nil
	}
	if err := m.Forget(ctx, r.UserID); err != nil {
		return err
	}
	m.logger.LogAttrs(ctx, slog.LevelInfo, "consent: user withdrew access; tokens deleted", slog.String("user_id", r.UserID))
	return nil
}

// TokenSource returns the user's tokens as an oauth2.TokenSource, for
// oauth2.NewClient or the Kenar API client. Each Token call reads the
// store (so every replica sees a refresh at once) and, within
// [Config.RefreshBefore] of expiry, refreshes: one replica takes the
// user's lock and asks Divar, the others wait for the token it stores.
// Divar keeps the old pair valid two minutes after a refresh; nothing here
// depends on it.
//
// Errors: [ErrReconsent] (a [*ReconsentError]) when the user must consent
// again; [ErrStoreUnavailable] when the store fails; [ErrDivarUnavailable]
// when a refresh is due and Divar cannot be reached and the token has
// expired (until then the current token is returned). ctx bounds waiting;
// a refresh under way completes and is saved even if ctx ends.
func (m *Manager) TokenSource(ctx context.Context, userID string) oauth2.TokenSource {
	return &tokenSource{m: m, ctx: ctx, user: userID}
}

type tokenSource struct {
	m    *Manager
	ctx  context.Context
	user string
}

func (s *tokenSource) Token() (*oauth2.Token, error) { return s.m.token(s.ctx, s.user) }

func (m *Manager) token(ctx context.Context, user string) (*oauth2.Token, error) {
	sealed, r, err := m.load(ctx, user)
	if err != nil {
		return nil, err
	}
	if m.fresh(r) {
		return r.token(), nil
	}
	if r.Refresh == "" {
		if m.usable(r) {
			return r.token(), nil
		}
		return nil, &ReconsentError{UserID: user, Reason: "the access token expired and there is no refresh token (ask for offline_access)"}
	}
	wait := 5 * time.Millisecond
	for {
		unlock, err := m.cfg.Tokens.Lock(ctx, user, m.cfg.LockTTL)
		if err == nil {
			tok, err := m.refreshLocked(ctx, user)
			if uerr := unlock(context.WithoutCancel(ctx)); uerr != nil {
				m.logger.LogAttrs(ctx, slog.LevelWarn, "consent: releasing the refresh lock failed; it lapses by itself",
					slog.String("user_id", user), slog.String("error", uerr.Error()))
			}
			return tok, err
		}
		if !errors.Is(err, ErrLocked) {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("consent: refreshing: %w", ctx.Err())
			}
			return nil, &StoreError{Op: "lock", Err: err}
		}
		// Another replica is refreshing: wait for its token.
		select {
		case <-ctx.Done():
			if m.usable(r) {
				return r.token(), nil
			}
			return nil, fmt.Errorf("consent: waiting for another replica's refresh: %w", ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
		now, nr, err := m.load(ctx, user)
		if err != nil {
			return nil, err
		}
		if now != sealed && m.fresh(nr) {
			return nr.token(), nil
		}
	}
}

// refreshLocked refreshes the user's token, holding the user's lock.
func (m *Manager) refreshLocked(ctx context.Context, user string) (*oauth2.Token, error) {
	sealed, r, err := m.load(ctx, user)
	if err != nil {
		return nil, err
	}
	if m.fresh(r) {
		return r.token(), nil // another replica refreshed just before
	}
	if r.Refresh == "" {
		return nil, &ReconsentError{UserID: user, Reason: "no refresh token"}
	}
	// Once asked, Divar rotates the pair: finish and save whatever the
	// caller's context does, but within the lock's life, so that no other
	// replica takes the lock while this refresh may still land.
	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.LockTTL*2/3)
	defer cancel()
	xctx = context.WithValue(xctx, oauth2.HTTPClient, m.cfg.HTTPClient)
	tok, err := m.oauth.TokenSource(xctx, &oauth2.Token{RefreshToken: r.Refresh}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_token") {
			// Rotated already, expired, or revoked: dead for good. Delete
			// it unless someone stored another meanwhile.
			if ok, serr := m.cfg.Tokens.Swap(xctx, user, sealed, "", 0); serr == nil && !ok {
				if _, nr, lerr := m.load(xctx, user); lerr == nil && m.usable(nr) {
					return nr.token(), nil
				}
			}
			return nil, &ReconsentError{UserID: user, Reason: "Divar refused the refresh token (" + clip(re.ErrorCode) + ": " + clip(re.ErrorDescription) + ")"}
		}
		cerr := exchangeError(err)
		if errors.Is(cerr, ErrClientRejected) {
			return nil, fmt.Errorf("%w: refreshing: %s", ErrClientRejected, cerr.Detail)
		}
		m.logger.LogAttrs(ctx, slog.LevelWarn, "consent: refresh failed", slog.String("user_id", user), slog.String("error", cerr.Error()))
		if m.usable(r) {
			return r.token(), nil // try again at the next call
		}
		return nil, fmt.Errorf("%w: refreshing: %s", ErrDivarUnavailable, cerr.Detail)
	}
	nr := recordOf(tok, m.now())
	if nr.Refresh == "" {
		nr.Refresh = r.Refresh
	}
	if nr.Scope == "" {
		nr.Scope = r.Scope
	}
	ns, err := m.seal(nr)
	if err != nil {
		return nil, err
	}
	ok, err := m.cfg.Tokens.Swap(xctx, user, sealed, ns, m.ttl(nr))
	if err != nil {
		return nil, &StoreError{Op: "swap", Err: err}
	}
	if !ok {
		// Deleted (access withdrawn) or replaced (a new consent) while
		// Divar answered: what is stored now wins.
		_, cur, err := m.load(xctx, user)
		if err != nil {
			return nil, err
		}
		return cur.token(), nil
	}
	m.logger.LogAttrs(ctx, slog.LevelInfo, "consent: token refreshed", slog.String("user_id", user))
	m.afterRefresh(user)
	return nr.token(), nil
}

// afterRefresh runs OnRefresh in the background with retries.
func (m *Manager) afterRefresh(user string) {
	if m.cfg.OnRefresh == nil {
		return
	}
	m.hooks.Add(1)
	go func() {
		defer m.hooks.Done()
		b := m.cfg.OnRefreshRetry
		wait := b.Initial
		for attempt := 1; ; attempt++ {
			err := m.cfg.OnRefresh(m.ctx, user, m.TokenSource(m.ctx, user))
			if err == nil {
				return
			}
			if attempt >= b.Attempts || m.ctx.Err() != nil {
				m.logger.LogAttrs(m.ctx, slog.LevelError, "consent: OnRefresh failed; giving up: the user's subscriptions may lapse",
					slog.String("user_id", user), slog.Int("attempt", attempt), slog.String("error", err.Error()))
				return
			}
			m.logger.LogAttrs(m.ctx, slog.LevelWarn, "consent: OnRefresh failed; retrying",
				slog.String("user_id", user), slog.Int("attempt", attempt), slog.Duration("retry_in", wait), slog.String("error", err.Error()))
			t := time.NewTimer(wait)
			select {
			case <-m.ctx.Done():
				t.Stop()
				m.logger.LogAttrs(m.ctx, slog.LevelError, "consent: OnRefresh abandoned at Close: the user's subscriptions may lapse",
					slog.String("user_id", user), slog.Int("attempt", attempt))
				return
			case <-t.C:
			}
			wait = min(2*wait, b.Max)
		}
	}()
}
