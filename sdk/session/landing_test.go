package session_test

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/session"
)

func TestLandingOf(t *testing.T) {
	req := &sdk.OpenServerLinkRequest{ReturnURL: "javascript:alert(1)", CompletionURL: "https://c.example/", Source: "POST_ADODN",
		PostToken: "wZC44q5D", ConversationID: "c", UserSide: "Supply", UserID: "u", ProviderData: sdk.RawData(`{"k":"v"}`)}
	want := session.Landing{PostToken: "wZC44q5D", ConversationID: "c", UserSide: sdk.UserSideSupply, UserID: "u",
		Source: sdk.SourcePostAddon, Data: sdk.RawData(`{"k":"v"}`), ReturnTo: "https://c.example/"}
	if got := session.LandingOf(req); !reflect.DeepEqual(got, want) {
		t.Errorf("LandingOf = %+v, want %+v", got, want)
	}
}

func TestLandingRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    session.Landing
	}{
		{"empty", session.Landing{ReturnTo: sdk.CompletionURL}},
		{"the seed", session.Landing{PostToken: "wZC44q5D", ConversationID: "6b3d5cf7-9291-4fa9-892a-9d07e300daea", UserSide: "SUPPLY",
			UserID: "6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI=", Source: "POST_ADDON", Data: sdk.RawData(`{"your_key_1":"your value"}`), ReturnTo: "https://divar.ir/"}},
		{"known codes, empty", session.Landing{UserSide: "", Source: "", ConversationID: "", ReturnTo: sdk.CompletionURL}},
		{"demand, chat", session.Landing{UserSide: sdk.UserSideDemand, Source: sdk.SourceChat, ReturnTo: sdk.CompletionURL}},
		{"a chat button", session.Landing{Source: sdk.SourceChatMessageAction, ReturnTo: sdk.CompletionURL}},
		{"values carried as sent", session.Landing{UserSide: "Supply", Source: "post_addon", ConversationID: "6B3D5CF7-9291-4FA9-892A-9D07E300DAEA",
			ReturnTo: sdk.CompletionURL}},
		{"unknown values", session.Landing{UserSide: "BROKER", Source: "NEW_PLACE", ConversationID: "not-a-uuid", ReturnTo: sdk.CompletionURL}},
		{"almost UUIDs", session.Landing{ConversationID: "6b3d5cf7-9291-4fa9-892a-9d07e300dae", UserID: "6b3d5cf7-9291-4fa9-892a-9d07e300daeg", ReturnTo: sdk.CompletionURL}},
		{"a UUID with its dashes moved", session.Landing{ConversationID: "6b3d5cf79-291-4fa9-892a-9d07e300daea", ReturnTo: sdk.CompletionURL}},
		{"the nil and the full UUID", session.Landing{ConversationID: "00000000-0000-0000-0000-000000000000", UserID: "ffffffff-ffff-ffff-ffff-ffffffffffff", ReturnTo: sdk.CompletionURL}},
		{"long fields", session.Landing{PostToken: strings.Repeat("p", 10), UserID: strings.Repeat("ی", 64),
			Data: sdk.RawData(`{"k":"` + strings.Repeat("x", 100_000) + `"}`), ReturnTo: "https://divar.ir/" + strings.Repeat("r", 2000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.l.AppendBinary([]byte("prefix"))
			if err != nil || !strings.HasPrefix(string(b), "prefix") {
				t.Fatalf("AppendBinary: %v", err)
			}
			var got session.Landing
			if err := got.UnmarshalBinary(b[len("prefix"):]); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.l) {
				t.Errorf("got %+v", got)
			}
		})
	}
	// The seed's known values are coded: its user side, source and
	// conversation id take 17 bytes rather than 55.
	seed, _ := session.Landing{PostToken: "wZC44q5D", ConversationID: "6b3d5cf7-9291-4fa9-892a-9d07e300daea", UserSide: "SUPPLY",
		UserID: "6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI=", Source: "POST_ADDON", ReturnTo: "https://divar.ir/"}.AppendBinary(nil)
	if want := 2 + 1 + 8 + 16 + 1 + 44 + 1 + 1 + 17; len(seed) != want {
		t.Errorf("the seed's Landing is %d bytes, want %d", len(seed), want)
	}
	// Divar's fixed address is not carried: it is what an absent one means.
	short, _ := session.Landing{ReturnTo: sdk.CompletionURL}.AppendBinary(nil)
	if strings.Contains(string(short), "divar") {
		t.Error("the completion address is encoded")
	}
}

