package metrics

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestReadMostlyMakesEachValueOnce: concurrent first gets of a key make
// its value once and all return it; other keys keep theirs, whether a few
// (looked up in order) or more than fewEntries (in a map).
func TestReadMostlyMakesEachValueOnce(t *testing.T) {
	for _, n := range []int{3, fewEntries, fewEntries + 1, 3 * fewEntries} {
		t.Run(fmt.Sprintf("keys=%d", n), func(t *testing.T) { testReadMostly(t, n) })
	}
}

func testReadMostly(t *testing.T, n int) {
	var r readMostly[int, *int]
	var made atomic.Int32
	newValue := func(k int) func() *int {
		return func() *int { made.Add(1); v := k; return &v }
	}
	var keys []int
	for i := range n {
		keys = append(keys, 200+i)
	}
	got := make([][]*int, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		got[i] = make([]*int, 8)
		for j := range got[i] {
			wg.Add(1)
			go func() { defer wg.Done(); got[i][j] = r.get(k, newValue(k)) }()
		}
	}
	wg.Wait()
	if n := made.Load(); n != int32(len(keys)) {
		t.Errorf("made %d values for %d keys", n, len(keys))
	}
	for i, k := range keys {
		for _, v := range got[i] {
			if v != got[i][0] || *v != k {
				t.Errorf("key %d: got %d (%p), first %p", k, *v, v, got[i][0])
			}
		}
		if v := r.get(k, newValue(-1)); v != got[i][0] {
			t.Errorf("key %d: a later get made a new value", k)
		}
	}
}

// TestReadMostlyFindsAStringByItsContent: a key equal to a stored one but
// in other memory finds the stored value.
func TestReadMostlyFindsAStringByItsContent(t *testing.T) {
	var r readMostly[string, *int]
	one, two := 1, 2
	first := r.get("OpenServerLink", func() *int { return &one })
	if got := r.get(strings.Clone("OpenServerLink"), func() *int { return &two }); got != first {
		t.Errorf("a copy of the key made a new value")
	}
}
