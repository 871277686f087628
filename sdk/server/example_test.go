package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"
)

func ExampleCheckKey() {
	keys := server.SplitKeys("new-key, old-key") // as in KENAR_IDENTIFICATION_KEY
	fmt.Println(server.CheckKey("old-key", keys...))
	fmt.Println(server.CheckKey("Bearer new-key", keys...))
	fmt.Println(server.CheckKey("", keys...))
	// Output:
	// <nil>
	// server: the identification key is not one of the add-on's keys
	// server: no identification key in the Authorization header
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
	return event.Ack{}, nil
}

func ExampleNew() {
	e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{"my-key"}, Logger: slog.New(slog.DiscardHandler)}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(exampleAddon{}, nil))
	if err != nil {
		panic(err)
	}
	// In main: e.ListenAndServe(ctx, ":8080")

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
