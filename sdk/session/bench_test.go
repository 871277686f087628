package session_test

import (
	"context"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/session"
)

// seed is the Landing of the seed's init callback.
var seed = session.Landing{PostToken: "wZC44q5D", ConversationID: "6b3d5cf7-9291-4fa9-892a-9d07e300daea", UserSide: sdk.UserSideSupply,
	UserID: "6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI=", Source: sdk.SourcePostAddon,
	Data: sdk.RawData(`{"your_key_1":"your value","your_key_2":"your value"}`), ReturnTo: "https://divar.ir/"}

// BenchmarkHandoffURL is the init callback's share of a hand-off: the
// seed's Landing sealed into a landing URL, by its own encoding and as
// JSON, and from the seed's request by LandingURL.
func BenchmarkHandoffURL(b *testing.B) {
	h, err := session.New(session.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	type asJSON struct {
		PostToken      string      `json:"p,omitempty"`
		ConversationID string      `json:"c,omitempty"`
		UserSide       string      `json:"s,omitempty"`
		UserID         string      `json:"u,omitempty"`
		Source         string      `json:"o,omitempty"`
		Data           sdk.RawData `json:"d,omitempty"`
		ReturnTo       string      `json:"r,omitempty"`
	}
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"Landing", seed},
		{"JSON", asJSON{seed.PostToken, seed.ConversationID, string(seed.UserSide), seed.UserID, string(seed.Source), seed.Data, seed.ReturnTo}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.URL(ctx, "https://addon.example/landing", tc.v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The init callback's own: the request's Landing, not boxed.
	req := &sdk.OpenServerLinkRequest{PostToken: seed.PostToken, ConversationID: seed.ConversationID, UserSide: "Supply",
		UserID: seed.UserID, Source: seed.Source, ExtraData: seed.Data, ReturnURL: seed.ReturnTo}
	b.Run("LandingURL", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.LandingURL(ctx, "https://addon.example/landing", req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
