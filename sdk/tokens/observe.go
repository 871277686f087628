package tokens

import "context"

// Observer is told what a [Keeper] does with the grants: the hook through
// which sdk/metrics counts refreshes, their failures, re-consents and
// revocations, and sdk/tracing gives each refresh a span. It is never
// told a user id or a token. Set it in [Config.Observer].
type Observer interface {
	// ObserveRefresh is called when the Keeper asks Divar for a new pair;
	// the refresh runs in the context it returns, and done is called
	// once with why Divar gave no new pair, nil when it did.
	ObserveRefresh(ctx context.Context) (context.Context, func(failed error))
	// Reconsent is called each time a token source answers
	// [ErrReconsent]: the user must consent again.
	Reconsent(ctx context.Context)
	// Revoked is called when a user's withdrawal of access
	// ([Keeper.UserAccessRevocation]) has deleted their tokens.
	Revoked(ctx context.Context)
}
