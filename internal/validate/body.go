package validate

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"sync"

	"github.com/kenarkit/kenarkit/internal/jsonscan"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// validBody is a request body the validator has read: the handler reads it
// from memory, and Decode decodes it without checking its syntax
// a second time when the validator did. Its buffer is recycled when the
// request ends.
type validBody struct {
	bytes.Reader
	buf []byte
	// checked: buf is one JSON object with no duplicate member name, no
	// invalid UTF-8 and no nesting over the limit.
	checked bool
	// indexed: index holds buf's top-level members, found by the
	// validator's pass (the fast path's), so that binding reads each
	// member's value from its span rather than the body again.
	indexed bool
	index   jsonscan.Index
}

// Body is a request body the validator has read; the request's Body is
// it while the request lasts, and it decodes itself.
type Body = validBody

// Data returns the body, from memory and valid while the request lasts,
// its index and the options to decode it with: decoding with them has the
// semantics of Go's JSON v2 (member names matched exactly; a duplicated
// name, invalid UTF-8 or data after the value are errors), without
// checking its syntax again when the validator has checked it and nothing
// has read it since. The index, nil unless the validator's pass found
// every top-level member, lets [sdk.UnmarshalIndexed] take each member's
// value without reading the body again. Wrap a decoding error with
// [DecodeError].
func (b *validBody) Data() ([]byte, *jsonscan.Index, json.Options, error) {
	data, unread := b.unread()
	if !unread {
		rest, err := io.ReadAll(b)
		if err != nil {
			return nil, nil, nil, DecodeError(err)
		}
		return rest, nil, nil, nil
	}
	var index *jsonscan.Index
	if b.indexed {
		index = &b.index
	}
	if b.checked {
		return data, index, checkedOptions, nil
	}
	return data, index, nil, nil
}

// checkedOptions decode a body the validator has checked: its member names
// and UTF-8 need no second look. (Callback data is RawData, read as one
// value; in a map, allowing duplicate names would cost an allocation a
// member, to merge with an earlier one, which the few small maps of events
// can afford.)
var checkedOptions = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// Empty reports whether the request had no body.
func (b *validBody) Empty() bool { return len(b.buf) == 0 }

// Release recycles b once the request r is over.
func (b *validBody) Release(r *http.Request) { b.release(r) }

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
	b.checked, b.indexed = false, false
	b.index.Reset()
	if cap(b.buf) > maxPooledBody {
		b.buf = nil
	}
	b.buf = b.buf[:0]
	bodies.Put(b)
}
