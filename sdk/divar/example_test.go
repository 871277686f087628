package divar_test

import (
	"context"
	"fmt"

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
	err = client.SendMessage(context.Background(), user, "6b3d5cf7-9291-4fa9-892a-9d07e300daea", sdk.ChatText(""))
	fmt.Println(err)
	// Output:
	// divar: sendConversationMessage: not sent: a request Divar would refuse: /message: is empty
}
