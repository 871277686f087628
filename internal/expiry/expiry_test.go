package expiry

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/internal/testclock"
)

var t0 = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

// at is the deadline s seconds after t0.
func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// fake is a manual queue of ints on a clock the test moves; it records
// what the timer was set to, and the values expired in turn.
type fake struct {
	q       *Queue[int]
	clock   *testclock.Clock
	set     []time.Duration
	expired []int
}

func newFake() *fake {
	f := &fake{clock: testclock.New(t0)}
	f.q = NewManual(f.clock.Now, func(v int) { f.expired = append(f.expired, v) })
	f.q.set = func(d time.Duration) { f.set = append(f.set, d) }
	return f
}

// add puts an entry of value v due s seconds after t0 in flight.
func (f *fake) add(v, s int) *Entry[int] {
	e := new(Entry[int])
	f.q.Add(e, v, at(s))
	return e
}

// inFlight is the values in flight, head to tail, checking the links both
// ways.
func inFlight(q *Queue[int]) []int {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []int
	var prev *Entry[int]
	for e := q.head; e != nil; prev, e = e, e.next {
		if e.prev != prev || !e.queued {
			panic(fmt.Sprintf("entry %d: broken links", e.value))
		}
		out = append(out, e.value)
	}
	if q.tail != prev {
		panic("the tail is not the last entry")
	}
	return out
}

func TestQueue(t *testing.T) {
	for _, tc := range []struct {
		name string
		// run drives the queue, on a clock at t0; the timer is not set
		// when it starts.
		run      func(f *fake)
		inFlight []int           // the values left in flight, in order
		expired  []int           // the values expired, in order
		set      []time.Duration // what the timer was set to, in turn
		armedAt  int             // seconds after t0 the timer is set for
		notArmed bool            // or: the timer is not set
	}{{
		name: "entries added out of deadline order are kept in deadline order, the timer for the earliest",
		run: func(f *fake) {
			for _, s := range []int{3, 1, 2, 4, 0} {
				f.add(s, s)
			}
		},
		inFlight: []int{0, 1, 2, 3, 4},
		set:      []time.Duration{3 * time.Second, 1 * time.Second, 0},
		armedAt:  0,
	}, {
		name: "entries of equal deadlines stay in the order they were added",
		run: func(f *fake) {
			for v := range 3 {
				f.add(v, 5)
			}
		},
		inFlight: []int{0, 1, 2},
		set:      []time.Duration{5 * time.Second},
		armedAt:  5,
	}, {
		name: "a removed entry leaves the others in order",
		run: func(f *fake) {
			var es []*Entry[int]
			for s := range 5 {
				es = append(es, f.add(s, s))
			}
			f.q.Remove(es[0])
			f.q.Remove(es[2])
			f.q.Remove(es[4])
		},
		inFlight: []int{1, 3},
		set:      []time.Duration{0},
		armedAt:  0, // a removal does not touch the timer
	}, {
		name: "the timer is set once for entries added and removed while it is set",
		run: func(f *fake) {
			for range 1000 {
				e := f.add(1, 3600)
				f.clock.Advance(time.Millisecond)
				f.q.Remove(e)
			}
		},
		set:     []time.Duration{3600 * time.Second},
		armedAt: 3600,
	}, {
		name: "a firing expires only the entries past their deadline, earliest first, and sets the timer for the next",
		run: func(f *fake) {
			f.add(10, 10)
			f.add(30, 30)
			f.add(20, 20)
			f.add(11, 11)
			f.clock.Set(at(20))
			f.q.Fire()
		},
		inFlight: []int{30},
		expired:  []int{10, 11, 20},
		set:      []time.Duration{10 * time.Second, 10 * time.Second},
		armedAt:  30,
	}, {
		name: "a removed entry is not expired",
		run: func(f *fake) {
			e := f.add(1, 1)
			f.add(2, 2)
			f.q.Remove(e)
			f.clock.Set(at(2))
			f.q.Fire()
		},
		expired:  []int{2},
		set:      []time.Duration{time.Second},
		notArmed: true,
	}, {
		name: "a firing before the first deadline expires nothing and sets the timer for it",
		run: func(f *fake) {
			e := f.add(1, 10) // the timer stays set for its deadline
			f.q.Remove(e)
			f.add(2, 20)
			f.clock.Set(at(10))
			f.q.Fire()
		},
		inFlight: []int{2},
		set:      []time.Duration{10 * time.Second, 10 * time.Second},
		armedAt:  20,
	}, {
		name: "after a firing with nothing in flight the next entry sets the timer again",
		run: func(f *fake) {
			f.q.Remove(f.add(1, 10))
			f.clock.Set(at(10))
			f.q.Fire()
			f.add(2, 30)
		},
		inFlight: []int{2},
		set:      []time.Duration{10 * time.Second, 20 * time.Second},
		armedAt:  30,
	}, {
		name: "an entry due before the timer sets it earlier",
		run: func(f *fake) {
			f.add(2, 20)
			f.add(1, 10)
		},
		inFlight: []int{1, 2},
		set:      []time.Duration{20 * time.Second, 10 * time.Second},
		armedAt:  10,
	}, {
		name: "an entry added past its deadline sets the timer to fire at once, and is expired then",
		run: func(f *fake) {
			f.clock.Set(at(10))
			f.add(1, 5)
			f.q.Fire()
		},
		expired:  []int{1},
		set:      []time.Duration{-5 * time.Second},
		notArmed: true,
	}, {
		name: "an entry expired can be added again",
		run: func(f *fake) {
			e := f.add(1, 1)
			f.clock.Set(at(1))
			f.q.Fire()
			f.q.Add(e, 2, at(5))
		},
		inFlight: []int{2},
		expired:  []int{1},
		set:      []time.Duration{time.Second, 4 * time.Second},
		armedAt:  5,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			tc.run(f)
			if got := inFlight(f.q); !slices.Equal(got, tc.inFlight) {
				t.Errorf("in flight %v, want %v", got, tc.inFlight)
			}
			if !slices.Equal(f.expired, tc.expired) {
				t.Errorf("expired %v, want %v", f.expired, tc.expired)
			}
			if !slices.Equal(f.set, tc.set) {
				t.Errorf("timer set to %v, want %v", f.set, tc.set)
			}
			armed, ok := f.q.Armed()
			switch {
			case tc.notArmed && ok:
				t.Errorf("timer set for %v, want it not set", armed)
			case !tc.notArmed && (!ok || !armed.Equal(at(tc.armedAt))):
				t.Errorf("timer set for %v (%v), want %v", armed, ok, at(tc.armedAt))
			}
		})
	}
}

