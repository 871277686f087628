package sdk_test

import (
	"bytes"
	"math"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk"
)

// sameAsJSONv2 fails t unless MarshalAnswer writes v byte for byte as json
// v2's reflection does with Deterministic, and fails where v2 fails, with
// v2's error.
func sameAsJSONv2(t *testing.T, v any) {
	t.Helper()
	got, gotErr := sdk.MarshalAnswer(v)
	want, wantErr := json.Marshal(v, json.Deterministic(true))
	if !bytes.Equal(got, want) || (gotErr == nil) != (wantErr == nil) ||
		(gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Errorf("%#v:\ngot  %s (%v)\nwant %s (%v)", v, got, gotErr, want, wantErr)
	}
}

// TestTheEncoderIsJSONv2: the vocabulary's own encoder writes every type
// it writes as json v2 does (members in order, omitempty as v2 reads it,
// map keys sorted, strings escaped, nil slices as []), by value and by
// pointer, and what v2 refuses it refuses with v2's error.
func TestTheEncoderIsJSONv2(t *testing.T) {
	link := sdk.OpenDirectLink("https://d.ir/a?b=1&c=<2>")
	yes := sdk.GetDynamicAction(sdk.Data{"answer": "yes"})
	every := sdk.Data{"s": "x", "n": 1.5, "neg0": math.Copysign(0, -1), "i": -3, "i64": int64(1) << 60, "u": uint8(7),
		"big": 1e21, "small": 1e-7, "t": true, "f": false, "z": nil, "l": []any{"a", 1, nil, sdk.Data{"b": 1, "a": 2}},
		"m": map[string]any{"y": 1, "x": "2"}, "nilmap": map[string]any(nil), "d": sdk.Data{"b": "2", "a": "1"},
		"nild": sdk.Data(nil), "raw": sdk.RawData(`{"q":1}`), "st": struct{ A int }{1}}
	self := sdk.Data{"a": "x"}
	self["self"] = self
	deep := func(n int) sdk.Data {
		d := sdk.Data{"end": true}
		for range n - 1 {
			d = sdk.Data{"in": d}
		}
		return d
	}
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"a direct link", link},
		{"a server link", sdk.OpenServerLink(sdk.Data{"b": "1", "a": "2"})},
		{"a dynamic action, nil data", sdk.GetDynamicAction(nil)},
		{"a payload with a nil data", sdk.Action{GetDynamicAction: &sdk.DataPayload{}}},
		{"a post page", sdk.OpenPostPage("gZd7omnS")},
		{"a post manage page, empty token", sdk.OpenPostManagePage("")},
		{"an empty action", sdk.Action{}},
		{"an action of every kind", sdk.Action{OpenDirectLink: "https://a.ir/x", OpenServerLink: &sdk.DataPayload{}, GetDynamicAction: &sdk.DataPayload{Data: sdk.Data{}},
			OpenPostPage: &sdk.PostPayload{"a"}, OpenPostManagePage: &sdk.PostPayload{"b"}}},
		{"an action by pointer", &link},
		{"a nil action pointer", (*sdk.Action)(nil)},
		{"a reply", sdk.Reply(yes).WithText("پیام")},
		{"a reply of an empty action, omitted", sdk.Reply(sdk.Action{})},
		{"a reply of an empty action with text", sdk.Reply(sdk.Action{}).WithText("t")},
		{"a text", sdk.TextMessage("اطلاعات با موفقیت ثبت شد")},
		{"an empty answer", sdk.DynamicActionResponse{}},
		{"a nil answer pointer", (*sdk.DynamicActionResponse)(nil)},
		{"a url answer", sdk.OpenURL("https://d.ir/?a=1&b=<2>")},
		{"a url answer by pointer", &sdk.OpenServerLinkResponse{URL: "https://d.ir/آگهی"}},
		{"an empty url answer", sdk.OpenServerLinkResponse{}},
		{"the seed's chat message", sdk.ChatText("آیا مایلید ادامه دهید؟").WithReceiverButtons(sdk.Row(sdk.Button("بله", yes), sdk.Button("خیر", sdk.GetDynamicAction(sdk.Data{"answer": "no"}))))},
		{"both sides' buttons, icons", sdk.ChatText("x").WithSenderButtons(sdk.Row(sdk.Button("a", link).WithIcon("HOME")), sdk.Row()).
			WithReceiverButtons(sdk.Row(sdk.ChatButton{Action: link, IconName: "OLD", Caption: ""}))},
		{"a grid with no rows", sdk.ConversationMessage{Message: "x", SenderButtons: &sdk.ButtonGrid{}}},
		{"a button without an action", sdk.ChatText("x").WithReceiverButtons(sdk.Row(sdk.ChatButton{Caption: "c"}))},
		{"a media message", sdk.ChatMedia("tok")},
		{"an empty message", sdk.ConversationMessage{}},
		{"a message by pointer", &sdk.ConversationMessage{Message: "m"}},
		{"a bot message", sdk.BotText("ادامه می‌دهید؟", sdk.Row(sdk.Button("بله", yes)))},
		{"a bot message with everything", sdk.BotMessage{UserID: "u", TextMessage: "t", MediaToken: "m", Buttons: sdk.Grid(sdk.Row(sdk.Button("a", link)))}},
		{"an empty bot message", sdk.BotMessage{}},
		{"a bot message by pointer", &sdk.BotMessage{TextMessage: "x"}},
		{"a subscription", sdk.EventSubscription{EventType: sdk.SubscribePostUpdates, ResourceID: "r", Metadata: sdk.Data{"k": "v"}}},
		{"a subscription, empty metadata omitted", &sdk.EventSubscription{EventType: sdk.SubscribeNewMessages, Metadata: sdk.Data{}}},
		{"an empty subscription", sdk.EventSubscription{}},
		{"data of every kind", every},
		{"data in an action", sdk.GetDynamicAction(every)},
		{"a nil data", sdk.Data(nil)},
		{"names and strings escaped", sdk.Data{"a\"<&>\u2028/\\": "x<&>\"\\\u2028\u0001\x7f آ\t"}},
		{"escapes in every field", sdk.BotMessage{UserID: "\"", TextMessage: "\n", MediaToken: "\\", Buttons: sdk.Grid(sdk.Row(sdk.Button("\u0000", sdk.OpenPostPage("<&>"))))}},
		{"invalid UTF-8 in a text", sdk.TextMessage("a\xffb")},
		{"invalid UTF-8 in a data name", sdk.GetDynamicAction(sdk.Data{"\xff": "x"})},
		{"invalid UTF-8 in a caption", sdk.ChatText("x").WithReceiverButtons(sdk.Row(sdk.Button("\xc3", link)))},
		{"NaN in data", sdk.OpenServerLink(sdk.Data{"n": math.NaN()})},
		{"infinity in data", sdk.Data{"n": math.Inf(-1)}},
		{"an unencodable value in data", sdk.Data{"c": make(chan int)}},
		{"a data that holds itself", self},
		{"data 64 deep", deep(64)},
		{"data 65 deep, written by v2", deep(65)},
	} {
		t.Run(tc.name, func(t *testing.T) { sameAsJSONv2(t, tc.v) })
	}
	// Every byte and a few runes (2 to 4 bytes, U+2028, U+FFFD, cut short)
	// at every place in an 8-byte word and in the tail, in ASCII and in
	// Persian.
	t.Run("every byte at every place", func(t *testing.T) {
		var odd []string
		for c := range 0x100 {
			odd = append(odd, string([]byte{byte(c)}))
		}
		odd = append(odd, "آ", "€", "😀", "\u2028", "\ufffd", "\xd8", "\xf0\x9f\x98", "\xed\xa0\x80")
		for _, c := range odd {
			for pad := range 17 {
				for _, base := range []string{"a", "ب"} {
					sameAsJSONv2(t, sdk.TextMessage(strings.Repeat(base, pad)+c+"x"))
				}
			}
		}
	})
}

