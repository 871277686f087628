package divar

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/internal/expiry"
	"github.com/kenarkit/kenarkit/internal/testclock"
)

// testDeadlines is a client's deadlines on a clock the test moves, whose
// timer the test fires (d.due.Fire). How the one timer is set and which
// attempts it cuts short is internal/expiry's, tested there.
func testDeadlines(timeout time.Duration) (*deadlines, *testclock.Clock) {
	clock := testclock.New(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC))
	return &deadlines{timeout: timeout, due: expiry.NewManual(clock.Now, (*attemptCtx).timeUp)}, clock
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
		d, clock := testDeadlines(timeout)
		start := clock.Now()
		ctx, a := d.start(context.Background())
		if dl, ok := ctx.Deadline(); !ok || !dl.Equal(start.Add(timeout)) {
			t.Fatalf("Deadline() = %v, %v; want %v", dl, ok, start.Add(timeout))
		}
		clock.Advance(timeout)
		d.due.Fire()
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
	t.Run("an attempt ended in time says context.Canceled and is not cut short", func(t *testing.T) {
		d, clock := testDeadlines(timeout)
		ctx, a := d.start(context.Background())
		next, b := d.start(context.Background())
		d.end(a)
		clock.Advance(timeout)
		d.due.Fire()
		if err := ctx.Err(); err != context.Canceled {
			t.Errorf("the ended attempt's Err() = %v, want context.Canceled", err)
		}
		if err := context.Cause(ctx); err != context.Canceled {
			t.Errorf("the ended attempt's Cause = %v, want context.Canceled", err)
		}
		if next.Err() != context.DeadlineExceeded {
			t.Errorf("the attempt in flight: Err() = %v, want context.DeadlineExceeded", next.Err())
		}
		d.end(b)
	})
	t.Run("a call whose deadline comes first keeps its own", func(t *testing.T) {
		d, clock := testDeadlines(timeout)
		call, cancel := context.WithDeadline(context.Background(), clock.Now().Add(time.Minute))
		defer cancel()
		ctx, a := d.start(call)
		if _, armed := d.due.Armed(); ctx != call || a != nil || armed {
			t.Fatalf("got %v, %v, timer set %v; want the call's context alone", ctx, a, armed)
		}
		d.end(a)
	})
	t.Run("a call whose deadline comes later is cut at the attempt's", func(t *testing.T) {
		d, clock := testDeadlines(timeout)
		call, cancel := context.WithDeadline(context.Background(), clock.Now().Add(2*timeout))
		defer cancel()
		ctx, a := d.start(call)
		defer d.end(a)
		if dl, _ := ctx.Deadline(); !dl.Equal(clock.Now().Add(timeout)) {
			t.Fatalf("Deadline() = %v, want the attempt's %v", dl, clock.Now().Add(timeout))
		}
	})
	t.Run("the call's cancellation reaches the attempt", func(t *testing.T) {
		d, _ := testDeadlines(timeout)
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
// goroutines at once (go test -race): an attempt cancelled by the timer
// and ended by its call at the same time.
func TestAttemptDeadlinesConcurrently(t *testing.T) {
	d, clock := testDeadlines(5 * time.Millisecond)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				ctx, a := d.start(context.Background())
				clock.Advance(time.Millisecond)
				if err := ctx.Err(); err != nil && err != context.DeadlineExceeded {
					t.Errorf("an attempt in flight: Err() = %v", err)
				}
				d.end(a)
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			d.due.Fire()
		}
	})
	wg.Wait()
	clock.Advance(time.Hour)
	d.due.Fire()
	if _, armed := d.due.Armed(); armed {
		t.Fatal("attempts left in flight")
	}
}
