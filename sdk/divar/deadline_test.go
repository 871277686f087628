package divar

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/internal/testclock"
)

// testDeadlines is a client's deadlines on a clock the test moves, whose
// timer only records what it was set to: the test fires it.
func testDeadlines(timeout time.Duration) (*deadlines, *testclock.Clock, *[]time.Duration) {
	clock := testclock.New(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC))
	d := newDeadlines(timeout)
	d.now = clock.Now
	var set []time.Duration
	d.arm = func(after time.Duration) { set = append(set, after) }
	return d, clock, &set
}

func done(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

// Each attempt is bounded by the timeout as by context.WithTimeout, with
// the client's one timer.
func TestAttemptDeadlines(t *testing.T) {
	const timeout = time.Hour
	t.Run("an attempt past its deadline is cancelled as by a timeout", func(t *testing.T) {
		d, clock, _ := testDeadlines(timeout)
		start := clock.Now()
		ctx, a := d.start(context.Background())
		if dl, ok := ctx.Deadline(); !ok || !dl.Equal(start.Add(timeout)) {
			t.Fatalf("Deadline() = %v, %v; want %v", dl, ok, start.Add(timeout))
		}
		clock.Advance(timeout)
		d.fire()
		if !done(ctx) {
			t.Fatal("not cancelled at its deadline")
		}
		if err := ctx.Err(); err != context.DeadlineExceeded {
			t.Errorf("Err() = %v, want context.DeadlineExceeded", err)
		}
		if err := context.Cause(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Cause = %v", err)
		}
		d.end(a) // after the deadline: harmless
		if err := ctx.Err(); err != context.DeadlineExceeded {
			t.Errorf("after end, Err() = %v", err)
		}
	})
	t.Run("the timer is set once for attempts made while it is set", func(t *testing.T) {
		d, clock, set := testDeadlines(timeout)
		for range 1000 {
			_, a := d.start(context.Background())
			clock.Advance(time.Millisecond)
			d.end(a)
		}
		if len(*set) != 1 || (*set)[0] != timeout {
			t.Fatalf("timer set to %v, want once to %v", *set, timeout)
		}
	})
	t.Run("a firing before the first deadline cancels nothing and sets the timer for it", func(t *testing.T) {
		d, clock, set := testDeadlines(timeout)
		_, early := d.start(context.Background())
		d.end(early) // the timer stays set for early's deadline
		clock.Advance(timeout / 4)
		late, a := d.start(context.Background())
		clock.Advance(timeout * 3 / 4) // early's deadline: late has a quarter left
		d.fire()
		if done(late) {
			t.Fatal("cancelled before its deadline")
		}
		if len(*set) != 2 || (*set)[1] != timeout/4 {
			t.Fatalf("timer set to %v, want %v then %v", *set, timeout, timeout/4)
		}
		clock.Advance(timeout / 4)
		d.fire()
		if late.Err() != context.DeadlineExceeded {
			t.Fatalf("Err() = %v at its deadline", late.Err())
		}
		d.end(a)
	})
	t.Run("after a firing with nothing in flight the next attempt sets the timer again", func(t *testing.T) {
		d, clock, set := testDeadlines(timeout)
		_, a := d.start(context.Background())
		d.end(a)
		clock.Advance(timeout)
		d.fire()
		_, b := d.start(context.Background())
		defer d.end(b)
		if len(*set) != 2 {
			t.Fatalf("timer set to %v, want twice", *set)
		}
	})
	t.Run("only the attempts past their deadline are cancelled, in order", func(t *testing.T) {
		d, clock, _ := testDeadlines(timeout)
		var ctxs []context.Context
		var as []*attemptCtx
		for range 3 {
			ctx, a := d.start(context.Background())
			ctxs, as = append(ctxs, ctx), append(as, a)
			clock.Advance(time.Minute)
		}
		d.end(as[1]) // the middle one ends first
		clock.Advance(timeout - 2*time.Minute)
		d.fire() // the first is due, the third a minute later
		if !done(ctxs[0]) || done(ctxs[2]) {
			t.Fatalf("first done %v, third done %v", done(ctxs[0]), done(ctxs[2]))
		}
		if ctxs[1].Err() != context.Canceled {
			t.Errorf("the ended attempt's Err() = %v, want context.Canceled", ctxs[1].Err())
		}
		d.end(as[2])
		if d.first != nil || d.last != nil {
			t.Error("attempts left in flight")
		}
	})
	t.Run("a call whose deadline comes first keeps its own", func(t *testing.T) {
		d, clock, set := testDeadlines(timeout)
		call, cancel := context.WithDeadline(context.Background(), clock.Now().Add(time.Minute))
		defer cancel()
		ctx, a := d.start(call)
		if ctx != call || a != nil || len(*set) != 0 {
			t.Fatalf("got %v, %v, timer %v; want the call's context alone", ctx, a, *set)
		}
		d.end(a)
	})
	t.Run("the call's cancellation reaches the attempt", func(t *testing.T) {
		d, _, _ := testDeadlines(timeout)
		call, cancel := context.WithCancel(context.Background())
		ctx, a := d.start(call)
		defer d.end(a)
		cancel()
		if !done(ctx) || ctx.Err() != context.Canceled {
			t.Fatalf("Err() = %v after the call was cancelled", ctx.Err())
		}
	})
}

// Attempts started, ended and cut short by the timer from many
// goroutines at once (go test -race).
func TestAttemptDeadlinesConcurrently(t *testing.T) {
	d, clock, _ := testDeadlines(time.Second)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				ctx, a := d.start(context.Background())
				if ctx.Err() == nil {
					clock.Advance(time.Millisecond)
				}
				d.end(a)
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			d.mu.Lock()
			armed := d.armed
			d.mu.Unlock()
			if armed {
				d.fire()
			}
		}
	})
	wg.Wait()
	d.fire()
	if d.first != nil || d.last != nil {
		t.Fatal("attempts left in flight")
	}
}
