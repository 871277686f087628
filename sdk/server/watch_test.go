package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/internal/expiry"
)

// inFlight is a held answer due at deadline, answering on a recorder.
func inFlight(deadline time.Time) (*heldWriter, *httptest.ResponseRecorder) {
	rec := httptest.NewRecorder()
	return &heldWriter{
		header: http.Header{},
		orig:   rec,
		ctx:    &budgetCtx{Context: context.Background(), deadline: deadline},
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, rec
}

// TestWatchAnswersOnlyTheRequestsOverTheirBudget: when its queue fires,
// the watch answers 503 to each request whose deadline has passed, ends
// its context, and leaves the others in flight untouched. (The queue's
// order and its timer are internal/expiry's, tested there.)
func TestWatchAnswersOnlyTheRequestsOverTheirBudget(t *testing.T) {
	// The test fires the watch itself: it has no timer that could race it
	// for a request added past its deadline.
	wt := &watch{budget: time.Hour, due: expiry.NewManual(time.Now, (*heldWriter).deadline)}
	now := time.Now()
	over, overRec := inFlight(now.Add(-time.Second))
	ended, endedRec := inFlight(now.Add(-time.Millisecond))
	inTime, inTimeRec := inFlight(now.Add(time.Hour))
	for _, w := range []*heldWriter{over, ended, inTime} {
		wt.due.Add(&w.entry, w, w.ctx.deadline)
	}
	if !wt.due.Remove(&ended.entry) { // its handler returned before the timer fired
		t.Fatal("a request in flight could not be removed")
	}
	wt.due.Fire()
	if overRec.Code != http.StatusServiceUnavailable || !errors.Is(over.ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("over its budget: answered %d, context %v; want 503 and DeadlineExceeded", overRec.Code, over.ctx.Err())
	}
	if wt.due.Remove(&over.entry) {
		t.Error("a request answered 503 is still in flight")
	}
	for name, rec := range map[string]*httptest.ResponseRecorder{"ended before the timer": endedRec, "within its budget": inTimeRec} {
		if rec.Body.Len() != 0 || rec.Code != http.StatusOK || len(rec.Header()) != 0 {
			t.Errorf("%s: the watch wrote %d %v %q", name, rec.Code, rec.Header(), rec.Body)
		}
	}
	if inTime.ctx.Err() != nil || ended.ctx.Err() != nil {
		t.Errorf("not over their budget: contexts ended: %v, %v", inTime.ctx.Err(), ended.ctx.Err())
	}
	if !wt.due.Remove(&inTime.entry) {
		t.Error("within its budget: no longer in flight")
	}
}
