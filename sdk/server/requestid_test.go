package server

import (
	"encoding/base64"
	"testing"
)

// TestRequestIDs: each id is the header's one value, 16 characters of
// base64url (96 bits), and no two of many are the same, nor does a later
// id change an earlier one (each id's bytes are its own).
func TestRequestIDs(t *testing.T) {
	seen := map[string]bool{}
	var first []string
	for i := range 10000 {
		v := newRequest().ids[:]
		if len(v) != 1 {
			t.Fatalf("the header has %d values, want 1", len(v))
		}
		id := v[0]
		if i == 0 {
			first = []string{id, string([]byte(id))}
		}
		if b, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(id) != 16 || len(b) != 12 {
			t.Fatalf("id %q: %d characters, %v; want 16 of base64url", id, len(id), err)
		}
		if seen[id] {
			t.Fatalf("id %q given twice", id)
		}
		seen[id] = true
	}
	if first[0] != first[1] {
		t.Fatalf("the first id changed from %q to %q", first[1], first[0])
	}
}
