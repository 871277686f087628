package divar

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadAnswer: an answer is read whole, whatever length it gives for
// itself (none, its own, a wrong one) and however its reader hands it
// over, up to one byte past maxAnswer (which attempt refuses); a read's
// error is the error.
func TestReadAnswer(t *testing.T) {
	big := strings.Repeat("x", maxAnswer+100)
	failing := errors.New("connection reset")
	for _, tc := range []struct {
		name string
		r    io.Reader
		size int64
		want string
		err  error
	}{
		{"empty, its length given", strings.NewReader(""), 0, "", nil},
		{"empty, no length", strings.NewReader(""), -1, "", nil},
		{"small, its length given", strings.NewReader(`{"a":1}`), 7, `{"a":1}`, nil},
		{"small, no length", strings.NewReader(`{"a":1}`), -1, `{"a":1}`, nil},
		{"a byte at a time", iotest.OneByteReader(strings.NewReader(`{"a":[1,2,3]}`)), 13, `{"a":[1,2,3]}`, nil},
		{"the end with the data", iotest.DataErrReader(strings.NewReader(`{}`)), 2, `{}`, nil},
		{"longer than it says", strings.NewReader(`{"a":"long"}`), 2, `{"a":"long"}`, nil},
		{"shorter than it says", strings.NewReader(`{}`), 100, `{}`, nil},
		{"past 512 bytes, no length", strings.NewReader(big[:5000]), -1, big[:5000], nil},
		{"exactly the limit", strings.NewReader(big[:maxAnswer]), maxAnswer, big[:maxAnswer], nil},
		{"past the limit, no length", strings.NewReader(big), -1, big[:maxAnswer+1], nil},
		{"past the limit, its length given", strings.NewReader(big), int64(len(big)), big[:maxAnswer+1], nil},
		{"past the limit, a byte at a time", iotest.OneByteReader(strings.NewReader(big)), -1, big[:maxAnswer+1], nil},
		{"a failing read", io.MultiReader(strings.NewReader("{"), iotest.ErrReader(failing)), 2, "", failing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAnswer(tc.r, tc.size)
			if !errors.Is(err, tc.err) || (tc.err == nil && !bytes.Equal(got, []byte(tc.want))) {
				t.Errorf("%d bytes, %v; want %d bytes, %v", len(got), err, len(tc.want), tc.err)
			}
		})
	}
}

// TestUnreserved: a path parameter is written as it is only where
// url.PathEscape would leave it so.
func TestUnreserved(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	for _, s := range []string{"", "6b3d5cf7-9291-4fa9-892a-9d07e300daea", "wZC44q5D", "a.b_c~d-e", "a b", "a/b", "a%2F", "a;b", "a$b", "a+b", "سلام", string(all)} {
		if unreserved(s) && url.PathEscape(s) != s {
			t.Errorf("%q: url.PathEscape gives %q", s, url.PathEscape(s))
		}
	}
	for c := range 256 {
		s := string([]byte{'x', byte(c)})
		if want := url.PathEscape(s) == s && (c < 0x21 || !strings.ContainsRune("!$&'()*+,;=:@", rune(c))); unreserved(s) != want {
			t.Errorf("byte %#x: unreserved %v, want %v", c, unreserved(s), want)
		}
	}
}

// TestPrintable8: every byte, at every place of eight, with printable
// neighbours and with a marked byte before it (whose borrow runs on).
func TestPrintable8(t *testing.T) {
	for at := range 8 {
		for c := range 256 {
			for _, fill := range []byte{'a', '!', '~', 0x20} {
				b := bytes.Repeat([]byte{fill}, 8)
				b[at] = byte(c)
				want := true
				for _, x := range b {
					want = want && x > ' ' && x < 0x7f
				}
				if got := printable8(string(b)); got != want {
					t.Fatalf("%q: %v, want %v", b, got, want)
				}
			}
		}
	}
}
