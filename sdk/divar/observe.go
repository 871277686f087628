package divar

import (
	"context"
	"net/http"
	"time"

	"github.com/kenarkit/kenarkit/internal/observers"
)

// Observer is told of each call a [Client] makes to Divar: the hook
// through which sdk/metrics counts calls, retries and rate-limited waits,
// and sdk/tracing gives each call a span. Set it in [Config.Observer].
type Observer interface {
	// ObserveCall is called when a call starts (op is its operationId in Divar's
	// description, "ChatAPI_ConversationSendMessage", …; a request refused before it
	// is sent is not a call). The context it returns is the one the call
	// is made in; the CallObserver is told what follows.
	ObserveCall(ctx context.Context, op string) (context.Context, CallObserver)
}

// CallObserver is told of one call to Divar.
type CallObserver interface {
	// Sending is called before each attempt is sent, with its headers: a
	// tracer adds its trace context (W3C traceparent) there. It must not
	// read or log the others (they carry the API key and the user's
	// token).
	Sending(ctx context.Context, h http.Header)
	// Retrying is called before the call waits to be sent again: after
	// an answer with that status (429 when Divar limits the rate), or 0
	// when none came (a connection lost or never made, a timeout).
	Retrying(status int, wait time.Duration)
	// Done is called once when the call is over, with the status of
	// Divar's last answer (0 when none came) and the call's error.
	Done(status int, err error)
}

// Observers returns an [Observer] that tells each of obs in turn (the
// metrics and the tracer); nil ones are skipped, and with none left it
// returns nil.
func Observers(obs ...Observer) Observer {
	return observers.Join(obs, func(all []Observer) Observer { return multiObserver(all) })
}

type multiObserver []Observer

func (m multiObserver) ObserveCall(ctx context.Context, op string) (context.Context, CallObserver) {
	calls := make(multiCall, len(m))
	for i, o := range m {
		ctx, calls[i] = o.ObserveCall(ctx, op)
	}
	return ctx, calls
}

type multiCall []CallObserver

func (m multiCall) Sending(ctx context.Context, h http.Header) {
	for _, c := range m {
		c.Sending(ctx, h)
	}
}

func (m multiCall) Retrying(status int, wait time.Duration) {
	for _, c := range m {
		c.Retrying(status, wait)
	}
}

func (m multiCall) Done(status int, err error) {
	for i := len(m) - 1; i >= 0; i-- {
		m[i].Done(status, err)
	}
}
