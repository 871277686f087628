package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/event"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// botStart is a chat-bot /start whose handler sends a bot message.
const botStart = `{"type":"NEW_CHATBOT_MESSAGE","new_chatbot_message":{"id":"m-1","type":"TEXT","text":"/start MY_DIVAR",` +
	`"conversation":{"id":"c-1","type":"BOT"},"sender":{"type":"HUMAN"},"sent_at":1729429926140000}}`

// TestEventMessagesAtMostOnce delivers a chat-bot /start whose handler
// sends a bot message through divar.Client to divartest's API over
// loopback, with the API failing in each way, then delivers it again: the
// message is sent at most once unless the handler opted into at least
// once, and a send whose outcome is unknown is acknowledged and reported.
func TestEventMessagesAtMostOnce(t *testing.T) {
	for _, tc := range []struct {
		name        string
		fault       *divartest.Fault
		atLeastOnce bool
		first       int // the first delivery's answer
		unfinished  bool
		calls       int // sendBotMessage calls after both deliveries
		delivered   int // messages Divar kept
	}{
		{"accepted: sent once", nil, false, http.StatusOK, false, 1, 1},
		{"429 past the retries (not sent): 500, the redelivery sends it", ptr(divartest.TooManyRequests(time.Hour).On("sendBotMessage")), false, http.StatusInternalServerError, false, 2, 1},
		{"500 (may have been taken): acknowledged, reported, never sent again", ptr(divartest.ServerError(500).On("sendBotMessage")), false, http.StatusOK, true, 1, 0},
		{"500 with at least once: 500, the redelivery sends it again", ptr(divartest.ServerError(500).On("sendBotMessage")), true, http.StatusInternalServerError, false, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := divartest.NewAPI(t)
			client, err := api.Client(divar.Config{Timeout: 200 * time.Millisecond, MaxRetries: 1})
			if err != nil {
				t.Fatal(err)
			}
			if tc.fault != nil {
				api.FailNext(1, *tc.fault)
			}
			var (
				mu       sync.Mutex
				reported []error
				logs     syncBuffer
			)
			mux := &event.Mux{
				Dedupe: dedupe.NewMemory(dedupe.MemoryConfig{}),
				NewChatbotMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
					if tc.atLeastOnce {
						ctx = dedupe.AtLeastOnce(ctx)
					}
					_, err := client.SendBotMessage(ctx, m.Conversation.ID, sdk.BotText("سلام"))
					return err
				},
				OnUnfinished: func(ctx context.Context, e *event.Event, err error) {
					mu.Lock()
					reported = append(reported, err)
					mu.Unlock()
				},
				Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			}
			h := newMuxServer(t, mux)
			if w := serve(h, divarRequest("/divar/events", botStart)); w.Code != tc.first {
				t.Fatalf("the first delivery: %d, want %d: %s", w.Code, tc.first, w.Body)
			}
			if w := serve(h, divarRequest("/divar/events", botStart)); w.Code != http.StatusOK && w.Code != http.StatusConflict {
				t.Errorf("the redelivery: %d, want 200 or 409", w.Code)
			}
			if n := api.CallsTo("sendBotMessage"); n != tc.calls {
				t.Errorf("%d sendBotMessage calls, want %d", n, tc.calls)
			}
			if n := len(api.BotMessages("c-1")); n != tc.delivered {
				t.Errorf("Divar kept %d messages, want %d", n, tc.delivered)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.unfinished != (len(reported) == 1) || len(reported) > 1 {
				t.Fatalf("reported %v, want unfinished %t", reported, tc.unfinished)
			}
			if !tc.unfinished {
				return
			}
			if !errors.Is(reported[0], dedupe.ErrUnfinished) || !strings.Contains(reported[0].Error(), "NEW_CHATBOT_MESSAGE:m-1") {
				t.Errorf("reported %q, want ErrUnfinished naming the event", reported[0])
			}
			if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "event=NEW_CHATBOT_MESSAGE:m-1") {
				t.Errorf("the log does not say so at error level with the event:\n%s", logs.String())
			}
			if strings.Contains(logs.String(), divartest.APIKey) {
				t.Error("the API key is in the log")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestDuplicateDeliveryLogged: a delivery of an event handled already is
// acknowledged without running the handler, and says so at info level, so
// that a developer repeating an event sees why nothing happened.
func TestDuplicateDeliveryLogged(t *testing.T) {
	var logs syncBuffer
	runs := 0
	mux := &event.Mux{
		Dedupe:            dedupe.NewMemory(dedupe.MemoryConfig{}),
		NewChatbotMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error { runs++; return nil },
		Logger:            slog.New(slog.NewTextHandler(&logs, nil)),
	}
	h := newMuxServer(t, mux)
	for i := range 2 {
		if w := serve(h, divarRequest("/divar/events", botStart)); w.Code != http.StatusOK {
			t.Fatalf("delivery %d: %d", i+1, w.Code)
		}
	}
	if runs != 1 {
		t.Errorf("the handler ran %d times, want once", runs)
	}
	if n := strings.Count(logs.String(), "duplicate delivery"); n != 1 || !strings.Contains(logs.String(), "level=INFO") ||
		!strings.Contains(logs.String(), "event=NEW_CHATBOT_MESSAGE:m-1") {
		t.Errorf("the log does not say once, at info level with the event's key, that the duplicate was skipped:\n%s", logs.String())
	}
}

// TestClientSaysWhatWasNotSent: a message's error says when nothing can
// have reached Divar (dedupe.ErrNotSent), so that a handler may be run
// again, and only then.
func TestClientSaysWhatWasNotSent(t *testing.T) {
	over, cancel := context.WithCancel(context.Background())
	cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, tc := range []struct {
		name    string
		fault   *divartest.Fault
		nowhere bool
		msg     sdk.BotMessage
		notSent bool
		ctx     context.Context // context.Background() if nil
	}{
		{"refused before sending (too long)", nil, false, sdk.BotText(strings.Repeat("x", 10_000)), true, nil},
		{"no connection made", nil, true, sdk.BotText("x"), true, nil},
		{"429", ptr(divartest.TooManyRequests(time.Hour).On("sendBotMessage")), false, sdk.BotText("x"), true, nil},
		{"412 recipient blocked", ptr(divartest.RecipientBlocked().On("sendBotMessage")), false, sdk.BotText("x"), true, nil},
		{"500", ptr(divartest.ServerError(500).On("sendBotMessage")), false, sdk.BotText("x"), false, nil},
		{"no answer in time", ptr(divartest.Slow(time.Minute).On("sendBotMessage")), false, sdk.BotText("x"), false, nil},
		{"the context over before sending", nil, false, sdk.BotText("x"), true, over},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := divartest.NewAPI(t)
			if tc.fault != nil {
				api.FailNext(1, *tc.fault)
			}
			client, err := api.Client(divar.Config{Timeout: 200 * time.Millisecond, MaxRetries: 1})
			if err != nil {
				t.Fatal(err)
			}
			if tc.nowhere {
				client, err = divar.NewClient(divar.Config{APIKey: divartest.APIKey, BaseURL: closed, MaxRetries: -1})
				if err != nil {
					t.Fatal(err)
				}
			}
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			_, err = client.SendBotMessage(ctx, "c-1", tc.msg)
			if err == nil {
				t.Fatal("sent")
			}
			if got := errors.Is(err, dedupe.ErrNotSent); got != tc.notSent {
				t.Errorf("errors.Is(%q, dedupe.ErrNotSent) = %t, want %t", err, got, tc.notSent)
			}
		})
	}
}
