package dedupetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/dedupe"
)

// StateMachine checks each transition of the state machine on a fresh
// store from newStore.
func StateMachine(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	claim := func(t *testing.T, s Store, key string) dedupe.Lease {
		t.Helper()
		l, err := s.Deduper.Claim(ctx, key)
		if err != nil {
			t.Fatalf("claim %s: %v", key, err)
		}
		return l
	}
	must := func(t *testing.T, what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s Store) // leaves key "a" in the state that want describes
		want error                       // what claiming "a" then gives
	}{
		{"a new event is claimed", func(*testing.T, Store) {}, nil},
		{"a claimed event is in progress", func(t *testing.T, s Store) { claim(t, s, "a") }, dedupe.ErrInProgress},
		{"a started event within its lease is in progress", func(t *testing.T, s Store) {
			must(t, "start", claim(t, s, "a").Start(ctx))
		}, dedupe.ErrInProgress},
		{"a started event whose lease lapsed is unfinished", func(t *testing.T, s Store) {
			must(t, "start", claim(t, s, "a").Start(ctx))
			s.Lapse(t)
		}, dedupe.ErrUnfinished},
		{"a committed event is a duplicate", func(t *testing.T, s Store) {
			must(t, "commit", claim(t, s, "a").Commit(ctx))
			s.Lapse(t)
		}, dedupe.ErrDuplicate},
		{"a started then committed event is a duplicate", func(t *testing.T, s Store) {
			l := claim(t, s, "a")
			must(t, "start", l.Start(ctx))
			must(t, "start again", l.Start(ctx))
			must(t, "commit", l.Commit(ctx))
			s.Lapse(t)
		}, dedupe.ErrDuplicate},
		{"a started event is committed after its lease lapsed", func(t *testing.T, s Store) {
			l := claim(t, s, "a")
			must(t, "start", l.Start(ctx))
			s.Lapse(t)
			must(t, "commit", l.Commit(ctx))
		}, dedupe.ErrDuplicate},
		{"a released event is claimed again", func(t *testing.T, s Store) {
			must(t, "release", claim(t, s, "a").Release(ctx))
		}, nil},
		{"a started event released (nothing was sent) is claimed again", func(t *testing.T, s Store) {
			l := claim(t, s, "a")
			must(t, "start", l.Start(ctx))
			must(t, "release", l.Release(ctx))
		}, nil},
		{"a lapsed claim is claimed again, and the old lease cannot start, commit or release it", func(t *testing.T, s Store) {
			old := claim(t, s, "a")
			s.Lapse(t)
			claim(t, s, "a")
			if err := old.Start(ctx); !errors.Is(err, dedupe.ErrLeaseLost) {
				t.Errorf("the old lease's start: %v, want ErrLeaseLost", err)
			}
			if err := old.Commit(ctx); !errors.Is(err, dedupe.ErrLeaseLost) {
				t.Errorf("the old lease's commit: %v, want ErrLeaseLost", err)
			}
			_ = old.Release(ctx)
		}, dedupe.ErrInProgress},
		{"other events are not touched", func(t *testing.T, s Store) {
			must(t, "commit b", claim(t, s, "b").Commit(ctx))
			must(t, "start c", claim(t, s, "c").Start(ctx))
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			tc.run(t, s)
			_, err := s.Deduper.Claim(ctx, "a")
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("claim: %v, want %v", err, tc.want)
			}
		})
	}
}

// The outcomes of a step in the tests.
var (
	errRefused = dedupe.NotSent(errors.New("dedupetest: refused, not sent (as a 429)"))
	errUnknown = errors.New("dedupetest: no answer (as a 5xx or a lost connection)")
	errHandler = errors.New("dedupetest: the handler failed after its step")
)

// event is one event's deliveries through dedupe.Run, counting its steps.
type event struct {
	d         dedupe.Deduper
	outcomes  []error // what each call of the step returns, in turn; nil: made
	atLeast   bool    // the handler opts into at least once
	failAfter bool    // the handler fails after its step
	calls     int     // the step was called
	made      int     // the step was made (returned nil)
}

func (e *event) deliver(ctx context.Context) error {
	return dedupe.Run(ctx, e.d, "EVENT:1", func(ctx context.Context) error {
		if e.atLeast {
			ctx = dedupe.AtLeastOnce(ctx)
		}
		err := dedupe.Once(ctx, func(context.Context) error {
			e.calls++
			var err error
			if len(e.outcomes) > 0 {
				err, e.outcomes = e.outcomes[0], e.outcomes[1:]
			}
			if err == nil {
				e.made++
			}
			return err
		})
		if err == nil && e.failAfter {
			return errHandler
		}
		return err
	})
}

