package server_test

import (
	stdjson "encoding/json"
	"net/http"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/event"
)

// The fields docs/EVENTS-AUDIT.md corrected: each arrives in the shape
// Divar's docs (docs/events/*.md) give it and in the shape its
// machine-readable schema (static/openapi-v3.json) gives it, and each shape
// is acknowledged and decoded to the same value, through the whole server
// (validator, then decoder).

const sentAtMicros = 1729429926140000 // 2024-10-20T13:12:06.14Z

func eventWithMessage(message string) string {
	return `{"type":"NEW_MESSAGE","new_message":{"id":"m1","conversation":{"id":"c","type":"POST","post_token":"gZd7omnS"},` +
		`"sender":{"side":"BUYER","type":"HUMAN"},` + message + `}}`
}

func eventWithPayment(key, payment string) string {
	return `{"type":"PAYMENT_TRANSACTION","` + key + `":{"id":"550e8400-e29b-41d4-a716-446655440000",` + payment + `}}`
}

func TestEventFieldsInEveryDocumentedShape(t *testing.T) {
	sentAt := func(e *event.Event) any { return e.Message().SentAt.UnixMicro() }
	for _, tc := range []struct {
		name string
		body string
		get  func(*event.Event) any
		want any
	}{
		{"extra_details, a string (docs/events/payment.md, openapi-v3.json)",
			eventWithPayment("payment_transaction", `"extra_details":"توکن آگهی بازنشر: ABC123"`),
			func(e *event.Event) any { return e.Payment().ExtraDetails }, "توکن آگهی بازنشر: ABC123"},
		{"extra_details, empty",
			eventWithPayment("transaction", `"extra_details":""`),
			func(e *event.Event) any { return e.Payment().ExtraDetails }, ""},
		{"cost_rials, a number (docs/events/payment.md)",
			eventWithPayment("payment_transaction", `"cost_rials":100000`),
			func(e *event.Event) any { return e.Payment().CostRials }, event.Int64(100000)},
		{"cost_rials, a string (openapi-v3.json int64)",
			eventWithPayment("transaction", `"cost_rials":"100000"`),
			func(e *event.Event) any { return e.Payment().CostRials }, event.Int64(100000)},
		{"cost_rials, the largest int64 as a string",
			eventWithPayment("transaction", `"cost_rials":"9223372036854775807"`),
			func(e *event.Event) any { return e.Payment().CostRials }, event.Int64(9223372036854775807)},
		{"state, by name",
			eventWithPayment("transaction", `"state":"TRANSACTION_STATE_REFUNDED"`),
			func(e *event.Event) any { return e.Payment().State }, event.TransactionRefunded},
		{"state, by its documented number",
			eventWithPayment("transaction", `"state":2`),
			func(e *event.Event) any { return e.Payment().State }, event.TransactionCompleted},
		{"state, an unknown number is kept",
			eventWithPayment("transaction", `"state":9`),
			func(e *event.Event) any { return e.Payment().State }, event.TransactionState("9")},
		{"state, an unknown name is kept",
			eventWithPayment("transaction", `"state":"TRANSACTION_STATE_DISPUTED"`),
			func(e *event.Event) any { return e.Payment().State }, event.TransactionState("TRANSACTION_STATE_DISPUTED")},
		{"type, REORDER by name",
			eventWithPayment("transaction", `"type":"TRANSACTION_TYPE_REORDER"`),
			func(e *event.Event) any { return e.Payment().Type }, event.TransactionReorder},
		{"type, REORDER by its documented number",
			eventWithPayment("transaction", `"type":1`),
			func(e *event.Event) any { return e.Payment().Type }, event.TransactionReorder},
		{"type, RENEW (openapi-v3.json)",
			eventWithPayment("transaction", `"type":"TRANSACTION_TYPE_RENEW"`),
			func(e *event.Event) any { return e.Payment().Type }, event.TransactionRenew},
		{"type, SUBMIT (openapi-v3.json)",
			eventWithPayment("transaction", `"type":"TRANSACTION_TYPE_SUBMIT"`),
			func(e *event.Event) any { return e.Payment().Type }, event.TransactionSubmit},
		{"app_slug and created_at (openapi-v3.json)",
			eventWithPayment("transaction", `"app_slug":"my-addon","created_at":"2024-10-20T13:12:06Z"`),
			func(e *event.Event) any { return e.Payment().AppSlug + " " + e.Payment().CreatedAt }, "my-addon 2024-10-20T13:12:06Z"},
		{"the documented payment example, whole",
			`{"type":"PAYMENT_TRANSACTION","payment_transaction":{"id":"550e8400-e29b-41d4-a716-446655440000","cost_rials":100000,` +
				`"extra_details":"توکن آگهی بازنشر: ABC123","state":"TRANSACTION_STATE_COMPLETED","type":"TRANSACTION_TYPE_REORDER"},"metadata":{"key":"value"}}`,
			func(e *event.Event) any {
				p := e.Payment()
				return [5]any{p.CostRials, p.ExtraDetails, p.State, p.Type, e.Meta()["key"]}
			}, [5]any{event.Int64(100000), "توکن آگهی بازنشر: ABC123", event.TransactionCompleted, event.TransactionReorder, "value"}},

		{"sent_at, microseconds (docs/events/chat.md)",
			eventWithMessage(`"type":"TEXT","text":"hi","sent_at":1729429926140000`), sentAt, int64(sentAtMicros)},
		{"sent_at, RFC 3339 (openapi-v3.json date-time)",
			eventWithMessage(`"type":"TEXT","text":"hi","sent_at":"2024-10-20T13:12:06.140Z"`), sentAt, int64(sentAtMicros)},
		{"sent_at, RFC 3339 with an offset",
			eventWithMessage(`"type":"TEXT","text":"hi","sent_at":"2024-10-20T16:42:06.14+03:30"`), sentAt, int64(sentAtMicros)},
		{"sent_at, microseconds as a string (protobuf int64)",
			eventWithMessage(`"type":"TEXT","text":"hi","sent_at":"1729429926140000"`), sentAt, int64(sentAtMicros)},

		{"image size_bytes, a number (docs)",
			eventWithMessage(`"type":"IMAGE","image_data":{"link":"https://x/i.jpg","size_bytes":204800,"height_px":1080,"width_px":1920}`),
			func(e *event.Event) any {
				d := e.Message().ImageData
				return [3]int64{int64(d.SizeBytes), d.HeightPx, d.WidthPx}
			}, [3]int64{204800, 1080, 1920}},
		{"image size_bytes, a string (openapi-v3.json uint64)",
			eventWithMessage(`"type":"IMAGE","image_data":{"link":"https://x/i.jpg","size_bytes":"204800","height_px":1080,"width_px":1920}`),
			func(e *event.Event) any {
				d := e.Message().ImageData
				return [3]int64{int64(d.SizeBytes), d.HeightPx, d.WidthPx}
			}, [3]int64{204800, 1080, 1920}},
		{"image height_px past int32 (docs: uint32)",
			eventWithMessage(`"type":"IMAGE","image_data":{"height_px":4294967295,"width_px":1}`),
			func(e *event.Event) any { return e.Message().ImageData.HeightPx }, int64(4294967295)},
		{"file size_bytes, a number (docs)",
			eventWithMessage(`"type":"FILE","file_data":{"link":"https://x/f","name":"document.pdf","size_bytes":1048576}`),
			func(e *event.Event) any { return e.Message().FileData.SizeBytes }, event.Int64(1048576)},
		{"file size_bytes, a string (openapi-v3.json)",
			eventWithMessage(`"type":"FILE","file_data":{"link":"https://x/f","name":"document.pdf","size_bytes":"1048576"}`),
			func(e *event.Event) any { return e.Message().FileData.SizeBytes }, event.Int64(1048576)},
		{"voice size_bytes, a number (docs)",
			eventWithMessage(`"type":"VOICE","voice_data":{"link":"https://x/v.ogg","size_bytes":512000}`),
			func(e *event.Event) any { return e.Message().VoiceData.SizeBytes }, event.Int64(512000)},
		{"voice size_bytes, a string (openapi-v3.json)",
			eventWithMessage(`"type":"VOICE","voice_data":{"link":"https://x/v.ogg","size_bytes":"512000"}`),
			func(e *event.Event) any { return e.Message().VoiceData.SizeBytes }, event.Int64(512000)},
		{"video size_bytes, a number (docs)",
			eventWithMessage(`"type":"VIDEO","video_data":{"link":"https://x/v.mp4","thumbnail_link":"https://x/t.jpg","size_bytes":20971520}`),
			func(e *event.Event) any { return e.Message().VideoData.SizeBytes }, event.Int64(20971520)},
		{"video size_bytes, a string (openapi-v3.json)",
			eventWithMessage(`"type":"VIDEO","video_data":{"link":"https://x/v.mp4","thumbnail_link":"https://x/t.jpg","size_bytes":"20971520"}`),
			func(e *event.Event) any { return e.Message().VideoData.SizeBytes }, event.Int64(20971520)},
		{"sender type USER (the docs' examples)",
			`{"type":"NEW_MESSAGE","new_message":{"id":"m1","sender":{"side":"SELLER","type":"USER"},"type":"TEXT","text":"hi"}}`,
			func(e *event.Event) any { return e.Message().Sender.Type }, "USER"},
		{"contact without a name (docs: optional)",
			eventWithMessage(`"type":"CONTACT","contact_data":{"phone":"+989123456789"}`),
			func(e *event.Event) any { return e.Message().ContactData.Name + "|" + e.Message().ContactData.Phone }, "|+989123456789"},

		{"metadata (docs/events/ReadMe.md)",
			`{"type":"NEW_MESSAGE","metadata":{"your_key":"your_value"}}`,
			func(e *event.Event) any { return e.Meta()["your_key"] }, "your_value"},
		{"meta_data (docs/migrations/002)",
			`{"type":"NEW_MESSAGE","meta_data":{"your_key":"your_value"}}`,
			func(e *event.Event) any { return e.Meta()["your_key"] }, "your_value"},

		{"post state, last_modified_at, business_data (openapi-v3.json finderGetPostResponse)",
			`{"type":"POST_UPDATE","post_update":{"type":"PUBLISH","post":{"token":"AZir15UU","state":"PUBLISHED",` +
				`"last_modified_at":"2024-10-20T13:12:06Z","business_data":{"business_type":"REAL_ESTATE","business_name":"کارشناسان املاک"}}}}`,
			func(e *event.Event) any {
				p := e.PostUpdate.Post
				return p.State + " " + p.LastModifiedAt + " " + p.BusinessData.BusinessType + " " + p.BusinessData.BusinessName
			}, "PUBLISHED 2024-10-20T13:12:06Z REAL_ESTATE کارشناسان املاک"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &addon{}
			w := serve(newServer(t, a, nil), divarRequest("/divar/events", tc.body))
			if w.Code != http.StatusOK || w.Body.String() != "{}" {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if len(a.events) != 1 {
				t.Fatalf("the handler got %d events", len(a.events))
			}
			if got := tc.get(a.events[0]); got != tc.want {
				t.Errorf("decoded %#v, want %#v", got, tc.want)
			}
		})
	}
}

