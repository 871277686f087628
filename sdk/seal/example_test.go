package seal_test

import (
	"fmt"
	"time"

	"github.com/kenarkit/kenarkit/sdk/seal"
)

func ExampleSealer() {
	keys, err := seal.ParseKeys("SGVyZSBhcmUgdGhpcnR5LXR3byBieXRlcyBvZiBrZXk=") // from SESSION_KEYS
	if err != nil {
		panic(err)
	}
	sealer, _ := seal.New(keys...)

	type state struct {
		PostToken string `json:"p"`
	}
	token, _ := sealer.Seal(state{PostToken: "wZC44q5D"}, 30*time.Minute)

	var s state
	fmt.Println(sealer.Open(token, &s), s.PostToken)
	fmt.Println(sealer.Open(token[:len(token)-2], &s))
	// Output:
	// <nil> wZC44q5D
	// seal: invalid token
}
