package event_test

import (
	"context"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/event"
)

// A Mux runs the handler of an event's type once, however many times
// Divar delivers the event.
func ExampleMux() {
	mux := &event.Mux{
		Dedupe: dedupe.NewMemory(dedupe.MemoryConfig{}),
		NewChatbotMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
			fmt.Println("bot message:", m.Text)
			return nil
		},
	}
	body := `{"type":"NEW_CHATBOT_MESSAGE","new_chatbot_message":{"id":"m-1","type":"TEXT","text":"/start MY_DIVAR",` +
		`"conversation":{"id":"c-1","type":"BOT"},"sender":{"type":"HUMAN"},"sent_at":1729429926140000}}`
	for range 2 { // Divar delivers it twice
		var e event.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			fmt.Println(err)
			return
		}
		if _, err := mux.Handle(context.Background(), &e); err != nil {
			fmt.Println(err)
		}
	}
	// An event no handler is set for is acknowledged and dropped.
	_, err := mux.Handle(context.Background(), &event.Event{Type: event.TypePostUpdate})
	fmt.Println("post update:", err)
	// Output:
	// bot message: /start MY_DIVAR
	// post update: <nil>
}
