package session

import (
	"bytes"
	"crypto/rand"
	"testing"
)

func TestAppendBase64IsTheStandardEncoding(t *testing.T) {
	src := make([]byte, 300)
	rand.Read(src)
	for n := range len(src) + 1 {
		want := tokenEncoding.AppendEncode([]byte("x"), src[:n])
		if got := appendBase64([]byte("x"), src[:n]); !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: %s, want %s", n, got, want)
		}
	}
}

func FuzzAppendBase64(f *testing.F) {
	f.Add([]byte("any bytes at all"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if got, want := appendBase64(nil, src), tokenEncoding.AppendEncode(nil, src); !bytes.Equal(got, want) {
			t.Fatalf("%x: %s, want %s", src, got, want)
		}
	})
}
