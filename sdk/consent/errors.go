package consent

import (
	"errors"
)

// The errors package consent reports. Compare with errors.Is; the texts may
// change. None of them ever carries a token, a code or the client secret.
var (
	// ErrConfig: a [Config] the [Manager] cannot work with.
	ErrConfig = errors.New("consent: bad configuration")
	// ErrBadScope: a scope Divar would misread: an empty name, or an object
	// id with a character outside letters, digits, '-' and '_'.
	ErrBadScope = errors.New("consent: bad scope")

	// ErrStoreUnavailable: a store failed as a consent came back: the
	// used states, or the token store the grant is saved in (Redis down,
	// say); retry later.
	ErrStoreUnavailable = errors.New("consent: a store is unavailable")

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
	// no one, or the Manager has no way to ask (the Keeper has neither
	// API nor Identify). The grant is not stored.
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

// CallbackError is why the redirect handler did not complete a consent:
// Err is one of the sentinels above, or tokens.ErrDivarUnavailable or
// tokens.ErrClientRejected (errors.Is works through it), Status
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
