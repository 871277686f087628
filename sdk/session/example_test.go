package session_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/session"
)

func ExampleHandoff() {
	ctx := context.Background()
	keys, _ := seal.ParseKeys("SGVyZSBhcmUgdGhpcnR5LXR3byBieXRlcyBvZiBrZXk=") // from SESSION_KEYS
	h, _ := session.New(session.Config{Keys: keys})

	type landing struct {
		PostToken string `json:"p"`
		Note      string `json:"n,omitempty"`
	}
	// In the init callback: the URL to answer, the context sealed in it...
	small, _ := h.URL(ctx, "https://addon.example/landing", landing{PostToken: "wZC44q5D"})
	// ...or, when that would pass 2048 characters, kept in the Store.
	large, _ := h.URL(ctx, "https://addon.example/landing", landing{PostToken: "wZC44q5D", Note: strings.Repeat("x", 4000)})
	fmt.Println(len(small), len(large))

	// In the landing page: the token from the URL.
	for _, u := range []string{small, large} {
		var s landing
		token := u[strings.Index(u, "?"+session.Param+"=")+3:]
		fmt.Println(h.Open(ctx, token, &s), s.PostToken, len(s.Note))
	}
	// Output:
	// 108 55
	// <nil> wZC44q5D 0
	// <nil> wZC44q5D 4000
}