func TestLandingRefusesOtherBytes(t *testing.T) {
	good, _ := session.Landing{PostToken: "x", Data: sdk.RawData(`{}`)}.AppendBinary(nil)
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"another format", append([]byte{3}, good[1:]...)},
		{"no flags", []byte{2}},
		{"a flag unknown", append([]byte{2, good[1] | 1<<6}, good[2:]...)},
		{"a source code unknown", append([]byte{2, good[1]&^(7<<2) | 5<<2}, good[2:]...)},
		{"a UUID cut short", []byte{2, 1<<5 | 1 | 1<<2, 0, 1, 2, 3}},
		{"JSON", []byte(`{"p":"x"}`)},
		{"truncated", good[:len(good)-1]},
		{"a byte more", append(good[:len(good):len(good)], 0)},
		{"a length past the end", []byte{1, 200}},
		{"a broken uvarint", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := session.Landing{PostToken: "untouched"}
			if err := l.UnmarshalBinary(tc.b); err == nil || l.PostToken != "untouched" {
				t.Errorf("UnmarshalBinary = %v, %+v", err, l)
			}
		})
	}
}

// TestLandingReadsTheFormerFormat: a Landing encoded before format 2 (every
// field a string, a link made before an upgrade) reads as it did.
func TestLandingReadsTheFormerFormat(t *testing.T) {
	var b []byte
	b = append(b, 1)
	for _, f := range []string{"wZC44q5D", "6b3d5cf7-9291-4fa9-892a-9d07e300daea", "SUPPLY", "6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI=",
		"POST_ADDON", `{"your_key_1":"your value"}`, ""} {
		b = append(append(b, byte(len(f))), f...)
	}
	want := session.Landing{PostToken: "wZC44q5D", ConversationID: "6b3d5cf7-9291-4fa9-892a-9d07e300daea", UserSide: sdk.UserSideSupply,
		UserID: "6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI=", Source: sdk.SourcePostAddon, Data: sdk.RawData(`{"your_key_1":"your value"}`),
		ReturnTo: sdk.CompletionURL}
	var got session.Landing
	if err := got.UnmarshalBinary(b); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("UnmarshalBinary = %v, %+v", err, got)
	}
}

// TestHandoffOfALanding: a Landing goes through a Handoff by its own
// encoding, and every init callback's fits Divar's 2048 characters.
func TestHandoffOfALanding(t *testing.T) {
	ctx := context.Background()
	h, _ := session.New(session.Config{})
	for _, data := range []int{0, 1400, 100_000} {
		in := session.Landing{PostToken: strings.Repeat("p", 10), ConversationID: strings.Repeat("c", 64), UserSide: sdk.UserSide(strings.Repeat("s", 50)),
			UserID: strings.Repeat("u", 64), Source: sdk.Source(strings.Repeat("o", 20)), Data: sdk.RawData(`{"k":"` + strings.Repeat("x", data) + `"}`),
			ReturnTo: "https://divar.ir/" + strings.Repeat("r", 2048-len("https://divar.ir/"))}
		u, err := h.URL(ctx, "https://addon.example/landing", in)
		if err != nil || len(u) > 2048 {
			t.Fatalf("%d bytes of data: %d characters, %v", data, len(u), err)
		}
		p, _ := url.Parse(u)
		var out session.Landing
		if err := h.Open(ctx, p.Query().Get(session.Param), &out); err != nil || !reflect.DeepEqual(out, in) {
			t.Fatalf("%d bytes of data: Open = %v", data, err)
		}
		// A Landing's token does not open as something else.
		var other struct{ P string }
		if err := h.Open(ctx, p.Query().Get(session.Param), &other); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("opened as another type: %v", err)
		}
	}
}

