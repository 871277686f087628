package tokens

import (
	"context"

	"github.com/kenarkit/kenarkit/internal/observers"
)

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

// Observers returns an [Observer] that tells each of obs in turn (the
// metrics and the tracer); nil ones are skipped, and with none left it
// returns nil.
func Observers(obs ...Observer) Observer {
	return observers.Join(obs, func(all []Observer) Observer { return multiObserver(all) })
}

type multiObserver []Observer

func (m multiObserver) ObserveRefresh(ctx context.Context) (context.Context, func(error)) {
	dones := make([]func(error), len(m))
	for i, o := range m {
		ctx, dones[i] = o.ObserveRefresh(ctx)
	}
	return ctx, func(failed error) {
		for i := len(dones) - 1; i >= 0; i-- {
			dones[i](failed)
		}
	}
}

func (m multiObserver) Reconsent(ctx context.Context) {
	for _, o := range m {
		o.Reconsent(ctx)
	}
}

func (m multiObserver) Revoked(ctx context.Context) {
	for _, o := range m {
		o.Revoked(ctx)
	}
}
