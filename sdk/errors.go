package sdk

import "errors"

// The errors kenarkit reports. Compare with errors.Is; the texts may change.
var (
	// ErrNoKey: a request carries no identification key in Authorization.
	ErrNoKey = errors.New("sdk: no identification key in the Authorization header")
	// ErrWrongKey: a request's identification key is not one of the add-on's.
	ErrWrongKey = errors.New("sdk: the identification key is not one of the add-on's keys")
	// ErrNoKeys: a server or middleware was configured with no identification
	// key, or an empty one. It refuses to start rather than accept anyone.
	ErrNoKeys = errors.New("sdk: no identification key configured (set the add-on's key from the Kenar panel)")
	// ErrInvalidAnswer: an action or an answer that Divar would reject.
	ErrInvalidAnswer = errors.New("sdk: answer Divar would reject")

	// ErrTokenInvalid: a session token that a [Sealer] did not make with one
	// of its keys, or that was altered, truncated or is empty.
	ErrTokenInvalid = errors.New("sdk: invalid session token")
	// ErrTokenExpired: a genuine session token whose TTL has passed.
	ErrTokenExpired = errors.New("sdk: session token expired")
	// ErrTokenTooLong: the value to seal makes a token over [MaxTokenLength].
	ErrTokenTooLong = errors.New("sdk: session token would be too long for a URL")
	// ErrSealerKey: a [Sealer] key of the wrong size or encoding.
	ErrSealerKey = errors.New("sdk: bad session key")

	// ErrDuplicateEvent: [Deduper.Claim] of an event already handled.
	ErrDuplicateEvent = errors.New("sdk: event already handled")
	// ErrEventInProgress: [Deduper.Claim] of an event another delivery is
	// handling now.
	ErrEventInProgress = errors.New("sdk: event being handled by another delivery")
	// ErrLeaseLost: a [Lease] committed after its claim lapsed and another
	// delivery claimed the event; the event may have been handled twice.
	ErrLeaseLost = errors.New("sdk: event claim lapsed before commit")
)
