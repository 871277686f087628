package consent

import "context"

// Observer is told of the consents a [Manager] asks for and of how each
// redirect back ended: the hook through which sdk/metrics counts consents
// started, granted, declined and refused. It is never told a user id, a
// code or a state. Set it in [Config.Observer].
type Observer interface {
	// ConsentStarted is called each time [Manager.AuthCodeURL] (or
	// [Manager.Redirect]) sends a user to Divar's consent page.
	ConsentStarted(ctx context.Context)
	// ConsentEnded is called once for each redirect back: err is nil when
	// the grant was stored and answered; errors.Is(err, [ErrDenied]) when
	// the user declined; else why the redirect was refused.
	ConsentEnded(ctx context.Context, err *CallbackError)
}
