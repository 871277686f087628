package session

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/seal"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, seal.KeySize) }

type landing struct {
	PostToken string `json:"p"`
	Note      string `json:"n,omitempty"`
}

// tokenOf returns the token u carries.
func tokenOf(t testing.TB, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get(Param)
}

// clock is a settable time for a Handoff and its MemoryStore.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newHandoff(t testing.TB, cfg Config) (*Handoff, *clock) {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = [][]byte{testKey(1)}
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	h.now = c.now
	if m, ok := h.store.(*MemoryStore); ok {
		m.now = c.now
	}
	return h, c
}

func TestHandoffKeepsEveryURLWithinTheBudget(t *testing.T) {
	ctx := context.Background()
	const base = "https://addon.example/landing"
	for _, tc := range []struct {
		name   string
		note   int
		budget int
		stored bool
	}{
		{"small", 10, 0, false},
		{"just fits 2048", 1400, 0, false},
		{"1.4 KB", 1500, 0, true},
		{"100 KB", 100_000, 0, true},
		{"a tight budget", 100, 100, true},
		{"a generous budget", 5000, 8000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newHandoff(t, Config{MaxURLLength: tc.budget})
			in := landing{PostToken: "wZC44q5D", Note: strings.Repeat("ن", tc.note/2)}
			u, err := h.URL(ctx, base, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(u) > h.maxURL || !strings.HasPrefix(u, base+"?s=") {
				t.Fatalf("URL of %d characters (budget %d): %.60s…", len(u), h.maxURL, u)
			}
			if stored := h.store.(*MemoryStore).Len() == 1; stored != tc.stored {
				t.Errorf("stored %v, want %v", stored, tc.stored)
			}
			var out landing
			if err := h.Open(ctx, tokenOf(t, u), &out); err != nil || out != in {
				t.Fatalf("Open = %v; %d bytes of note back", err, len(out.Note))
			}
		})
	}
}

func TestHandoffURLJoinsAnExistingQuery(t *testing.T) {
	h, _ := newHandoff(t, Config{})
	u, _ := h.URL(context.Background(), "https://addon.example/landing?lang=fa", landing{PostToken: "x"})
	if !strings.HasPrefix(u, "https://addon.example/landing?lang=fa&s=") {
		t.Errorf("URL %q", u)
	}
}

