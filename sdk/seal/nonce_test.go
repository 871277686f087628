package seal

import (
	"sync"
	"testing"
)

// TestNoncesAreNeverRepeated: nonces taken from many goroutines at once,
// across several refills of their blocks, are all different, and none is
// all zeros (the bytes handed out are cleared in the block, never given
// again).
func TestNoncesAreNeverRepeated(t *testing.T) {
	const goroutines, each = 8, 500 // each goroutine refills its block several times
	seen := make(map[[nonceLen]byte]bool, goroutines*each)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			got := make([][nonceLen]byte, each)
			for i := range got {
				readNonce(got[i][:])
			}
			mu.Lock()
			defer mu.Unlock()
			for _, n := range got {
				if n == [nonceLen]byte{} || seen[n] {
					t.Errorf("nonce %x given twice, or zero", n)
				}
				seen[n] = true
			}
		})
	}
	wg.Wait()
}
