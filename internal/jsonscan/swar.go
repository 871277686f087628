package jsonscan

// Eight bytes at a time (SWAR): a uint64 holds eight bytes of text, the
// first in memory lowest.
const (
	Ones  = 0x0101010101010101 // 1 in each byte
	Highs = 0x8080808080808080 // each byte's high bit
)

// Word returns the first 8 bytes of s as a uint64, the first lowest: the
// compiler makes it one load.
func Word(s string) uint64 {
	s = s[:8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// Special returns the high bit of each byte of x that a JSON string's
// reader must look at: one JSON escapes (a control character, below ' ';
// a quote; a backslash) or a byte past ASCII (of a multi-byte UTF-8
// sequence). It is 0 exactly when x has none; bytes after the first such
// byte may be marked too (a borrow runs on), never bytes before it, so the
// lowest mark is exact. The quote and backslash tests are the classic
// "has a zero byte" one (v-0x01… &^ v), of x^'"' and x^'\'.
func Special(x uint64) uint64 {
	q, b := x^(Ones*'"'), x^(Ones*'\\')
	return ((q-Ones)&^q | (b-Ones)&^b | (x - 0x20*Ones) | x) & Highs
}

// Escaped is [Special] without the bytes past ASCII: the high bit of each
// byte JSON escapes in a string, 0 exactly when x has none.
func Escaped(x uint64) uint64 { return Special(x) &^ x }