// TestAnswersWrittenAreMarshalAnswer: the callbacks' answers write what
// MarshalAnswer writes, and an answer v2 refuses is not written.
func TestAnswersWrittenAreMarshalAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    sdk.DynamicActionResponse
	}{
		{"an action and a text", sdk.Reply(sdk.OpenServerLink(sdk.Data{"b": 1, "a": "x"})).WithText("پیام")},
		{"a text", sdk.TextMessage("t&")},
		{"invalid UTF-8", sdk.TextMessage("\xff")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := sdk.MarshalAnswer(tc.r)
			w := httptest.NewRecorder()
			err := tc.r.VisitDynamicActionResponse(w)
			if wantErr != nil {
				want = nil // nothing is written
			}
			if (err != nil) != (wantErr != nil) || w.Body.String() != string(want) {
				t.Errorf("wrote %s (%v), want %s (%v)", w.Body, err, want, wantErr)
			}
		})
	}
}

// FuzzTheEncoderIsJSONv2: TestTheEncoderIsJSONv2 on any strings, in every
// field, and any choice of the members set.
func FuzzTheEncoderIsJSONv2(f *testing.F) {
	f.Add("آیا مایلید ادامه دهید؟", "بله", "answer", "yes", "https://d.ir/?a=<&>", uint16(0xffff))
	f.Add("a\"\\\n", "\xff", "", "\u2028", "", uint16(0))
	f.Fuzz(func(t *testing.T, text, caption, key, value, url string, set uint16) {
		on := func(bit int) bool { return set&(1<<bit) != 0 }
		data := sdk.Data{key: value, "n": len(value)}
		if on(0) {
			data[value] = []any{key, on(1), nil}
		}
		a := sdk.Action{}
		if on(2) {
			a.OpenDirectLink = url
		}
		if on(3) {
			a.OpenServerLink = &sdk.DataPayload{Data: data}
		}
		if on(4) {
			a.GetDynamicAction = &sdk.DataPayload{Data: sdk.Data{value: sdk.Data{key: caption}}}
		}
		if on(5) {
			a.OpenPostPage = &sdk.PostPayload{PostToken: caption}
		}
		if on(6) {
			a.OpenPostManagePage = &sdk.PostPayload{PostToken: key}
		}
		b := sdk.Button(caption, a)
		if on(7) {
			b = b.WithIcon(key)
		}
		if on(8) {
			b.IconName = value
		}
		var rows []sdk.ButtonRow
		for range set >> 13 {
			rows = append(rows, sdk.Row(b, b))
		}
		m := sdk.ConversationMessage{Message: text, ReceiverButtons: sdk.Grid(rows...)}
		if on(9) {
			m.SenderButtons = &sdk.ButtonGrid{}
			m.MediaToken = key
		}
		r := sdk.DynamicActionResponse{TextMessage: text}
		if on(10) {
			r.Action = &a
		}
		sub := sdk.EventSubscription{EventType: sdk.SubscriptionType(text), ResourceID: key}
		if on(11) {
			sub.Metadata = data
		}
		for _, v := range []any{a, r, m, sdk.BotMessage{UserID: key, TextMessage: text, MediaToken: value, Buttons: m.ReceiverButtons},
			sub, sdk.OpenURL(url), data} {
			sameAsJSONv2(t, v)
		}
	})
}

