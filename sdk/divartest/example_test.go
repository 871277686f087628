package divartest_test

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/server"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func Example() {
	t := &testing.T{} // in a test, the test's own t
	e, _ := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{divartest.Key}, Logger: discard()},
		gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&goodAddon{}, nil))

	divar := divartest.New(t, gen.GetSpec, e)
	answer := divar.OpenServerLink(divartest.OpenServerLink().PostToken("gZd7omnS"))
	fmt.Println(answer.URL)
	reply := divar.DynamicAction(divartest.DynamicAction().Data(sdk.Data{"answer": "no"}))
	fmt.Println(reply.TextMessage)
	fmt.Println(t.Failed())
	// Output:
	// https://addon.example/landing?post=gZd7omnS
	// باشد
	// false
}

func ExampleChecker_Check() {
	checker, _ := divartest.NewChecker(gen.GetSpec)
	answer := &divartest.Response{Status: 200, Header: map[string][]string{"Content-Type": {"application/json"}},
		Body: []byte(`{"action":{"open_direct_link":"/pay"},"text_message":"x"}`)}
	fmt.Println(checker.Check(divartest.DynamicAction(), answer))
	// Output:
	// Divar would reject the answer: POST /divar/dynamic-action: answer /action/open_direct_link must have at least 8 characters; Divar's schema refuses it; answer /action/open_direct_link is not an absolute http(s) URL; Divar's schema refuses it; /action/open_direct_link must be an absolute http(s) URL of 8 to 2048 characters
}
