package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/internal/expiry"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/labstack/echo/v4"
)

// Divar's budgets for an add-on's answers. Divar's standards
// (kenar-docs docs/misc/standards.md) ask for p99 under 500 ms and p999
// under 2 s on the user's click path, and count an error as 5 s.
const (
	// DefaultHandlerTimeout bounds a callback's handler (init callback,
	// dynamic action): the user is waiting for it.
	DefaultHandlerTimeout = 2 * time.Second
	// DefaultEventTimeout bounds an event webhook's handler: nobody waits
	// on it, but Divar counts anything slower as an error.
	DefaultEventTimeout = 5 * time.Second
)

// runWithin runs next with ctx, a context that ends at its deadline (its
// parent the request's context), as the context of a copy of the request
// made in with (the caller allocates it with ctx, so that the copy is not
// an allocation of its own). Its answer is held in memory; if the
// deadline passes first, the client gets a 503 problem at once (wt, the
// watch of the budget's duration, answers it), the late answer is
// discarded when next returns, and the request is logged, and *late, when
// late is not nil, is set. next always returns before runWithin does, so
// the echo context and the request body are never used after the request.
func runWithin(c echo.Context, ctx *budgetCtx, with *http.Request, wt *watch, logger *slog.Logger, late *bool, next echo.HandlerFunc) (err error) {
	req := c.Request()
	defer ctx.release()
	*with = *req.WithContext(ctx) // inlined: its own copy stays on the stack
	c.SetRequest(with)
	defer c.SetRequest(req)

	res := c.Response()
	w := held.Get().(*heldWriter)
	w.orig, w.ctx, w.route, w.head, w.budget, w.logger = res.Writer, ctx, c.Path(), req.Method == http.MethodHead, wt.budget, logger
	res.Writer = w
	wt.due.Add(&w.entry, w, ctx.deadline)
	finished := false
	defer func() {
		stopped := wt.due.Remove(&w.entry)
		if w.finish() {
			w.expire() // unless the watch already did
			if late != nil {
				*late = true
			}
			res.Writer, res.Status, res.Committed = w.orig, http.StatusServiceUnavailable, true
			if finished {
				err = nil // the 503 was the answer
			}
			return // not recycled: the watch may still hold it
		}
		res.Writer = w.orig
		w.flush()
		if stopped { // else the watch has taken w at its deadline: it finds done set, and w is left to it
			w.reset()
			held.Put(w)
		}
	}()
	err = next(c)
	finished = true
	return err
}

// budgetCtx is the handler's context: its parent's, with the deadline. It
// ends at the deadline, when the budget's [watch] cancels it, or when its
// parent ends (the client went away). It
// registers with its parent only once someone waits on Done, which a
// handler that answers at once never does.
type budgetCtx struct {
	context.Context // the parent, for Value
	deadline        time.Time

	mu         sync.Mutex
	done       chan struct{} // made on the first Done
	err        error         // DeadlineExceeded, or the parent's
	stopParent func() bool   // the registration with the parent, if any
}

func (c *budgetCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *budgetCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err == nil {
			c.err = c.Context.Err()
		}
		if c.err != nil {
			close(c.done)
		} else if c.Context.Done() != nil {
			c.stopParent = context.AfterFunc(c.Context, func() { c.cancel(c.Context.Err()) })
		}
	}
	return c.done
}

func (c *budgetCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = c.Context.Err()
		if c.err != nil && c.done != nil {
			close(c.done)
		}
	}
	return c.err
}

// cancel ends c with err, unless it has ended.
func (c *budgetCtx) cancel(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
}

// release drops the registration with the parent once the request is over
// (the parent then ends too: net/http cancels it).
func (c *budgetCtx) release() {
	c.mu.Lock()
	stop := c.stopParent
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

func (c *budgetCtx) String() string { return "sdk.budgetCtx" }

// watch answers 503 for the handlers over a budget of one duration: the
// requests in flight are on an expiry.Queue, one timer for the earliest
// deadline, which a request that starts or ends does not touch (the
// runtime's timer heap, and a wake-up of its poller, on every request).
type watch struct {
	budget time.Duration
	due    *expiry.Queue[*heldWriter] // expires with heldWriter.deadline
}

func newWatch(budget time.Duration) *watch {
	return &watch{budget: budget, due: expiry.NewQueue((*heldWriter).deadline)}
}

// heldWriter holds a handler's answer until the handler returns within its
// budget, or drops it. Its [watch] answers 503 at the deadline.
type heldWriter struct {
	orig   http.ResponseWriter
	header http.Header
	status int
	body   bytes.Buffer

	entry expiry.Entry[*heldWriter] // in flight on a watch

	// For expire, which may run after the request: nothing of the echo
	// context is read there.
	ctx    *budgetCtx // ended at the deadline
	route  string
	head   bool
	budget time.Duration
	logger *slog.Logger

	mu   sync.Mutex
	done bool // the handler returned in time: the deadline writes nothing
	sent bool // the 503 was written
}

var held = sync.Pool{New: func() any { return &heldWriter{header: http.Header{}} }}

func (w *heldWriter) Header() http.Header { return w.header }

func (w *heldWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *heldWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *heldWriter) Unwrap() http.ResponseWriter { return w.orig }

// deadline ends the handler's context and answers 503.
func (w *heldWriter) deadline() {
	w.ctx.cancel(context.DeadlineExceeded)
	w.expire()
}

// expire logs and answers 503 on the original writer, unless the handler
// has already returned in time or the 503 was sent.
func (w *heldWriter) expire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || w.sent {
		return
	}
	w.sent = true
	p := sdk.NewProblem(http.StatusServiceUnavailable, "the add-on did not answer in time")
	p.RequestID = firstValue(w.orig.Header(), echo.HeaderXRequestID)
	w.logger.LogAttrs(w.ctx.Context, slog.LevelWarn, "handler over its budget: answered 503; its answer will be discarded",
		slog.String("request_id", p.RequestID),
		slog.String("route", w.route),
		slog.Duration("budget", w.budget))
	b, _ := json.Marshal(p, json.Deterministic(true))
	h := w.orig.Header()
	h.Set(echo.HeaderContentType, sdk.ProblemContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	h.Set(echo.HeaderConnection, "close") // the handler still holds the connection
	w.orig.WriteHeader(http.StatusServiceUnavailable)
	if !w.head {
		_, _ = w.orig.Write(b)
	}
	_ = http.NewResponseController(w.orig).Flush()
}

// finish marks the handler as returned and reports whether it was late:
// the 503 was sent, or the deadline has passed.
func (w *heldWriter) finish() (late bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sent || !time.Now().Before(w.ctx.deadline) {
		return true
	}
	w.done = true
	return false
}

// flush writes the held answer to the original writer.
func (w *heldWriter) flush() {
	h := w.orig.Header()
	for k, v := range w.header {
		h[k] = v
	}
	if w.status == 0 {
		return // nothing written: the error handler answers
	}
	w.orig.WriteHeader(w.status)
	if w.body.Len() > 0 {
		_, _ = w.orig.Write(w.body.Bytes())
	}
}

func (w *heldWriter) reset() {
	w.orig, w.ctx, w.logger = nil, nil, nil
	clear(w.header)
	w.status = 0
	w.body.Reset()
	w.done, w.sent = false, false
}
