package sdk

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
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

// runWithin runs next with a context that ends at deadline. Its answer is
// held in memory; if the deadline passes first, the client gets a 503
// problem at once, the late answer is discarded when next returns, and
// the request is logged. next always returns before runWithin does, so the
// echo context and the request body are never used after the request.
func runWithin(c echo.Context, deadline time.Time, budget time.Duration, logger *slog.Logger, next echo.HandlerFunc) (err error) {
	req := c.Request()
	ctx, cancel := context.WithDeadline(req.Context(), deadline)
	defer cancel()
	c.SetRequest(req.WithContext(ctx))
	defer c.SetRequest(req)

	res := c.Response()
	w := held.Get().(*heldWriter)
	w.orig, w.route, w.head, w.budget, w.logger, w.logCtx = res.Writer, c.Path(), req.Method == http.MethodHead, budget, logger, req.Context()
	res.Writer = w
	w.timer.Reset(time.Until(deadline))
	finished := false
	defer func() {
		stopped := w.timer.Stop()
		if w.finish(ctx) {
			w.expire() // unless the timer already did
			res.Writer, res.Status, res.Committed = w.orig, http.StatusServiceUnavailable, true
			if finished {
				err = nil // the 503 was the answer
			}
			return // not recycled: the timer's call may still hold it
		}
		res.Writer = w.orig
		w.flush()
		if stopped { // else the timer's call has started: it finds done set, and w is left to it
			w.reset()
			held.Put(w)
		}
	}()
	err = next(c)
	finished = true
	return err
}

// heldWriter holds a handler's answer until the handler returns within its
// budget, or drops it. Its timer answers 503 at the deadline; it and the
// writer are recycled together.
type heldWriter struct {
	orig   http.ResponseWriter
	header http.Header
	status int
	body   bytes.Buffer
	timer  *time.Timer // calls expire

	// For expire, which may run after the request: nothing of the echo
	// context is read there.
	route  string
	head   bool
	budget time.Duration
	logger *slog.Logger
	logCtx context.Context

	mu   sync.Mutex
	done bool // the handler returned in time: the deadline writes nothing
	sent bool // the 503 was written
}

var held = sync.Pool{New: func() any {
	w := &heldWriter{header: http.Header{}}
	w.timer = time.AfterFunc(time.Hour, w.expire)
	w.timer.Stop()
	return w
}}

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

// expire logs and answers 503 on the original writer, unless the handler
// has already returned in time or the 503 was sent.
func (w *heldWriter) expire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || w.sent {
		return
	}
	w.sent = true
	p := NewProblem(http.StatusServiceUnavailable, "the add-on did not answer in time")
	p.RequestID = w.orig.Header().Get(echo.HeaderXRequestID)
	w.logger.LogAttrs(w.logCtx, slog.LevelWarn, "handler over its budget: answered 503; its answer will be discarded",
		slog.String("request_id", p.RequestID),
		slog.String("route", w.route),
		slog.Duration("budget", w.budget))
	b, _ := json.Marshal(p, json.Deterministic(true))
	h := w.orig.Header()
	h.Set(echo.HeaderContentType, ProblemContentType)
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
func (w *heldWriter) finish(ctx context.Context) (late bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sent || ctx.Err() == context.DeadlineExceeded {
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
	w.orig, w.logger, w.logCtx = nil, nil, nil
	clear(w.header)
	w.status = 0
	w.body.Reset()
	w.done, w.sent = false, false
}
