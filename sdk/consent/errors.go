package consent

import (
	"errors"
	"fmt"
)

// The errors package consent reports. Compare with errors.Is; the texts may
// change. None of them ever carries a token, a code or the client secret.
var (
	// ErrConfig: a [Config] the [Manager] cannot work with.
	ErrConfig = errors.New("consent: bad configuration")
	// ErrBadScope: a scope Divar would misread: an empty name, or an object
	// id with a character outside letters, digits, '-' and '_'.
	ErrBadScope = errors.New("consent: bad scope")

	// ErrReconsent: the add-on cannot act for the user until the user
	// consents again: no token is stored, the user revoked access, the
	// refresh token was refused (rotated, expired after 30 days, revoked),
	// or the access token expired and there is no refresh token (ask for
	// [OfflineAccess]). The error is a [*ReconsentError].
	ErrReconsent = errors.New("consent: the user must consent again")
	// ErrUnopenable: the stored token does not open with the session keys:
	// sealed with a key the [Config.Sealer] does not hold (the keys are
	// wrong, or one was dropped while tokens sealed with it live), altered,
	// copied from another user's key, or sealed before tokens were bound to
	// their user and not shown to be theirs. A configuration or integrity
	// error, not the user's: the value is kept, not used, and logged at
	// error level; fix the keys and it opens again. The error is an
	// [*UnopenableError]; [Manager.Ready] reports wrong keys.
	ErrUnopenable = errors.New("consent: the stored token does not open with the session keys")
	// ErrRefreshRefused: Divar refused (invalid_grant) a stored refresh
	// token that may not be the user's current one: the store failed since
	// it was saved, so a pair rotated meanwhile may still be being written.
	// The token is kept; the add-on cannot act for the user now, and may
	// have to ask consent again if no newer pair is saved.
	ErrRefreshRefused = errors.New("consent: Divar refused a refresh token read after a store failure")
	// ErrStoreUnavailable: the token store (or the used-state store) failed:
	// Redis down, say. The error is a [*StoreError]; retry later.
	ErrStoreUnavailable = errors.New("consent: token store unavailable")
	// ErrDivarUnavailable: Divar's token endpoint could not be reached, timed
	// out or answered 5xx; retry later.
	ErrDivarUnavailable = errors.New("consent: Divar's OAuth server is unavailable")
	// ErrClientRejected: Divar refused the add-on's own credentials
	// (invalid_client, unauthorized_client): the client id, the secret or
	// the redirect address registered in the Kenar panel is wrong.
	ErrClientRejected = errors.New("consent: Divar refused the add-on's OAuth client credentials")

	// ErrLocked: [TokenStore.Lock] of a user another replica holds.
	ErrLocked = errors.New("consent: the user's tokens are locked by another refresh")
	// ErrNoToken: [TokenStore.Get] of a user with no token stored.
	ErrNoToken = errors.New("consent: no token stored for the user")
	// ErrStateUsed: [UsedStates.Use] of a state already used.
	ErrStateUsed = errors.New("consent: state already used")

	// The redirect handler's verdicts, each in a [*CallbackError].

	// ErrDenied: the user declined (error=access_denied).
	ErrDenied = errors.New("consent: the user declined")
	// ErrDivarRefused: Divar answered the redirect with an error other than
	// access_denied (invalid_scope, invalid_request, server_error, ...).
	ErrDivarRefused = errors.New("consent: Divar refused the consent request")
	// ErrStateInvalid: no state, or one this add-on did not seal.
	ErrStateInvalid = errors.New("consent: invalid state")
	// ErrStateExpired: a genuine state older than [Config.StateTTL].
	ErrStateExpired = errors.New("consent: state expired")
	// ErrStateReplayed: a state that already came back once.
	ErrStateReplayed = errors.New("consent: state replayed")
	// ErrStateForeign: a state sealed for another browser: the consent
	// cookie is missing or does not match (a CSRF attempt, or cookies off).
	ErrStateForeign = errors.New("consent: state started in another browser")
	// ErrCodeRejected: Divar refused the code (invalid_grant): expired,
	// already used, or issued to another client or redirect address.
	ErrCodeRejected = errors.New("consent: Divar refused the authorization code")
	// ErrNoCode: a redirect with neither a code nor an error.
	ErrNoCode = errors.New("consent: no authorization code in the redirect")
	// ErrNoUser: Divar could not say who granted: asking it failed or named
	// no one, or the Manager has no way to ask (neither [Config.API] nor
	// [Config.Identify] is set). The grant is not stored.
	ErrNoUser = errors.New("consent: no user id for the grant")
	// ErrWrongUser: the user who granted is not the one the consent was
	// asked for (a landing link forwarded to, or opened by, another Divar
	// account). The grant is not stored.
	ErrWrongUser = errors.New("consent: the consent was granted by another user than the one it was asked for")
	// ErrTooManyStates: [UsedStates] holds as many states as it may
	// ([DefaultMaxStates] unless configured) and refuses another until
	// some expire; the redirect is answered 429 with Retry-After.
	ErrTooManyStates = errors.New("consent: too many consents pending")
	// ErrGrantHandler: [Config.OnGrant] failed after the token was stored.
	ErrGrantHandler = errors.New("consent: the add-on could not finish after consent")
)

// ReconsentError is [ErrReconsent] for one user, with the reason.
type ReconsentError struct {
	UserID string
	Reason string
}

func (e *ReconsentError) Error() string {
	return fmt.Sprintf("consent: user %q must consent again: %s", e.UserID, e.Reason)
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
	return fmt.Sprintf("consent: the stored token of user %q does not open: %s; kept, not used", e.UserID, e.Reason)
}

// Is makes errors.Is(err, ErrUnopenable) true.
func (e *UnopenableError) Is(target error) bool { return target == ErrUnopenable }

// StoreError is [ErrStoreUnavailable]: Op failed with Err.
type StoreError struct {
	Op  string
	Err error
}

func (e *StoreError) Error() string { return fmt.Sprintf("consent: token store: %s: %v", e.Op, e.Err) }

// Unwrap returns Err.
func (e *StoreError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrStoreUnavailable) true.
func (e *StoreError) Is(target error) bool { return target == ErrStoreUnavailable }

// CallbackError is why the redirect handler did not complete a consent:
// Err is one of the sentinels above (errors.Is works through it), Status
// the HTTP status the page is answered with. Detail is for the log: it
// names Divar's error code and description, never a token or a code.
type CallbackError struct {
	Err    error
	Status int
	Detail string
}

func (e *CallbackError) Error() string {
	if e.Detail == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Detail
}

// Unwrap returns Err.
func (e *CallbackError) Unwrap() error { return e.Err }
