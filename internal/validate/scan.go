package validate

import (
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// scanner is the walker's first reader of a body: the tokens the walker
// asks of a jsontext.Decoder (PeekKind, ReadValue for names and scalars,
// ReadToken for brackets), read straight from the bytes, a string's
// bytes eight at a time. It accepts only what the decoder accepts (one
// JSON value, valid UTF-8, no invalid escape, nesting within the limit);
// at anything else, or anything it does not judge itself (an escaped
// surrogate), it stops with errRescan and the walker reads the body again
// with the decoder, whose verdict and words are then the answer. So the
// scanner decides nothing the decoder would decide differently; it only
// spares the decoder's byte-by-byte reading of valid bodies.
type scanner struct {
	b        []byte
	i        int           // the next byte to read
	last     int           // where the last value read by ReadValue starts
	bad      bool          // stopped: every call answers errRescan or 0
	peeked   jsontext.Kind // the next token's kind, once PeekKind found it
	maxDepth int
	// stack holds the state of each open container, outermost first,
	// after the state of the top level.
	stack []scanState
}

// errRescan: the scanner stops; the decoder reads the body instead.
var errRescan = errors.New("validate: read again with the decoder")

type scanState uint8

const (
	topValue scanState = iota // the top-level value is next
	topDone                   // … was read: only white space may follow
	objFirst                  // after '{': a name or '}'
	objName                   // after ',': a name
	objColon                  // after a name: ':' then a value
	objValue                  // after ':': a value
	objNext                   // after a member: ',' or '}'
	arrFirst                  // after '[': a value or ']'
	arrValue                  // after ',': a value
	arrNext                   // after an item: ',' or ']'
)

func (s *scanner) reset(b []byte, maxDepth int) {
	s.b, s.i, s.last, s.bad, s.peeked, s.maxDepth = b, 0, 0, false, 0, maxDepth
	s.stack = append(s.stack[:0], topValue)
}

func (s *scanner) stop() { s.bad, s.peeked = true, 0 }

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// PeekKind reads what separates the next token from the last (white
// space, ',' and ':') and returns the kind of the next token, or 0 when
// there is none or the scanner stopped.
func (s *scanner) PeekKind() jsontext.Kind {
	if s.peeked == 0 && !s.bad {
		s.peeked = s.peek()
	}
	return s.peeked
}

// peek is PeekKind, once per token.
func (s *scanner) peek() jsontext.Kind {
	top := &s.stack[len(s.stack)-1]
	s.skipSpace()
	if s.i >= len(s.b) {
		s.stop()
		return 0
	}
	c := s.b[s.i]
	switch *top {
	case objColon:
		if c != ':' {
			s.stop()
			return 0
		}
		s.i++
		s.skipSpace()
		*top = objValue
	case objNext, arrNext:
		switch {
		case c == ',':
			s.i++
			s.skipSpace()
			if *top == objNext {
				*top = objName
			} else {
				*top = arrValue
			}
		case c == '}' && *top == objNext, c == ']' && *top == arrNext:
			return jsontext.Kind(c)
		default:
			s.stop()
			return 0
		}
	case topDone:
		s.stop()
		return 0
	}
	if s.i >= len(s.b) {
		s.stop()
		return 0
	}
	c = s.b[s.i]
	switch *top {
	case objFirst, objName:
		if c == '"' || (c == '}' && *top == objFirst) {
			return jsontext.Kind(c)
		}
		s.stop()
		return 0
	case arrFirst:
		if c == ']' {
			return ']'
		}
	}
	switch c {
	case '{', '[', '"', 't', 'f', 'n':
		return jsontext.Kind(c)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return '0'
	}
	s.stop()
	return 0
}

// ReadValue reads the next name or scalar (a container is the decoder's:
// the walker reads those token by token).
func (s *scanner) ReadValue() (jsontext.Value, error) {
	k := s.PeekKind()
	if k == 0 || k == '{' || k == '[' || k == '}' || k == ']' {
		s.stop()
		return nil, errRescan
	}
	start := s.i
	s.peeked = 0
	var ok bool
	switch k {
	case '"':
		ok = s.string()
	case '0':
		ok = s.number()
	case 't':
		ok = s.literal("true")
	case 'f':
		ok = s.literal("false")
	case 'n':
		ok = s.literal("null")
	}
	if !ok {
		s.stop()
		return nil, errRescan
	}
	top := &s.stack[len(s.stack)-1]
	if *top == objFirst || *top == objName {
		*top = objColon
	} else {
		s.done()
	}
	s.last = start
	return jsontext.Value(s.b[start:s.i]), nil
}

// done records that a value of the current container was read.
func (s *scanner) done() {
	top := &s.stack[len(s.stack)-1]
	switch *top {
	case objValue:
		*top = objNext
	case arrFirst, arrValue:
		*top = arrNext
	case topValue:
		*top = topDone
	}
}

// ReadToken reads a bracket, or reports the end of the input (io.EOF)
// once the top-level value has been read and only white space follows.
func (s *scanner) ReadToken() (jsontext.Token, error) {
	if !s.bad && len(s.stack) == 1 && s.stack[0] == topDone {
		s.skipSpace()
		if s.i == len(s.b) {
			return jsontext.Token{}, io.EOF
		}
		s.stop()
		return jsontext.Token{}, errRescan
	}
	switch k := s.PeekKind(); k {
	case '{', '[':
		if len(s.stack) > s.maxDepth {
			break // the decoder names where
		}
		s.i++
		s.peeked = 0
		st := objFirst
		if k == '[' {
			st = arrFirst
		}
		s.stack = append(s.stack, st)
		return jsontext.Token{}, nil
	case '}', ']':
		s.i++
		s.peeked = 0
		s.stack = s.stack[:len(s.stack)-1]
		s.done()
		return jsontext.Token{}, nil
	}
	s.stop()
	return jsontext.Token{}, errRescan
}

// StackDepth returns how many containers are open.
func (s *scanner) StackDepth() int { return len(s.stack) - 1 }

// StackPointer is not known to the scanner: it stops before nesting too
// deep, where the decoder says where.
func (s *scanner) StackPointer() jsontext.Pointer { return "" }

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// number reads a number as JSON writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
// (what follows it is the next PeekKind's to judge).
func (s *scanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	s.i = i
	return true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// SWAR masks: a byte of each.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special returns the high bit of each of the eight bytes of x (the
// first in memory lowest) that needs a look: a quote, a backslash, a
// control character or a byte of a multi-byte UTF-8 sequence. Bytes after
// the first such byte may be marked too (a borrow runs on), never bytes
// before it, so the lowest mark is exact.
func special(x uint64) uint64 {
	quote := x ^ ('"' * ones)
	slash := x ^ ('\\' * ones)
	m := (quote - ones) &^ quote
	m |= (slash - ones) &^ slash
	m |= x - 0x20*ones // a byte below 0x20 borrows, setting its high bit
	return (m | x) & highs
}

// string reads a string whose quote is at s.i.
func (s *scanner) string() bool {
	b, i := s.b, s.i+1
	for {
		for i+8 <= len(b) {
			if m := special(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return true
		case c == '\\':
			n := escape(b[i:])
			if n == 0 {
				return false
			}
			i += n
		case c < 0x20:
			return false
		case c < utf8.RuneSelf:
			i++
		case c >= 0xc2 && c <= 0xdf && i+1 < len(b) && b[i+1]&0xc0 == 0x80:
			i += 2 // a valid two-byte sequence (Persian letters), not decoded
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return false
			}
			i += n
		}
	}
}

// escape returns the length of the escape sequence that starts b, or 0
// for one the scanner leaves to the decoder (invalid, or a surrogate).
func escape(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(b) < 6 {
			return 0
		}
		var r rune
		for _, c := range b[2:6] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0
			}
		}
		if r >= 0xd800 && r <= 0xdfff {
			return 0
		}
		return 6
	}
	return 0
}