// TestTheEncoderWritesEveryField: each type the encoder writes, with every
// field set (by reflection, so that a field added to a type later is set
// too), is written as json v2 writes it. The encoder writes its types
// field by field: a field it does not know would otherwise be dropped
// from the wire without a test noticing.
func TestTheEncoderWritesEveryField(t *testing.T) {
	for _, v := range []any{sdk.DynamicActionResponse{}, sdk.Action{}, sdk.ConversationMessage{},
		sdk.BotMessage{}, sdk.EventSubscription{}, sdk.OpenServerLinkResponse{}} {
		t.Run(reflect.TypeOf(v).Name(), func(t *testing.T) {
			p := reflect.New(reflect.TypeOf(v))
			fill(t, p.Elem(), 0)
			sameAsJSONv2(t, p.Elem().Interface())
			sameAsJSONv2(t, p.Interface())
		})
	}
}

// fill sets every exported field of v, and of what it points to, to a
// value that is not empty.
func fill(t *testing.T, v reflect.Value, depth int) {
	if depth > 16 {
		t.Fatalf("%s: nested too deep to fill", v.Type())
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), depth+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), depth+1)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		e := reflect.New(v.Type().Elem()).Elem()
		if e.Kind() == reflect.Interface {
			e.Set(reflect.ValueOf("y"))
		} else {
			fill(t, e, depth+1)
		}
		v.SetMapIndex(reflect.ValueOf("k").Convert(v.Type().Key()), e)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), depth+1)
			}
		}
	case reflect.Interface:
		v.Set(reflect.ValueOf("y"))
	default:
		t.Fatalf("%s: a field of kind %s the test cannot fill", v.Type(), v.Kind())
	}
}
