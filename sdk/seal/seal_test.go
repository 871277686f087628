package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

type data map[string]any

func (d data) String(key string) string { s, _ := d[key].(string); return s }

type testSession struct {
	PostToken string `json:"p"`
	Data      data   `json:"d,omitempty"`
}

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustSealer(t testing.TB, keys ...[]byte) *Sealer {
	t.Helper()
	s, err := New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealerRoundTrip(t *testing.T) {
	s := mustSealer(t, testKey(1))
	in := testSession{PostToken: "AZ3dS_pn", Data: data{"step": "2", "n": 3.5}}
	tok, err := s.Seal(in, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(tok, "+/=?&#% ") {
		t.Errorf("token %q is not URL-safe", tok)
	}
	if strings.Contains(tok, "AZ3dS") {
		t.Error("token shows its content")
	}
	var out testSession
	if err := s.Open(tok, &out); err != nil {
		t.Fatal(err)
	}
	if out.PostToken != in.PostToken || out.Data.String("step") != "2" || out.Data["n"] != 3.5 {
		t.Errorf("opened %+v, sealed %+v", out, in)
	}
	tok2, _ := s.Seal(in, time.Minute)
	if tok2 == tok {
		t.Error("two seals of the same value gave the same token (nonce reuse?)")
	}
}

func TestSealerRotation(t *testing.T) {
	old := mustSealer(t, testKey(1))
	rotated := mustSealer(t, testKey(2), testKey(1))
	tok, _ := old.Seal(testSession{PostToken: "old"}, time.Minute)
	var out testSession
	if err := rotated.Open(tok, &out); err != nil || out.PostToken != "old" {
		t.Fatalf("a rotated sealer refuses a token of its older key: %v", err)
	}
	tok, _ = rotated.Seal(testSession{PostToken: "new"}, time.Minute)
	if err := old.Open(tok, &out); !errors.Is(err, ErrInvalid) {
		t.Errorf("a sealer without the new key opened a new token: %v", err)
	}
	if err := mustSealer(t, testKey(2)).Open(tok, &out); err != nil {
		t.Errorf("the new key alone refuses a new token: %v", err)
	}
}

func TestSealerExpiry(t *testing.T) {
	s := mustSealer(t, testKey(1))
	now := time.Unix(1_700_000_000, 0)
	s.now = func() time.Time { return now }
	tok, _ := s.Seal(testSession{PostToken: "x"}, 30*time.Minute)
	for _, tc := range []struct {
		name  string
		after time.Duration
		want  error
	}{
		{"just sealed", 0, nil},
		{"a second before", 30*time.Minute - time.Second, nil},
		{"at expiry", 30 * time.Minute, ErrExpired},
		{"long after", 48 * time.Hour, ErrExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.now = func() time.Time { return now.Add(tc.after) }
			out := testSession{PostToken: "untouched"}
			err := s.Open(tok, &out)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %v, want %v", err, tc.want)
			}
			if err != nil && out.PostToken != "untouched" {
				t.Error("a refused token changed the destination")
			}
		})
	}
}

func TestSealerRefuses(t *testing.T) {
	s := mustSealer(t, testKey(1))
	good, _ := s.Seal(testSession{PostToken: "x"}, time.Minute)
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	reencode := func(f func([]byte) []byte) string {
		b := f(append([]byte(nil), raw...))
		return base64.RawURLEncoding.EncodeToString(b)
	}
	other, _ := mustSealer(t, testKey(9)).Seal(testSession{PostToken: "x"}, time.Minute)
	for _, tc := range []struct{ name, token string }{
		{"empty", ""},
		{"not base64", "!!!!"},
		{"padded", good + "=="},
		{"standard alphabet", base64.RawStdEncoding.EncodeToString(raw) + "+/"},
		{"truncated", good[:len(good)-4]},
		{"too short", good[:10]},
		{"too long", strings.Repeat("A", MaxTokenLength+1)},
		{"another key", other},
		{"wrong version", reencode(func(b []byte) []byte { b[0] = 2; return b })},
		{"key id altered", reencode(func(b []byte) []byte { b[1] ^= 1; return b })},
		{"nonce altered", reencode(func(b []byte) []byte { b[headLen] ^= 1; return b })},
		{"ciphertext altered", reencode(func(b []byte) []byte { b[len(b)-20] ^= 1; return b })},
		{"tag altered", reencode(func(b []byte) []byte { b[len(b)-1] ^= 1; return b })},
		{"byte appended", reencode(func(b []byte) []byte { return append(b, 0) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out testSession
			err := s.Open(tc.token, &out)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Open = %v, want ErrInvalid", err)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Error("the error repeats the token")
			}
		})
	}
}

func TestSealerEveryBitFlipIsCaught(t *testing.T) {
	s := mustSealer(t, testKey(1))
	good, _ := s.Seal(testSession{PostToken: "x"}, time.Minute)
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	for i := range raw {
		for bit := range 8 {
			b := append([]byte(nil), raw...)
			b[i] ^= 1 << bit
			var out testSession
			if err := s.Open(base64.RawURLEncoding.EncodeToString(b), &out); !errors.Is(err, ErrInvalid) {
				t.Fatalf("flipping bit %d of byte %d: Open = %v", bit, i, err)
			}
		}
	}
}

