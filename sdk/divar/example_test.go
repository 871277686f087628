package divar_test

import (
	"context"
	"fmt"

	"github.com/kenarkit/kenarkit/gen/divarapi"
	"github.com/kenarkit/kenarkit/sdk/divar"

	"github.com/kenarkit/kenarkit/sdk"
	"golang.org/x/oauth2"
)

func ExampleClient_SendMessage() {
	client, err := divar.NewClient(divar.Config{APIKey: "the app's API key from the Kenar panel"})
	if err != nil {
		panic(err)
	}
	// The user's token, from the add-on's oauth2.Config (its TokenSource
	// refreshes it).
	user := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ory_at_…"})
	// A message Divar would refuse is refused before sending.
	err = client.SendMessage(context.Background(), user, "6b3d5cf7-9291-4fa9-892a-9d07e300daea", sdk.ChatText("").WithMedia(""))
	fmt.Println(err)
	// Output:
	// divar: ChatAPI_ConversationSendMessage: not sent: a request Divar would refuse: /message: a message carries a text or a media token; it has neither
}

// Do reaches an operation the client has no method for (one Divar added
// after kenarkit's pin, or a catalogue's) with the same key, retries and
// errors; gen/divarapi has the models.
func ExampleClient_Do() {
	client, err := divar.NewClient(divar.Config{APIKey: "the app's API key from the Kenar panel"})
	if err != nil {
		panic(err)
	}
	var cities divarapi.AssetsGetCitiesResponse
	err = client.Do(context.Background(), divar.Request{Path: "/v1/open-platform/assets/city"}, &cities)
	_ = err // a *divar.APIError naming Assets_GetCities when Divar refuses
}
