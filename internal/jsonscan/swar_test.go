package jsonscan

import (
	"math/bits"
	"testing"
)

// firstOf returns the index of the first byte of s that needs, -1 if none.
func firstOf(s string, needs func(c byte) bool) int {
	for i := 0; i < len(s); i++ {
		if needs(s[i]) {
			return i
		}
	}
	return -1
}

func special(c byte) bool { return c < ' ' || c == '"' || c == '\\' || c >= 0x80 }
func escaped(c byte) bool { return c < ' ' || c == '"' || c == '\\' }

// checkWord checks Special and Escaped on the word of s (8 bytes) against
// a byte at a time: 0 exactly when no byte is one, else the lowest mark at
// the first that is.
func checkWord(t *testing.T, s string) {
	t.Helper()
	x := Word(s)
	for _, tc := range []struct {
		name  string
		mask  uint64
		needs func(byte) bool
	}{{"Special", Special(x), special}, {"Escaped", Escaped(x), escaped}} {
		want := firstOf(s, tc.needs)
		got := -1
		if tc.mask != 0 {
			got = bits.TrailingZeros64(tc.mask) / 8
		}
		if got != want {
			t.Errorf("%s(%q): first byte marked %d, want %d", tc.name, s, got, want)
		}
	}
}

func TestTheWordsTestsMatchABytesAtATime(t *testing.T) {
	for _, s := range []string{
		"abcdefgh", "https://", `a"bcdefg`, `abcdefg\`, "\x00bcdefgh", "abc\x1fefgh", "abc defg",
		"ab\x7fdefgh", "سلام", "a\x80\"\x01\\\x00\xff!", "\x1f\x20\x21\x22\x5b\x5c\x5d\x7f", "\"\"\"\"\"\"\"\"",
	} {
		checkWord(t, (s + "        ")[:8])
	}
	// Every byte value, at every place, among plain and borrowing neighbours.
	for c := range 256 {
		for at := range 8 {
			for _, fill := range []byte{'a', 0x00, 0x21, 0x80, 0xff} {
				w := []byte{fill, fill, fill, fill, fill, fill, fill, fill}
				w[at] = byte(c)
				checkWord(t, string(w))
			}
		}
	}
}

func FuzzTheWordsTestsMatchABytesAtATime(f *testing.F) {
	f.Add("abcdefgh")
	f.Add("a\"\\\x00\x80\xff\x1f ")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) < 8 {
			return
		}
		checkWord(t, s[:8])
	})
}