func TestSealerSealErrors(t *testing.T) {
	s := mustSealer(t, testKey(1))
	if _, err := s.Seal("x", 0); err == nil {
		t.Error("a zero TTL was accepted")
	}
	if _, err := s.Seal(make(chan int), time.Minute); err == nil {
		t.Error("an unencodable value was sealed")
	}
	if _, err := s.Seal(strings.Repeat("x", MaxTokenLength), time.Minute); !errors.Is(err, ErrTooLong) {
		t.Errorf("an over-long value: %v, want ErrTooLong", err)
	}
	// The largest value that fits makes a token within the limit.
	n := MaxTokenLength*3/4 - Overhead - 2 - 1
	tok, err := s.Seal(strings.Repeat("x", n), time.Minute)
	if err != nil || len(tok) > MaxTokenLength {
		t.Errorf("near the limit: len %d, %v", len(tok), err)
	}
	// Content that does not fit the destination is refused without a panic.
	tok, _ = s.Seal([]int{1}, time.Minute)
	var out testSession
	if err := s.Open(tok, &out); !errors.Is(err, ErrInvalid) {
		t.Errorf("mismatched content: %v", err)
	}
}

func TestNewKeys(t *testing.T) {
	if _, err := New(make([]byte, 16)); !errors.Is(err, ErrKey) {
		t.Errorf("a 16-byte key: %v, want ErrKey", err)
	}
	a, b := mustSealer(t), mustSealer(t)
	tok, _ := a.Seal(1, time.Minute)
	var n int
	if err := b.Open(tok, &n); !errors.Is(err, ErrInvalid) {
		t.Error("two sealers with random keys share a key")
	}
}

func TestParseKeys(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(testKey(0xfb)) // has + and /
	k2 := base64.RawURLEncoding.EncodeToString(testKey(0xfb))
	for _, tc := range []struct {
		name, in string
		n        int
		wantErr  string
	}{
		{"empty", "", 0, ""},
		{"blanks", " , ", 0, ""},
		{"one standard", k1, 1, ""},
		{"url alphabet unpadded", k2, 1, ""},
		{"two with spaces", k1 + " , " + k2, 2, ""},
		{"generated", NewKey(), 1, ""},
		{"not base64", "not*base64", 0, "key 1 is not base64"},
		{"short", base64.StdEncoding.EncodeToString([]byte("short")), 0, "key 1 is 5 bytes"},
		{"second bad", k1 + ",AAAA", 0, "key 2 is 3 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParseKeys(tc.in)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "base64") && strings.Contains(err.Error(), tc.in) {
					t.Error("the error repeats the key")
				}
				return
			}
			if err != nil || len(keys) != tc.n {
				t.Fatalf("got %d keys, %v; want %d", len(keys), err, tc.n)
			}
			for _, k := range keys {
				if !bytes.Equal(k, testKey(0xfb)) && tc.name != "generated" {
					t.Errorf("decoded %x", k)
				}
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	s := mustSealer(f, testKey(1))
	good, _ := s.Seal(testSession{PostToken: "x", Data: data{"a": "b"}}, time.Hour)
	f.Add(good)
	f.Add("")
	f.Add(good[:20])
	f.Fuzz(func(t *testing.T, token string) {
		var out testSession
		err := s.Open(token, &out)
		// Only a seed (sealed by this key, in whichever process made the
		// corpus) opens; forging another is as hard as breaking AES-GCM.
		if err == nil && (out.PostToken != "x" || out.Data.String("a") != "b") {
			t.Fatalf("opened a token the sealer never made: %q", token)
		}
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// TestSealerBinds: a token sealed for one bind opens only for that bind:
// not for another, not unbound; and an unbound token does not open bound.
// A token of a key the sealer lacks is ErrUnknownKey, which is ErrInvalid.
func TestSealerBinds(t *testing.T) {
	s := mustSealer(t, testKey(1))
	forX, _ := s.SealFor("token:user-x", testSession{PostToken: "x"}, time.Minute)
	unbound, _ := s.Seal(testSession{PostToken: "u"}, time.Minute)
	for _, tc := range []struct {
		name, bind, token string
		open              func(bind, token string, v any) error
		want              error
	}{
		{"bound, opened with its bind", "token:user-x", forX, s.OpenFor, nil},
		{"bound, opened for another user", "token:user-y", forX, s.OpenFor, ErrInvalid},
		{"bound, opened for a prefix of its bind", "token:user-", forX, s.OpenFor, ErrInvalid},
		{"bound, opened unbound", "", forX, func(_, tok string, v any) error { return s.Open(tok, v) }, ErrInvalid},
		{"unbound, opened bound", "token:user-x", unbound, s.OpenFor, ErrInvalid},
		{"bound, opened by a sealer without its key", "token:user-x", forX, mustSealer(t, testKey(2)).OpenFor, ErrUnknownKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out testSession
			err := tc.open(tc.bind, tc.token, &out)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("opened: %v, want %v", err, tc.want)
			}
			if tc.want != nil && out.PostToken != "" {
				t.Error("v was filled by a refused token")
			}
			if tc.want == ErrInvalid && errors.Is(err, ErrUnknownKey) {
				t.Error("a token of a known key reported as of an unknown key")
			}
		})
	}
}
