package divartest

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk/divar"
)

// minimalBodies are the smallest bodies Divar's description accepts where
// the required properties are not one (a message needs its text or a
// media).
var minimalBodies = map[string]string{
	"ChatAPI_ConversationSendMessage": `{"message":"x"}`,
	"ChatAPI_ChatBotSendMessage":      `{"text_message":"x"}`,
	"ChatAPI_ChatBotSendMessage2":     `{"text_message":"x"}`,
}

// TestEveryOperationOfDivarsDescriptionIsAnswered: each of the 60
// operations of Divar's description, called as it describes (its path with
// every parameter set, its required query parameters and body members, the
// key holding every permission, a token holding every scope its security
// names), is answered 200 with a body of its
// response schema (the fake fails the test on an answer that breaks it).
func TestEveryOperationOfDivarsDescriptionIsAnswered(t *testing.T) {
	desc, err := divarDescription()
	if err != nil {
		t.Fatal(err)
	}
	const id = "gZd7omnS"
	param := regexp.MustCompile(`\{[^}]+\}`)
	n := 0
	for path, item := range desc.doc.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			t.Run(op.OperationID, func(t *testing.T) {
				api := NewAPI(t)
				var scopes []string
				for _, alt := range desc.needOf(op).alternatives {
					for _, s := range alt {
						name, _, bound := strings.Cut(s, ".")
						if bound {
							s = name + "." + id
						}
						scopes = append(scopes, s)
					}
				}
				api.Token("tok", scopes...)
				api.SetUser("tok", divar.User{ID: id})
				api.Conversation(id, id)
				api.AddPost("tok", divar.Post{Token: id})
				body := minimalBodies[op.OperationID]
				if body == "" && op.RequestBody != nil {
					b, _ := json.Marshal(sample(op.RequestBody.Value.Content.Get("application/json").Schema, 0, true))
					body = string(b)
				}
				query := url.Values{}
				for _, p := range op.Parameters {
					if p.Value.In == "query" && p.Value.Required {
						query.Set(p.Value.Name, fmt.Sprint(sample(p.Value.Schema, 0, true)))
					}
				}
				u := api.URL() + param.ReplaceAllString(path, id) + "?" + query.Encode()
				req, _ := http.NewRequest(method, u, strings.NewReader(body))
				req.Header.Set("X-API-Key", APIKey)
				req.Header.Set("Authorization", "Bearer tok")
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var answer any
				if err := json.UnmarshalRead(resp.Body, &answer); err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("%s %s: %d %v (%v)", method, path, resp.StatusCode, answer, err)
				}
			})
		}
	}
	if n != 60 {
		t.Errorf("Divar's description has %d operations, want 60", n)
	}
}
