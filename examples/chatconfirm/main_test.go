package main

import (
	"log/slog"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// TestTheEnvironmentReachesTheClient runs the add-on as main configures
// it, from variables: KENAR_API_KEY and KENAR_API_URL make it send to that
// API with that key; without the key it sends nothing.
func TestTheEnvironmentReachesTheClient(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  string
		sent int
	}{
		{"with KENAR_API_KEY", divartest.APIKey, 1},
		{"without KENAR_API_KEY", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := divartest.NewAPI(t)
			vars := map[string]string{
				addonenv.KeyVar:    divartest.Key,
				addonenv.APIKeyVar: tc.key,
				addonenv.APIURLVar: api.URL(),
			}
			env, err := addonenv.Load(func(k string) string { return vars[k] })
			if err != nil {
				t.Fatal(err)
			}
			_, divar := divartest.Start(t, gen.GetSpec, func(publicURL string) (*server.Server, error) {
				env.PublicURL = publicURL
				return newServer(env, slog.New(slog.DiscardHandler))
			})
			divar.Event(divartest.Event(event.TypeNewChatbotMessage).Message(map[string]any{
				"conversation": map[string]any{"id": conversation, "type": "BOT"},
			}))
			if n := len(api.BotMessages(conversation)); n != tc.sent {
				t.Errorf("Divar's API got %d messages, want %d", n, tc.sent)
			}
		})
	}
}
