package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
)

// muxAddon serves events through an event.Mux.
type muxAddon struct {
	addon
	mux *event.Mux
}

func (a *muxAddon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return a.mux.Handle(ctx, req.Body)
}

func newMuxServer(t testing.TB, mux *event.Mux) http.Handler {
	t.Helper()
	e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{testKey}, Logger: discardLogger()}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&muxAddon{mux: mux}, nil))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// recorder is an event.Mux whose handlers record what they got.
func recorder(got *[]string) *event.Mux {
	var mu sync.Mutex
	rec := func(s string) error { mu.Lock(); *got = append(*got, s); mu.Unlock(); return nil }
	return &event.Mux{
		NewMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
			return rec("message " + string(m.Type) + " " + m.ID + " " + m.SentAt.UTC().Format(time.RFC3339Nano))
		},
		NewChatbotMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
			return rec("bot " + m.Conversation.Type + " " + m.Text)
		},
		UserAccessRevocation: func(ctx context.Context, e *event.Event, r *event.UserAccessRevocation) error {
			return rec("revoke " + r.UserID)
		},
		PostUpdate: func(ctx context.Context, e *event.Event, u *event.PostUpdate) error {
			return rec("post " + u.Type + " " + u.Post.Token)
		},
		PaymentTransaction: func(ctx context.Context, e *event.Event, t *event.PaymentTransaction) error {
			return rec("pay " + t.ID + " " + string(t.State))
		},
	}
}

