//go:build !race

package session_test

import (
	"context"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/session"
)

// TestLandingURLAllocatesOnlyTheURL: the init callback's hand-off
// allocates its URL and nothing else; h.URL of a Landing also copies the
// Landing to the heap (the race detector's own allocations would count,
// hence the build tag).
func TestLandingURLAllocatesOnlyTheURL(t *testing.T) {
	ctx := context.Background()
	h, _ := session.New(session.Config{})
	req := &sdk.OpenServerLinkRequest{ReturnURL: "https://divar.ir/", Source: "POST_ADDON", PostToken: "wZC44q5D",
		ConversationID: "6b3d5cf7-9291-4fa9-892a-9d07e300daea", UserSide: "Supply", UserID: "6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI=",
		ExtraData: sdk.RawData(`{"your_key_1":"your value","your_key_2":"your value"}`)}
	for _, tc := range []struct {
		name   string
		url    func() (string, error)
		allocs float64
	}{
		{"LandingURL", func() (string, error) { return h.LandingURL(ctx, "https://addon.example/landing", req) }, 1},
		{"URL of LandingOf", func() (string, error) { return h.URL(ctx, "https://addon.example/landing", session.LandingOf(req)) }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, func() {
				if _, err := tc.url(); err != nil {
					t.Fatal(err)
				}
			}); n != tc.allocs {
				t.Errorf("%v allocations, want %v", n, tc.allocs)
			}
		})
	}
}