// redeliver delivers e as Divar would until it is acknowledged (nil,
// ErrDuplicate, ErrUnfinished): again after a failure, after a lapse of
// the leases after a 409. It returns the acknowledgement.
func (e *event) redeliver(t *testing.T, s Store) error {
	t.Helper()
	for range 8 {
		err := e.deliver(context.Background())
		switch {
		case err == nil, errors.Is(err, dedupe.ErrDuplicate), errors.Is(err, dedupe.ErrUnfinished):
			return err
		case errors.Is(err, dedupe.ErrInProgress):
			s.Lapse(t)
		}
	}
	t.Fatal("the event was never acknowledged")
	return nil
}

// answer names what event.Mux answers for Run's error.
func answer(err error) string {
	switch {
	case err == nil, errors.Is(err, dedupe.ErrDuplicate):
		return "200"
	case errors.Is(err, dedupe.ErrUnfinished):
		return "200 unfinished"
	case errors.Is(err, dedupe.ErrInProgress):
		return "409"
	}
	return "500"
}

// Deliveries checks dedupe.Run and dedupe.Once on the store: each event
// is delivered, then delivered again until acknowledged, and the step is
// made at most once (more only under AtLeastOnce).
func Deliveries(t *testing.T, newStore func(t *testing.T) Store) {
	for _, tc := range []struct {
		name        string
		event       event
		first, last string // the first and the final answers
		calls, made int
	}{
		{"a step made: made once", event{}, "200", "200", 1, 1},
		{"a step refused, not sent: the next delivery makes it", event{outcomes: []error{errRefused}}, "500", "200", 2, 1},
		{"a step of unknown outcome: acknowledged, reported, never made again", event{outcomes: []error{errUnknown}}, "200 unfinished", "200 unfinished", 1, 0},
		{"a step made, then the handler failed: not made again", event{failAfter: true}, "200 unfinished", "200 unfinished", 1, 1},
		{"at least once: a step of unknown outcome is made again", event{atLeast: true, outcomes: []error{errUnknown}}, "500", "200", 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			e := tc.event
			e.d = s.Deduper
			if got := answer(e.deliver(context.Background())); got != tc.first {
				t.Errorf("the first delivery is answered %s, want %s", got, tc.first)
			}
			if got := answer(e.redeliver(t, s)); got != tc.last {
				t.Errorf("the redelivery is answered %s, want %s", got, tc.last)
			}
			if e.calls != tc.calls || e.made != tc.made {
				t.Errorf("the step was called %d times and made %d, want %d and %d", e.calls, e.made, tc.calls, tc.made)
			}
		})
	}

	t.Run("a step after the handler returned is not made", func(t *testing.T) {
		s := newStore(t)
		var late context.Context
		if err := dedupe.Run(context.Background(), s.Deduper, "EVENT:2", func(ctx context.Context) error {
			late = ctx
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		err := dedupe.Once(late, func(context.Context) error {
			t.Error("the step was made")
			return nil
		})
		if !errors.Is(err, dedupe.ErrNotSent) {
			t.Errorf("Once after the handler: %v, want ErrNotSent", err)
		}
	})
}

// Outages kills the store at each point between two steps of a first
// delivery, brings it back, and delivers the event again as Divar would
// until it is acknowledged: the step is made at most once in every case,
// and exactly once where the store died before it was started.
func Outages(t *testing.T, newStore func(t *testing.T) Store) {
	for _, tc := range []struct {
		at          Point
		refused     bool   // the first step is refused, not sent
		first, last string // the answers to the first delivery, and the final one
		made        int
	}{
		{BeforeClaim, false, "500", "200", 1},
		{AfterClaim, false, "500", "200", 1},
		{AfterStart, false, "200 unfinished", "200 unfinished", 1},
		{BeforeCommit, false, "200 unfinished", "200 unfinished", 1},
		{AfterCommit, false, "200", "200", 1},
		// The start cannot be undone while the store is down: the event
		// stays started, is reported, and the step is never made.
		{BeforeRelease, true, "500", "200 unfinished", 0},
	} {
		name := fmt.Sprintf("the store dies %s", tc.at)
		if tc.refused {
			name += " (the step refused, not sent)"
		}
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			if s.Kill == nil {
				t.Skip("the store cannot be killed")
			}
			armed := true
			e := event{d: Hook(s.Deduper, func(p Point) {
				if armed && p == tc.at {
					armed = false
					s.Kill(t)
				}
			})}
			if tc.refused {
				e.outcomes = []error{errRefused}
			}
			if got := answer(e.deliver(context.Background())); got != tc.first {
				t.Errorf("the first delivery is answered %s, want %s", got, tc.first)
			}
			if armed {
				t.Fatalf("the delivery never reached the point %s", tc.at)
			}
			s.Revive(t)
			if got := answer(e.redeliver(t, s)); got != tc.last {
				t.Errorf("the redelivery is answered %s, want %s", got, tc.last)
			}
			if e.made != tc.made {
				t.Errorf("the step was made %d times, want %d", e.made, tc.made)
			}
		})
	}
}