func TestEventsReachTheirHandler(t *testing.T) {
	msg := func(kind, content string) string {
		return `{"type":"NEW_MESSAGE","new_message":{"id":"m1","conversation":{"id":"c","type":"POST"},` +
			`"sender":{"side":"BUYER","type":"HUMAN"},"type":"` + kind + `","sent_at":1729429926140001,` + content + `}}`
	}
	for _, tc := range []struct{ name, body, want string }{
		{"documented NEW_MESSAGE", seedEvent, "message TEXT e7a0 2024-10-20T13:12:06.14Z"},
		{"image", msg("IMAGE", `"image_data":{"link":"https://x/i.jpg","size_bytes":10,"height_px":2,"width_px":3}`), "message IMAGE m1 2024-10-20T13:12:06.140001Z"},
		{"file", msg("FILE", `"file_data":{"link":"https://x/f","name":"a.pdf","size_bytes":10}`), "message FILE m1 2024-10-20T13:12:06.140001Z"},
		{"voice", msg("VOICE", `"voice_data":{"link":"https://x/v","size_bytes":10}`), "message VOICE m1 2024-10-20T13:12:06.140001Z"},
		{"location", msg("LOCATION", `"location_data":{"latitude":35.7,"longitude":51.4}`), "message LOCATION m1 2024-10-20T13:12:06.140001Z"},
		{"video", msg("VIDEO", `"video_data":{"link":"https://x/v","thumbnail_link":"https://x/t","size_bytes":10}`), "message VIDEO m1 2024-10-20T13:12:06.140001Z"},
		{"contact", msg("CONTACT", `"contact_data":{"name":"n","phone":"0912"}`), "message CONTACT m1 2024-10-20T13:12:06.140001Z"},
		{"chat bot message", `{"type":"NEW_CHATBOT_MESSAGE","new_chatbot_message":{"id":"b1","conversation":{"id":"c","type":"BOT"},"type":"TEXT","text":"/start MY_DIVAR"}}`, "bot BOT /start MY_DIVAR"},
		{"revocation", `{"type":"USER_ACCESS_REVOCATION","user_access_revocation":{"user_id":"u1"}}`, "revoke u1"},
		{"post update", `{"type":"POST_UPDATE","post_update":{"type":"PUBLISH","post":{"token":"gZd7omnS","category":"light","city":"tehran","district":"d","is_phone_hidden":true,"supplier_chat_assistant_enabled":false,"chat_enabled":true,"first_published_at":"2024-10-20T13:12:06Z","data":{"price":1}}}}`, "post PUBLISH gZd7omnS"},
		{"payment as transaction", `{"type":"PAYMENT_TRANSACTION","transaction":{"id":"t1","cost_rials":1500000,"extra_details":"reorder gZd7omnS","state":"TRANSACTION_STATE_COMPLETED","type":"TRANSACTION_TYPE_REORDER"}}`, "pay t1 TRANSACTION_STATE_COMPLETED"},
		{"payment as payment_transaction", `{"type":"PAYMENT_TRANSACTION","payment_transaction":{"id":"t2","state":"TRANSACTION_STATE_PENDING"}}`, "pay t2 TRANSACTION_STATE_PENDING"},
		{"unknown fields everywhere", `{"type":"NEW_MESSAGE","v":2,"new_message":{"id":"m9","x":{"y":1},"type":"STICKER","sender":{"side":"SELLER","type":"USER","z":1}}}`, "message STICKER m9 0001-01-01T00:00:00Z"},
		{"unknown type", `{"type":"SOMETHING_NEW","something_new":{"a":1}}`, ""},
		{"no type", `{"metadata":{"k":"v"}}`, ""},
		{"type without its payload", `{"type":"POST_UPDATE"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			w := serve(newMuxServer(t, recorder(&got)), divarRequest("/divar/events", tc.body))
			if w.Code != http.StatusOK || w.Body.String() != "{}" {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("handled %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEventsOtherHandler(t *testing.T) {
	var other []event.Type
	mux := &event.Mux{Other: func(ctx context.Context, e *event.Event) error { other = append(other, e.Type); return nil }}
	h := newMuxServer(t, mux)
	serve(h, divarRequest("/divar/events", `{"type":"SOMETHING_NEW"}`))
	serve(h, divarRequest("/divar/events", seedEvent)) // no NewMessage handler
	if len(other) != 2 || other[0] != "SOMETHING_NEW" || other[1] != event.TypeNewMessage {
		t.Errorf("Other got %q", other)
	}
}

func TestSentAtIsExact(t *testing.T) {
	for _, us := range []int64{0, 1, 1729429926140000, 1729429926999999, 253402300799999999} {
		var m event.ChatMessage
		if err := decodeJSON([]byte(`{"sent_at":`+itoa(us)+`}`), &m); err != nil {
			t.Fatal(err)
		}
		if m.SentAt.UnixMicro() != us || m.SentAt.Nanosecond()%1000 != 0 {
			t.Errorf("%d became %v", us, m.SentAt.Time)
		}
		b, _ := sdk.MarshalAnswer(m)
		if want := `{"sent_at":` + itoa(us) + `}`; us != 0 && string(b) != want {
			t.Errorf("encoded %s, want %s", b, want)
		}
	}
}

func TestEventKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    event.Event
		want string
	}{
		{"message", event.Event{Type: event.TypeNewMessage, NewMessage: &event.ChatMessage{ID: "m1"}}, "NEW_MESSAGE:m1"},
		{"bot message", event.Event{Type: event.TypeNewChatbotMessage, NewChatbotMessage: &event.ChatMessage{ID: "m1"}}, "NEW_CHATBOT_MESSAGE:m1"},
		{"message without id", event.Event{Type: event.TypeNewMessage, NewMessage: &event.ChatMessage{}}, ""},
		{"payment state is part of it", event.Event{Type: event.TypePaymentTransaction, PaymentTransaction: &event.PaymentTransaction{ID: "t", State: event.TransactionCompleted}}, "PAYMENT_TRANSACTION:t:TRANSACTION_STATE_COMPLETED"},
		{"payment as transaction", event.Event{Type: event.TypePaymentTransaction, Transaction: &event.PaymentTransaction{ID: "t", State: event.TransactionFailed}}, "PAYMENT_TRANSACTION:t:TRANSACTION_STATE_FAILED"},
		{"a revocation has no identity", event.Event{Type: event.TypeUserAccessRevocation, UserAccessRevocation: &event.UserAccessRevocation{UserID: "u"}}, ""},
		{"a post update has no identity", event.Event{Type: event.TypePostUpdate, PostUpdate: &event.PostUpdate{Type: "PUBLISH", Post: &event.PostInfo{Token: "x"}}}, ""},
		{"unknown", event.Event{Type: "X"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.Key(); got != tc.want {
				t.Errorf("Key = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEventDeduplication(t *testing.T) {
	t.Run("sequential duplicates run once", func(t *testing.T) {
		var got []string
		mux := recorder(&got)
		mux.Dedupe = dedupe.NewMemory(dedupe.MemoryConfig{})
		h := newMuxServer(t, mux)
		for range 3 {
			if w := serve(h, divarRequest("/divar/events", seedEvent)); w.Code != http.StatusOK {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		}
		if len(got) != 1 {
			t.Errorf("handled %d times", len(got))
		}
	})
	t.Run("a failed first attempt is retried", func(t *testing.T) {
		var calls atomic.Int32
		mux := &event.Mux{
			Dedupe: dedupe.NewMemory(dedupe.MemoryConfig{}),
			NewMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
				if calls.Add(1) == 1 {
					return errors.New("database down")
				}
				return nil
			},
		}
		h := newMuxServer(t, mux)
		codes := []int{}
		for range 3 {
			codes = append(codes, serve(h, divarRequest("/divar/events", seedEvent)).Code)
		}
		if calls.Load() != 2 || codes[0] != 500 || codes[1] != 200 || codes[2] != 200 {
			t.Errorf("calls %d, statuses %v; want 2 calls, [500 200 200]", calls.Load(), codes)
		}
	})
	t.Run("concurrent duplicates run once", func(t *testing.T) {
		var calls atomic.Int32
		release := make(chan struct{})
		mux := &event.Mux{
			Dedupe: dedupe.NewMemory(dedupe.MemoryConfig{}),
			NewMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
				calls.Add(1)
				<-release
				return nil
			},
		}
		h := newMuxServer(t, mux)
		const n = 8
		codes := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { codes <- serve(h, divarRequest("/divar/events", seedEvent)).Code })
		}
		// All but the one holding the claim answer 409 while it runs.
		count := map[int]int{}
		for range n - 1 {
			count[<-codes]++
		}
		close(release)
		wg.Wait()
		count[<-codes]++
		if calls.Load() != 1 || count[200] != 1 || count[409] != n-1 {
			t.Errorf("calls %d, statuses %v", calls.Load(), count)
		}
		if w := serve(h, divarRequest("/divar/events", seedEvent)); w.Code != 200 || calls.Load() != 1 {
			t.Errorf("after: %d, calls %d", w.Code, calls.Load())
		}
	})
}

func itoa(n int64) string { b, _ := sdk.MarshalAnswer(n); return string(b) }
