package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
)

func ExampleOpenServerLink() {
	// A chat button that makes Divar call the add-on's init callback with
	// this data as extra_data.
	b, _ := sdk.MarshalAnswer(sdk.OpenServerLink(sdk.Data{"step": "pay", "order": 42}))
	fmt.Println(string(b))
	// Output: {"open_server_link":{"data":{"order":42,"step":"pay"}}}
}

func ExampleReply() {
	answer := sdk.Reply(sdk.OpenDirectLink("https://addon.example/pay?order=42&x=1")).WithText("پرداخت")
	b, _ := sdk.MarshalAnswer(answer)
	fmt.Println(string(b))
	// Output: {"action":{"open_direct_link":"https://addon.example/pay?order=42&x=1"},"text_message":"پرداخت"}
}

func ExampleAction_Validate() {
	err := sdk.OpenDirectLink("/pay").Validate()
	fmt.Println(errors.Is(err, sdk.ErrInvalidAnswer))
	fmt.Println(err)
	// Output:
	// true
	// sdk: answer Divar would reject: /open_direct_link must be an absolute http(s) URL of 8 to 2048 characters
}

func ExampleCheckKey() {
	keys := sdk.SplitKeys("new-key, old-key") // as in KENAR_IDENTIFICATION_KEY
	fmt.Println(sdk.CheckKey("old-key", keys...))
	fmt.Println(sdk.CheckKey("Bearer new-key", keys...))
	fmt.Println(sdk.CheckKey("", keys...))
	// Output:
	// <nil>
	// sdk: the identification key is not one of the add-on's keys
	// sdk: no identification key in the Authorization header
}

// exampleAddon answers every callback; a real add-on fills these in.
type exampleAddon struct{}

func (exampleAddon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return sdk.OpenURL("https://addon.example/landing?post=" + req.Body.PostToken), nil
}

func (exampleAddon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	if req.Body.Data().String("answer") == "yes" {
		return sdk.Reply(sdk.OpenServerLink(sdk.Data{"step": "start"})).WithText("بفرمایید"), nil
	}
	return sdk.TextMessage("باشد"), nil
}

func (exampleAddon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return sdk.EventAck{}, nil
}

func ExampleNewServer() {
	e, err := sdk.NewServer(sdk.ServerConfig{Spec: gen.GetSpec, Keys: []string{"my-key"}, Logger: discardLogger()})
	if err != nil {
		panic(err)
	}
	gen.RegisterHandlers(e, gen.NewStrictHandler(exampleAddon{}, nil))
	// In main: sdk.ListenAndServe(ctx, ":8080", e)

	for _, body := range []string{
		`{"touchpoint":"CHAT","post_token":"wZC44q5D","extra_data":{"answer":"yes"}}`,
		`{"touchpoint":"CHAT","post_token":"far-too-long-for-a-token"}`,
	} {
		r := httptest.NewRequest(http.MethodPost, "/divar/dynamic-action", strings.NewReader(body))
		r.Header.Set("Authorization", "my-key")
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Content-Type"))
		if w.Code == http.StatusOK {
			fmt.Println(w.Body)
			continue
		}
		var p sdk.Problem
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		fmt.Println(p.Errors[0])
	}
	// Output:
	// 200 application/json
	// {"action":{"open_server_link":{"data":{"step":"start"}}},"text_message":"بفرمایید"}
	// 400 application/problem+json
	// /post_token: must have at most 10 characters
}
