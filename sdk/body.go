package sdk

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"sync"
)

// validBody is a request body the validator has read: the handler reads it
// from memory, and [JSONSerializer] decodes it without checking its syntax
// a second time when the validator did. Its buffer is recycled when the
// request ends.
type validBody struct {
	bytes.Reader
	buf []byte
	// checked: buf is one JSON object with no duplicate member name, no
	// invalid UTF-8 and no nesting over the limit.
	checked bool
}

// Close does nothing: the body is in memory.
func (*validBody) Close() error { return nil }

// maxPooledBody is the largest buffer kept for the next request; a larger
// one is left to the garbage collector.
const maxPooledBody = 64 << 10

var bodies = sync.Pool{New: func() any { return new(validBody) }}

func newBody() *validBody { return bodies.Get().(*validBody) }

// readFrom reads at most limit+1 bytes of r into b, so that the caller sees
// a body over the limit, in one allocation (or none) when the length is
// announced.
func (b *validBody) readFrom(r io.Reader, length, limit int64) error {
	b.buf = b.buf[:0]
	if length > 0 && length <= limit {
		b.buf = slices.Grow(b.buf, int(length)+1) // +1 to see a body longer than announced
	}
	defer b.rewind()
	for int64(len(b.buf)) <= limit {
		if len(b.buf) == cap(b.buf) {
			b.buf = slices.Grow(b.buf, 512)
		}
		end := min(int64(cap(b.buf)), limit+1)
		n, err := r.Read(b.buf[len(b.buf):end])
		b.buf = b.buf[:len(b.buf)+n]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// rewind makes the whole body readable again.
func (b *validBody) rewind() { b.Reader.Reset(b.buf) }

// unread returns the body if nothing has read from it yet, and marks it
// read.
func (b *validBody) unread() ([]byte, bool) {
	if b.Len() != len(b.buf) {
		return nil, false
	}
	b.Reader.Reset(nil)
	return b.buf, true
}

// release recycles b once the request r is over. r's body no longer reads
// it, so that a later request's data can never be read through r.
func (b *validBody) release(r *http.Request) {
	if r.Body == b {
		r.Body = http.NoBody
	}
	b.Reader.Reset(nil)
	b.checked = false
	if cap(b.buf) > maxPooledBody {
		b.buf = nil
	}
	b.buf = b.buf[:0]
	bodies.Put(b)
}