// TestRemove: Remove says whether the entry was still in flight: true
// once, false after, and false once the queue has taken it to expire.
func TestRemove(t *testing.T) {
	f := newFake()
	kept, due := f.add(1, 10), f.add(2, 5)
	if !f.q.Remove(kept) || f.q.Remove(kept) {
		t.Error("Remove of an entry in flight: want true once, then false")
	}
	f.clock.Set(at(5))
	f.q.Fire()
	if f.q.Remove(due) {
		t.Error("Remove of an entry expired: want false")
	}
	if got := due.Deadline(); !got.Equal(at(5)) {
		t.Errorf("Deadline() = %v, want %v", got, at(5))
	}
}

// TestQueueConcurrently: entries added, removed and expired from many
// goroutines at once (go test -race), each reading the clock before it
// takes the queue's lock, as sdk/divar and sdk/server do: the queue stays
// in deadline order (a queue out of order would leave an entry past its
// deadline behind one not yet due), and each entry is either removed or
// expired, exactly once.
// item is what a caller puts in a queue: its entry is a field of its own.
type item struct{ entry Entry[*item] }

func TestQueueConcurrently(t *testing.T) {
	clock := testclock.New(t0)
	var mu sync.Mutex
	expired := map[*item]int{}
	q := NewManual(clock.Now, func(it *item) {
		mu.Lock()
		expired[it]++
		mu.Unlock()
	})
	const workers, each = 8, 200
	removed := make([][]*item, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				it := new(item)
				q.Add(&it.entry, it, clock.Now().Add(5*time.Millisecond))
				clock.Advance(time.Millisecond)
				if q.Remove(&it.entry) {
					removed[w] = append(removed[w], it)
				}
			}
		})
	}
	stop := make(chan struct{})
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		for {
			select {
			case <-stop:
				return
			default:
			}
			q.Fire()
			q.mu.Lock()
			for e := q.head; e != nil && e.next != nil; e = e.next {
				if e.next.deadline.Before(e.deadline) {
					t.Errorf("in flight out of deadline order: %v before %v", e.deadline, e.next.deadline)
				}
			}
			q.mu.Unlock()
		}
	}()
	wg.Wait()
	close(stop)
	<-checked
	clock.Advance(time.Hour)
	q.Fire()
	if q.head != nil || q.tail != nil {
		t.Fatal("entries left in flight")
	}
	n := len(expired)
	for _, es := range removed {
		for _, it := range es {
			if expired[it] != 0 {
				t.Fatal("an entry removed was expired too")
			}
		}
		n += len(es)
	}
	for _, times := range expired {
		if times != 1 {
			t.Fatalf("an entry expired %d times", times)
		}
	}
	if n != workers*each {
		t.Fatalf("%d entries removed or expired, want %d", n, workers*each)
	}
}

// TestTheTimerFires: on the real clock, the timer expires an entry at its
// deadline and is then not set, nothing left in flight.
func TestTheTimerFires(t *testing.T) {
	expired := make(chan int, 1)
	q := NewQueue(func(v int) { expired <- v })
	var e Entry[int]
	q.Add(&e, 7, q.Now().Add(time.Millisecond))
	if v := <-expired; v != 7 {
		t.Fatalf("expired %d, want 7", v)
	}
	if q.Remove(&e) {
		t.Error("the entry expired is still in flight")
	}
	if armed, ok := q.Armed(); ok {
		t.Errorf("timer set for %v with nothing in flight", armed)
	}
}

// TestAddAndRemoveAllocateNothing: an entry in flight and out again costs
// no allocation (the timer is made once, the first time it is set).
func TestAddAndRemoveAllocateNothing(t *testing.T) {
	q := NewQueue(func(int) {})
	var e Entry[int]
	if n := testing.AllocsPerRun(100, func() {
		q.Add(&e, 1, q.Now().Add(time.Hour))
		q.Remove(&e)
	}); n != 0 {
		t.Fatalf("%v allocations an entry, want 0", n)
	}
}