func TestHandoffRefuses(t *testing.T) {
	ctx := context.Background()
	h, _ := newHandoff(t, Config{})
	if _, err := h.URL(ctx, "https://addon.example/"+strings.Repeat("a", 2010), landing{}); !errors.Is(err, ErrTooLong) {
		t.Errorf("a base with no room: %v, want ErrTooLong", err)
	}
	if _, err := h.URL(ctx, "https://addon.example/", make(chan int)); err == nil {
		t.Error("an unencodable value was handed off")
	}
	sealed := tokenOf(t, must(h.URL(ctx, "https://a.example/", landing{PostToken: "x"})))
	storedURL := must(h.URL(ctx, "https://a.example/", landing{PostToken: "x", Note: strings.Repeat("x", 3000)}))
	stored := tokenOf(t, storedURL)
	raw, _ := base64.RawURLEncoding.DecodeString(stored)
	id := base64.RawURLEncoding.EncodeToString(raw[1:])
	other, _ := newHandoff(t, Config{Keys: [][]byte{testKey(2)}})
	fromOther := tokenOf(t, must(other.URL(ctx, "https://a.example/", landing{PostToken: "x"})))

	flip := func(tok string, i int, bits byte) string {
		b, _ := base64.RawURLEncoding.DecodeString(tok)
		b[i] ^= bits
		return base64.RawURLEncoding.EncodeToString(b)
	}
	for _, tc := range []struct {
		name, token string
		want        error
	}{
		{"empty", "", ErrInvalid},
		{"not base64", "!!", ErrInvalid},
		{"too long", strings.Repeat("A", 2049), ErrInvalid},
		{"sealed, altered", flip(sealed, 30, 1), ErrInvalid},
		{"sealed, truncated", sealed[:len(sealed)-3], ErrInvalid},
		{"another key", fromOther, ErrInvalid},
		{"stored, id altered", flip(stored, 5, 1), ErrExpired},
		{"stored, id with a byte more", base64.RawURLEncoding.EncodeToString(append(raw, 0)), ErrInvalid},
		{"an unknown version", flip(sealed, 0, 2), ErrInvalid}, // 1 → 3
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := landing{PostToken: "untouched"}
			err := h.Open(ctx, tc.token, &out)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %v, want %v", err, tc.want)
			}
			if out.PostToken != "untouched" {
				t.Error("a refused token changed the destination")
			}
		})
	}

	// The store's values are sealed and bound to their id: altered, or
	// moved under another id, they are refused.
	m := h.store.(*MemoryStore)
	value, _ := m.Get(ctx, id)
	altered := append([]byte(nil), value...)
	altered[len(altered)-20] ^= 1
	_ = m.Put(ctx, id, altered, time.Hour)
	if err := h.Open(ctx, stored, &landing{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("an altered stored value: %v, want ErrInvalid", err)
	}
	second := tokenOf(t, must(h.URL(ctx, "https://a.example/", landing{Note: strings.Repeat("y", 3000)})))
	raw2, _ := base64.RawURLEncoding.DecodeString(second)
	_ = m.Put(ctx, base64.RawURLEncoding.EncodeToString(raw2[1:]), value, time.Hour)
	if err := h.Open(ctx, second, &landing{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a value moved to another id: %v, want ErrInvalid", err)
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

// forgetful is a Store that never expires anything, or that fails.
type forgetful struct {
	m    map[string][]byte
	fail error
}

func (f *forgetful) Put(_ context.Context, id string, v []byte, _ time.Duration) error {
	if f.fail != nil {
		return f.fail
	}
	f.m[id] = v
	return nil
}

func (f *forgetful) Get(_ context.Context, id string) ([]byte, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	if v, ok := f.m[id]; ok {
		return v, nil
	}
	return nil, ErrNotFound
}

func TestHandoffExpiry(t *testing.T) {
	ctx := context.Background()
	big := landing{PostToken: "x", Note: strings.Repeat("x", 3000)}
	for _, tc := range []struct {
		name  string
		store Store
		v     landing
	}{
		{"sealed in the URL", nil, landing{PostToken: "x"}},
		{"in the memory store", nil, big},
		// A store that keeps values past their TTL: the seal's own
		// expiry still refuses them.
		{"in a store that never expires", &forgetful{m: map[string][]byte{}}, big},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, c := newHandoff(t, Config{TTL: time.Minute, Store: tc.store})
			tok := tokenOf(t, must(h.URL(ctx, "https://a.example/", tc.v)))
			c.t = c.t.Add(time.Minute - time.Millisecond)
			if err := h.Open(ctx, tok, &landing{}); err != nil {
				t.Fatalf("before expiry: %v", err)
			}
			c.t = c.t.Add(time.Millisecond)
			if err := h.Open(ctx, tok, &landing{}); !errors.Is(err, ErrExpired) {
				t.Fatalf("at expiry: %v, want ErrExpired", err)
			}
		})
	}
}

func TestHandoffStoreFailure(t *testing.T) {
	ctx := context.Background()
	down := errors.New("store down")
	f := &forgetful{m: map[string][]byte{}}
	h, _ := newHandoff(t, Config{Store: f})
	big := landing{Note: strings.Repeat("x", 3000)}
	tok := tokenOf(t, must(h.URL(ctx, "https://a.example/", big)))
	f.fail = down
	if _, err := h.URL(ctx, "https://a.example/", big); !errors.Is(err, down) {
		t.Errorf("URL with the store down: %v", err)
	}
	if err := h.Open(ctx, tok, &landing{}); !errors.Is(err, down) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrExpired) {
		t.Errorf("Open with the store down: %v", err)
	}
	// A context that fits the URL needs no store.
	if _, err := h.URL(ctx, "https://a.example/", landing{PostToken: "x"}); err != nil {
		t.Errorf("a small context with the store down: %v", err)
	}
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore(MemoryStoreConfig{MaxBytes: 3 * (100 + 2 + entryOverhead)})
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m.now = c.now
	v := func(b byte) []byte { return []byte(strings.Repeat(string(rune(b)), 100)) }
	for _, id := range []string{"a1", "b1", "c1"} {
		if err := m.Put(ctx, id, v(id[0]), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := m.Get(ctx, "a1"); err != nil || got[0] != 'a' {
		t.Fatalf("Get = %q, %v", got, err)
	}
	_ = m.Put(ctx, "d1", v('d'), time.Minute) // full: a1, the oldest, goes
	if _, err := m.Get(ctx, "a1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the oldest was kept: %v", err)
	}
	if m.Len() != 3 {
		t.Errorf("Len = %d", m.Len())
	}
	_ = m.Put(ctx, "b1", v('B'), time.Minute) // replaced, not counted twice
	if got, _ := m.Get(ctx, "b1"); got[0] != 'B' || m.Len() != 3 || m.size != 3*(100+2+entryOverhead) {
		t.Errorf("replace: %q, Len %d, size %d", got[:1], m.Len(), m.size)
	}
	c.t = c.t.Add(time.Minute)
	if _, err := m.Get(ctx, "c1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an expired value: %v", err)
	}
	_ = m.Put(ctx, "e1", v('e'), time.Minute) // the expired ones go first
	if m.Len() != 1 {
		t.Errorf("Len after expiry = %d", m.Len())
	}
	if err := m.Put(ctx, "f1", make([]byte, 1000), time.Minute); err == nil {
		t.Error("a value larger than the store was accepted")
	}
}
