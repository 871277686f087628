package validate

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/kenarkit/kenarkit/internal/jsonscan"
)

// scanner is the walker's first reader of a body: the bytes read straight
// by the walker, which knows where it is in the body (in an object, in an
// array, at a value) and asks the scanner for what may come there: the
// next member or item or the end of its container, a name and its ':', a
// value's kind, a scalar, a bracket. Strings are read eight bytes at a
// time. It accepts only what a jsontext.Decoder accepts (one JSON value,
// valid UTF-8, no invalid escape, nesting within the limit); at anything
// else, or anything it does not judge itself (an escaped surrogate), it
// fails and the walker reads the body again with the decoder (errRescan),
// whose verdict and words are then the answer. So the scanner decides
// nothing the decoder would decide differently; it only spares the
// decoder's token by token reading of valid bodies.
//
// Between two calls, s.i is where the next call reads: past the white
// space before a value (reset, name, next), right after anything else.
type scanner struct {
	b    []byte
	i    int // the next byte to read
	last int // where the last name read by name starts
	// escaped: the last string read has an escape sequence.
	escaped  bool
	depth    int // how many containers are open
	maxDepth int
}

// errRescan: the scanner stops; the decoder reads the body instead.
var errRescan = errors.New("validate: read again with the decoder")

func (s *scanner) reset(b []byte, maxDepth int) {
	s.b, s.i, s.last, s.escaped, s.depth, s.maxDepth = b, 0, 0, false, 0, maxDepth
	s.skipSpace()
}

// skipSpace moves s.i past white space; most bodies have none, which it
// sees without a call.
func (s *scanner) skipSpace() {
	if s.i < len(s.b) && s.b[s.i] <= ' ' {
		s.skipMore()
	}
}

func (s *scanner) skipMore() {
	for s.i < len(s.b) && jsonscan.IsSpace(s.b[s.i]) {
		s.i++
	}
}

// kindOf is the kind of the value that starts with c, 0 when none does.
func kindOf(c byte) jsontext.Kind {
	switch c {
	case '{', '[', '"', 't', 'f', 'n':
		return jsontext.Kind(c)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return '0'
	}
	return 0
}

// kind returns the kind of the value at s.i, or 0 when there is none.
func (s *scanner) kind() jsontext.Kind {
	if s.i >= len(s.b) {
		return 0
	}
	return kindOf(s.b[s.i])
}

// next reads what separates the next member or item of the open
// container from the last (white space and, unless it is the first, a ','),
// and returns the kind of what follows; or, at the container's end, reads
// close and returns it; 0 when what follows is neither a value nor close.
func (s *scanner) next(close byte, first bool) jsontext.Kind {
	s.skipSpace()
	if s.i >= len(s.b) {
		return 0
	}
	c := s.b[s.i]
	if c == close {
		s.i++
		s.depth--
		return jsontext.Kind(c)
	}
	if !first {
		if c != ',' {
			return 0
		}
		s.i++
		s.skipSpace()
		if s.i >= len(s.b) {
			return 0
		}
		c = s.b[s.i]
	}
	return kindOf(c)
}

// member reads the next member's name and ':' in the open object, and
// returns the name and the kind of the value that follows (0: none); or,
// at the object's end, reads the '}' and returns it.
func (s *scanner) member(first bool) (jsontext.Value, jsontext.Kind) {
	switch k := s.next('}', first); k {
	case '}':
		return nil, k
	case '"':
	default:
		return nil, 0
	}
	start := s.i
	if !s.string() {
		return nil, 0
	}
	name := s.b[start:s.i]
	s.skipSpace()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return nil, 0
	}
	s.i++
	s.skipSpace()
	s.last = start
	return name, s.kind()
}

// scalar reads the scalar of kind k (from kind or next) at s.i.
func (s *scanner) scalar(k jsontext.Kind) (jsontext.Value, bool) {
	start := s.i
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
		return nil, false
	}
	return jsontext.Value(s.b[start:s.i]), true
}

// open reads the '{' or '[' at s.i, unless it would nest too deep (the
// decoder says where).
func (s *scanner) open() bool {
	if s.depth >= s.maxDepth {
		return false
	}
	s.i++
	s.depth++
	return true
}

// end reports whether only white space follows the top-level value.
func (s *scanner) end() bool {
	s.skipSpace()
	return s.i == len(s.b)
}

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// number reads a number as JSON writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
// (what follows it is next's or end's to judge).
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

// string reads a string whose quote is at s.i, and records whether it
// has an escape sequence.
func (s *scanner) string() bool {
	b, i := s.b, s.i+1
	s.escaped = false
	for {
		for i+8 <= len(b) {
			if m := jsonscan.Special(binary.LittleEndian.Uint64(b[i:])); m != 0 {
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
			s.escaped = true
		case c < 0x20:
			return false
		case c < utf8.RuneSelf:
			i++
		case c >= 0xc2 && c <= 0xdf && i+1 < len(b) && b[i+1]&0xc0 == 0x80:
			// valid two-byte sequences (Persian letters), not decoded:
			// the rest of a word read here rather than eight bytes at a time
			i += 2
			for i+1 < len(b) && b[i] >= 0xc2 && b[i] <= 0xdf && b[i+1]&0xc0 == 0x80 {
				i += 2
			}
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
