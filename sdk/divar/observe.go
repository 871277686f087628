package divar

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/kenarkit/kenarkit/gen/kenarapi"
)

// Observer is told of each call a [Client] makes to Divar: the hook
// through which sdk/metrics counts calls, retries and rate-limited waits,
// and sdk/tracing gives each call a span. Set it in [Config.Observer].
type Observer interface {
	// ObserveCall is called when a call starts (op is its operation in
	// api/kenar-api.yaml, "sendMessage", …; a request refused before it
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

// observe is call under the observer.
func (c *Client) observe(ctx context.Context, r request, send func(context.Context, ...kenarapi.RequestEditorFn) (*http.Response, error)) (*http.Response, error) {
	ctx, o := c.cfg.Observer.ObserveCall(ctx, r.op)
	rsp, err := c.send(ctx, r, send, o)
	status := 0
	var apiErr *APIError
	switch {
	case rsp != nil:
		status = rsp.StatusCode
	case errors.As(err, &apiErr):
		status = apiErr.StatusCode
	}
	o.Done(status, err)
	return rsp, err
}
