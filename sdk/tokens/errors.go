package tokens

import (
	"errors"
	"fmt"
)

// The errors package tokens reports. Compare with errors.Is; the texts may
// change. None of them ever carries a token, a code or the client secret.
var (
	// ErrConfig: a [Config] the [Keeper] cannot work with, or a call it
	// was not configured for ([Keeper.Owner] without API or Identify).
	ErrConfig = errors.New("tokens: bad configuration")
	// ErrReconsent: the add-on cannot act for the user until the user
	// consents again: no token is stored, the user revoked access, the
	// refresh token was refused (rotated, expired after 30 days, revoked),
	// or the access token expired and there is no refresh token (ask for
	// offline_access). The error is a [*ReconsentError].
	ErrReconsent = errors.New("tokens: the user must consent again")
	// ErrUnopenable: the stored token does not open with the session keys:
	// sealed with a key the [Config.Sealer] does not hold (the keys are
	// wrong, or one was dropped while tokens sealed with it live), altered,
	// copied from another user's key, or sealed before tokens were bound to
	// their user and not shown to be theirs. A configuration or integrity
	// error, not the user's: the value is kept, not used, and logged at
	// error level; fix the keys and it opens again. The error is an
	// [*UnopenableError]; [Keeper.Ready] reports wrong keys.
	ErrUnopenable = errors.New("tokens: the stored token does not open with the session keys")
	// ErrRefreshRefused: Divar refused (invalid_grant) a stored refresh
	// token that may not be the user's current one: the store failed since
	// it was saved, so a pair rotated meanwhile may still be being written.
	// The token is kept; the add-on cannot act for the user now, and may
	// have to ask consent again if no newer pair is saved.
	ErrRefreshRefused = errors.New("tokens: Divar refused a refresh token read after a store failure")
	// ErrStoreUnavailable: the token store failed: Redis down, say. The
	// error is a [*StoreError]; retry later.
	ErrStoreUnavailable = errors.New("tokens: token store unavailable")
	// ErrDivarUnavailable: Divar's token endpoint could not be reached, timed
	// out or answered 5xx or 429; retry later.
	ErrDivarUnavailable = errors.New("tokens: Divar's OAuth server is unavailable")
	// ErrClientRejected: Divar refused the add-on's own credentials
	// (invalid_client, unauthorized_client): the client id, the secret or
	// the redirect address registered in the Kenar panel is wrong.
	ErrClientRejected = errors.New("tokens: Divar refused the add-on's OAuth client credentials")
	// ErrGrantRefused: Divar refused the grant [Keeper.Exchange] offered
	// (invalid_grant): the code expired, was used, or was issued to
	// another client or redirect address.
	ErrGrantRefused = errors.New("tokens: Divar refused the grant")

	// ErrLocked: [Store.Lock] of a user another replica holds.
	ErrLocked = errors.New("tokens: the user's tokens are locked by another refresh")
	// ErrNoToken: [Store.Get] of a user with no token stored.
	ErrNoToken = errors.New("tokens: no token stored for the user")
)

// ReconsentError is [ErrReconsent] for one user, with the reason.
type ReconsentError struct {
	UserID string
	Reason string
}

func (e *ReconsentError) Error() string {
	return fmt.Sprintf("tokens: user %q must consent again: %s", e.UserID, e.Reason)
}

// Is makes errors.Is(err, ErrReconsent) true.
func (e *ReconsentError) Is(target error) bool { return target == ErrReconsent }

// UnopenableError is [ErrUnopenable] for one user: Reason says why (no
// token in it). UnknownKey: the token was sealed with a key the Sealer
// does not hold, what wrong session keys look like.
type UnopenableError struct {
	UserID     string
	Reason     string
	UnknownKey bool
}

func (e *UnopenableError) Error() string {
	return fmt.Sprintf("tokens: the stored token of user %q does not open: %s; kept, not used", e.UserID, e.Reason)
}

// Is makes errors.Is(err, ErrUnopenable) true.
func (e *UnopenableError) Is(target error) bool { return target == ErrUnopenable }

// StoreError is [ErrStoreUnavailable]: Op failed with Err.
type StoreError struct {
	Op  string
	Err error
}

func (e *StoreError) Error() string { return fmt.Sprintf("tokens: token store: %s: %v", e.Op, e.Err) }

// Unwrap returns Err.
func (e *StoreError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrStoreUnavailable) true.
func (e *StoreError) Is(target error) bool { return target == ErrStoreUnavailable }
