package seal

import (
	"crypto/rand"
	"sync"
)

// Every seal takes a fresh random nonce. Under load crypto/rand costs a
// landing URL about a third of a microsecond a call, whether it is asked
// for 12 bytes or for hundreds, so nonces are read from it a block at a
// time and handed out in turn, each once.

// nonceBlock is random bytes from crypto/rand, handed out from off on.
type nonceBlock struct {
	b   [64 * nonceLen]byte
	off int
}

// nonces holds the blocks not in use: a block is taken by one seal at a
// time. A block the collector drops takes its unused bytes with it.
var nonces = sync.Pool{New: func() any { return &nonceBlock{off: 64 * nonceLen} }}

// readNonce fills nonce (at most a block long) with random bytes given to
// no other nonce.
func readNonce(nonce []byte) {
	nb := nonces.Get().(*nonceBlock)
	if nb.off+len(nonce) > len(nb.b) {
		rand.Read(nb.b[:])
		nb.off = 0
	}
	next := nb.b[nb.off : nb.off+len(nonce)]
	copy(nonce, next)
	clear(next) // handed out: not kept
	nb.off += len(nonce)
	nonces.Put(nb)
}