// The corrected types decode the same through encoding/json, for add-ons
// that decode an event themselves.
func TestEventFieldsWithEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{"cost_rials":"100000","extra_details":"x","state":2,"type":1}`,
		`{"cost_rials":100000,"extra_details":"x","state":"TRANSACTION_STATE_COMPLETED","type":"TRANSACTION_TYPE_REORDER"}`,
	} {
		var p event.PaymentTransaction
		if err := stdjson.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if p.CostRials != 100000 || p.ExtraDetails != "x" || p.State != event.TransactionCompleted || p.Type != event.TransactionReorder {
			t.Errorf("%s decoded %+v", body, p)
		}
	}
	for _, body := range []string{`{"sent_at":1729429926140000}`, `{"sent_at":"2024-10-20T13:12:06.14Z"}`} {
		var m event.ChatMessage
		if err := stdjson.Unmarshal([]byte(body), &m); err != nil || m.SentAt.UnixMicro() != sentAtMicros {
			t.Errorf("%s decoded %v, %v", body, m.SentAt.Time, err)
		}
	}
}

// Shapes no Divar source documents are still refused by the decoder, with
// the field's pointer: the types are liberal about Divar's variants only.
func TestEventFieldsRefuseOtherShapes(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"size_bytes, a fraction", `{"image_data":{"size_bytes":1.5}}`},
		{"size_bytes, a word", `{"file_data":{"size_bytes":"big"}}`},
		{"size_bytes, an object", `{"voice_data":{"size_bytes":{}}}`},
		{"size_bytes, past int64", `{"video_data":{"size_bytes":"9223372036854775808"}}`},
		{"sent_at, not a time", `{"sent_at":"yesterday"}`},
		{"sent_at, a boolean", `{"sent_at":true}`},
		{"sent_at, a fraction", `{"sent_at":1.5}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m event.ChatMessage
			if err := decodeJSON([]byte(tc.body), &m); err == nil {
				t.Errorf("decoded %+v", m)
			}
		})
	}
	for _, tc := range []struct{ name, body string }{
		{"cost_rials, a fraction", `{"cost_rials":0.5}`},
		{"state, an object", `{"state":{}}`},
		{"type, a boolean", `{"type":false}`},
		{"extra_details, an object", `{"extra_details":{"a":1}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p event.PaymentTransaction
			if err := decodeJSON([]byte(tc.body), &p); err == nil {
				t.Errorf("decoded %+v", p)
			}
		})
	}
}

// Int64 writes a number whichever shape it was read from, so an event
// re-encoded has the documented shape.
func TestInt64WritesANumber(t *testing.T) {
	var p event.PaymentTransaction
	if err := decodeJSON([]byte(`{"cost_rials":"-42"}`), &p); err != nil {
		t.Fatal(err)
	}
	b, err := sdk.MarshalAnswer(p)
	if err != nil || string(b) != `{"cost_rials":-42}` {
		t.Errorf("encoded %s, %v", b, err)
	}
}

// FuzzEventFieldParsers feeds any JSON value to the parsers of the
// corrected fields: none panics, and what one accepts it writes back in
// the documented shape, which reads back to the same value (sent_at to the
// microsecond, Divar's precision).
func FuzzEventFieldParsers(f *testing.F) {
	for _, v := range []string{`1729429926140000`, `"1729429926140000"`, `"2024-10-20T13:12:06.14Z"`, `"2024-10-20T16:42:06+03:30"`, `"2024-10-20T13:12:06.123456789Z"`,
		`204800`, `"204800"`, `"-1"`, `1.5`, `"9223372036854775808"`, `2`, `"TRANSACTION_STATE_COMPLETED"`, `null`, `{}`, `[]`, `true`, `"\u0031"`} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var m event.ChatMessage
		if decodeJSON([]byte(`{"sent_at":`+v+`,"file_data":{"size_bytes":`+v+`}}`), &m) == nil {
			b, err := sdk.MarshalAnswer(m)
			if err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			var again event.ChatMessage
			if err := decodeJSON(b, &again); err != nil || again.SentAt.UnixMicro() != m.SentAt.UnixMicro() ||
				fileSize(again) != fileSize(m) {
				t.Errorf("%s: wrote %s, read back %+v (%v)", v, b, again, err)
			}
		}
		var p event.PaymentTransaction
		if decodeJSON([]byte(`{"cost_rials":`+v+`,"state":`+v+`,"type":`+v+`}`), &p) == nil {
			b, err := sdk.MarshalAnswer(p)
			if err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			var again event.PaymentTransaction
			if err := decodeJSON(b, &again); err != nil || again != p {
				t.Errorf("%s: wrote %s, read back %+v (%v)", v, b, again, err)
			}
		}
	})
}

func fileSize(m event.ChatMessage) event.Int64 {
	if m.FileData == nil {
		return 0
	}
	return m.FileData.SizeBytes
}

// An Event decodes leniently through encoding/json too: a member that does
// not fit is named by Mismatch, the event is kept whole in Raw.
func TestEventWithEncodingJSON(t *testing.T) {
	var e event.Event
	body := `{"type":"NEW_MESSAGE","new_message":{"id":"m1","sent_at":"yesterday"}}`
	if err := stdjson.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	if e.Type != event.TypeNewMessage || e.Mismatch() == nil || string(e.Raw()) != body {
		t.Errorf("type %q, mismatch %v, raw %s", e.Type, e.Mismatch(), e.Raw())
	}
}
