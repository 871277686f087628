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

func order(wt *watch) []time.Time {
	var out []time.Time
	for w := wt.head; w != nil; w = w.next {
		out = append(out, w.ctx.deadline)
		if w.next == nil && wt.tail != w {
			panic("the tail is not the last")
		}
	}
	return out
}

// TestWatchKeepsTheEarliestDeadlineFirst: requests that reach the watch
// out of the order of their deadlines are kept in it; one taken out leaves
// the others in order.
func TestWatchKeepsTheEarliestDeadlineFirst(t *testing.T) {
	base := time.Now().Add(time.Hour)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	wt := newWatch(time.Hour)
	defer wt.timer.Stop()
	var ws []*heldWriter
	for _, s := range []int{3, 1, 2, 4, 0} {
		w, _ := inFlight(at(s))
		wt.add(w)
		ws = append(ws, w)
	}
	want := []time.Time{at(0), at(1), at(2), at(3), at(4)}
	if got := order(wt); !equalTimes(got, want) {
		t.Fatalf("in flight %v, want %v", got, want)
	}
	if !wt.armed.Equal(at(0)) {
		t.Errorf("timer set for %v, want the earliest %v", wt.armed, at(0))
	}
	if !wt.remove(ws[2]) || wt.remove(ws[2]) {
		t.Fatal("remove: want true once, then false")
	}
	if got, want := order(wt), []time.Time{at(0), at(1), at(3), at(4)}; !equalTimes(got, want) {
		t.Fatalf("after a remove %v, want %v", got, want)
	}
	for _, w := range ws {
		wt.remove(w)
	}
	if wt.head != nil || wt.tail != nil {
		t.Fatal("the watch is not empty once every request is out")
	}
}

// TestWatchAnswersOnlyTheRequestsOverTheirBudget: at its timer, the watch
// answers 503 to each request whose deadline has passed, ends its context,
// leaves the others in flight untouched, and sets the timer for the next.
func TestWatchAnswersOnlyTheRequestsOverTheirBudget(t *testing.T) {
	wt := newWatch(time.Hour)
	// The test fires the watch itself: its timer, set at once by a request
	// already past its deadline, would race it for that request.
	wt.timer = time.AfterFunc(time.Hour, func() {})
	defer wt.timer.Stop()
	now := time.Now()
	over, overRec := inFlight(now.Add(-time.Second))
	ended, endedRec := inFlight(now.Add(-time.Millisecond))
	inTime, inTimeRec := inFlight(now.Add(time.Hour))
	wt.add(over)
	wt.add(ended)
	wt.add(inTime)
	if !wt.remove(ended) { // its handler returned before the timer fired
		t.Fatal("a request in flight could not be removed")
	}
	wt.fire()
	if overRec.Code != http.StatusServiceUnavailable || !errors.Is(over.ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("over its budget: answered %d, context %v; want 503 and DeadlineExceeded", overRec.Code, over.ctx.Err())
	}
	if wt.remove(over) {
		t.Error("a request answered 503 is still in flight")
	}
	for name, rec := range map[string]*httptest.ResponseRecorder{"ended before the timer": endedRec, "within its budget": inTimeRec} {
		if rec.Body.Len() != 0 || rec.Code != http.StatusOK || len(rec.Header()) != 0 {
			t.Errorf("%s: the watch wrote %d %v %q", name, rec.Code, rec.Header(), rec.Body)
		}
	}
	if inTime.ctx.Err() != nil {
		t.Errorf("within its budget: context ended: %v", inTime.ctx.Err())
	}
	if !wt.armed.Equal(inTime.ctx.deadline) {
		t.Errorf("timer set for %v, want the deadline left %v", wt.armed, inTime.ctx.deadline)
	}
	if !wt.remove(inTime) {
		t.Error("within its budget: no longer in flight")
	}
}

func equalTimes(a, b []time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