func FuzzLandingUnmarshalBinary(f *testing.F) {
	good, _ := session.Landing{PostToken: "x", Data: sdk.RawData(`{"a":1}`), ReturnTo: "https://divar.ir/"}.AppendBinary(nil)
	f.Add(good)
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{2, 1<<5 | 2 | 2<<2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var l session.Landing
		if l.UnmarshalBinary(b) != nil {
			return
		}
		again, _ := l.AppendBinary(nil)
		var l2 session.Landing
		if err := l2.UnmarshalBinary(again); err != nil || !reflect.DeepEqual(l, l2) {
			t.Fatalf("a decoded Landing does not round-trip: %v", err)
		}
	})
}

// TestLandingDataFields: the data a page shows, sorted, each value as
// Divar sent it: numbers no float64 holds are not 0 or rounded, and the
// members after them are all there.
func TestLandingDataFields(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want [][2]string
	}{
		{"none", ``, [][2]string{}},
		{"null", `null`, [][2]string{}},
		{"the seed", `{"your_key_2":"your value","your_key_1":"your value"}`, [][2]string{{"your_key_1", "your value"}, {"your_key_2", "your value"}}},
		{"a number beyond float64", `{"huge":1e999999,"after":"kept"}`, [][2]string{{"after", "kept"}, {"huge", "1e999999"}}},
		{"a big integer", `{"id":123456789012345678901234567890}`, [][2]string{{"id", "123456789012345678901234567890"}}},
		{"a tiny number", `{"eps":-4.9e-999999}`, [][2]string{{"eps", "-4.9e-999999"}}},
		{"a number as written", `{"n":1.50}`, [][2]string{{"n", "1.50"}}},
		{"strings unescaped", `{"fa":"\u0622\u06af\u0647\u06cc","q":"a\"b<"}`, [][2]string{{"fa", "آگهی"}, {"q", `a"b<`}}},
		{"nested, compacted", `{"o":{ "big": 1e400, "a": [1, true, null] }}`, [][2]string{{"o", `{"big":1e400,"a":[1,true,null]}`}}},
		{"not an object", `[1]`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := session.Landing{Data: sdk.RawData(tc.data)}.DataFields()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DataFields = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLandingURL: the init callback's hand-off opens into the callback's
// Landing, sealed in the URL or, for data too large for one, kept in the
// Store.
func TestLandingURL(t *testing.T) {
	ctx := context.Background()
	h, _ := session.New(session.Config{})
	for _, tc := range []struct {
		name   string
		data   string
		stored bool
	}{
		{"the seed", `{"your_key_1":"your value","your_key_2":"your value"}`, false},
		{"no data", ``, false},
		{"data too large for a URL", `{"k":"` + strings.Repeat("x", 3000) + `"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &sdk.OpenServerLinkRequest{ReturnURL: "https://divar.ir/", Source: "POST_ADDON", PostToken: "wZC44q5D",
				ConversationID: "6b3d5cf7-9291-4fa9-892a-9d07e300daea", UserSide: "Supply", UserID: "6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI="}
			if tc.data != "" {
				req.ExtraData = sdk.RawData(tc.data)
			}
			u, err := h.LandingURL(ctx, "https://addon.example/landing", req)
			if err != nil || len(u) > session.DefaultMaxURLLength {
				t.Fatalf("LandingURL: %d characters, %v", len(u), err)
			}
			if stored := len(u) < 100; stored != tc.stored {
				t.Errorf("stored = %v, want %v (%d characters)", stored, tc.stored, len(u))
			}
			p, _ := url.Parse(u)
			var got session.Landing
			if err := h.Open(ctx, p.Query().Get(session.Param), &got); err != nil {
				t.Fatal(err)
			}
			if want := session.LandingOf(req); !reflect.DeepEqual(got, want) {
				t.Errorf("opened %+v, want %+v", got, want)
			}
		})
	}
}
