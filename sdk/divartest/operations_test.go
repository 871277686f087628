package divartest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/event"
)

// minimalBodies are the smallest bodies Divar's description accepts where
// the required properties are not one (a message needs its text or a
// media).
var minimalBodies = map[string]string{
	"ChatAPI_ConversationSendMessage": `{"message":"x"}`,
	"ChatAPI_ChatBotSendMessage":      `{"text_message":"x"}`,
	"ChatAPI_ChatBotSendMessage2":     `{"text_message":"x"}`,
	// a payment's id is a UUIDv4 and a ticket is validated for its user
	// (Divar's payment pages, in prose)
	"Payment_ReorderPost":      `{"id":"` + walletID + `"}`,
	"Payment_RenewPost":        `{"id":"` + walletID + `"}`,
	"Payment_PublishUserPost":  `{"id":"` + walletID + `"}`,
	"Payment_PayPostPromotion": `{"id":"` + walletID + `","operation":"PROMOTION_OPERATION_REORDER"}`,
	"PaymentTicket_Validate":   `{"ticket_uuid":"` + walletID + `","user_id":"u1","service_cost":1}`,
	// a phone the fake knows (the test's user's)
	"Finder_GetUserIDByPhone": `{"phone":"09120000000"}`,
}

// walletID is the UUIDv4 of the payments, the ticket and the transaction
// walletState gives the fake.
const walletID = "550e8400-e29b-41d4-a716-446655440000"

// walletState gives the fake's wallet what a call of the operation opID
// needs to be paid or found: every service of the post available, a ticket
// walletID for the user u1 and, for a transaction's lookup, the
// transaction id.
func walletState(api *API, opID, post, id string) {
	api.SetPricing(post, divar.Pricing{
		Reorder: divar.Price{CostRials: 1, Available: true},
		Submit:  divar.Price{CostRials: 1, Available: true},
		Renew:   divar.Price{CostRials: 1, Available: true},
	})
	api.AddPaymentTicket(walletID, "u1", 1)
	if opID == "Payment_GetTransaction" {
		api.mu.Lock()
		defer api.mu.Unlock()
		api.pay.tx[id] = &event.PaymentTransaction{ID: id, CostRials: 1, State: event.TransactionCompleted,
			Type: event.TransactionReorder, AppSlug: "divartest", CreatedAt: "2026-08-16T00:00:00Z"}
		api.pay.order = append(api.pay.order, id)
	}
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
				api.SetUser("tok", divar.User{ID: id, PhoneNumber: "09120000000"})
				api.ids[id] = true // a user add-on to delete
				api.Conversation(id, id)
				api.AddPost("tok", divar.Post{Token: id})
				walletState(api, op.OperationID, id, id)
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

// docsExamples are the request examples of Divar's doc pages
// (testdata/kenar-docs-examples.json, from divar-ir/kenar-docs).
type docsExamples struct {
	Commit   string `json:"commit"`
	Examples []struct {
		Doc    string         `json:"doc"`
		Method string         `json:"method"`
		Path   string         `json:"path"`
		Query  string         `json:"query"`
		Body   jsontext.Value `json:"body"`
	} `json:"examples"`
}

// exampleValues fill the placeholders of the examples' paths.
var exampleValues = map[string]string{
	"post_token": "gZd7omnS", "token": "gZd7omnS", "conversation_id": "edbb9499-cccc-4d35-b21f-621fa95f2b3e",
	"user_id": "u1", "divar-user-id": "u1", "id": "550e8400-e29b-41d4-a716-446655440000", "uuid": "550e8400-e29b-41d4-a716-446655440000",
	"business_token": "biz1", "category_slug": "apartment-rent", "phone": "09120000000", "next_page_token": "",
}

// exampleDepartures are the examples of Divar's pages that Divar's own
// description refuses, by page and method and path, with why: the fake
// holds them to the description.
var exampleDepartures = map[string]struct {
	status int
	why    string
}{
	"docs/addons/business_addons.md POST /v2/open-platform/addons/business/{business_token}":           {404, "the description has it at /v1/open-platform/addons/business/{business_token}"},
	"docs/chat/users_conversations.md POST /v2/open-platform/conversations/{conversation_id}/messages": {400, "its icons are placeholders (\"نام آیکون\") and REAL_STATE, none of them in DivarIconsIconName"},
	"docs/management/api-keys.md POST /v1/open-platform/finder/post/{token}":                           {405, "the description has GET only"},
	"docs/oauth/ReadMe.md POST /v1/open-platform/oauth/access_token":                                   {404, "the OAuth server's, not the API's (oauth.divar.ir/oauth2/token)"},
	"docs/post/edit_post_v2.md PUT /v2/open-platform/post/{post_token}":                                {400, "the description requires every general_data field even beside an update_mask"},
	"docs/post/submit_post.md PUT /v2/open-platform/post/{post_token}":                                 {400, "the description requires every general_data field even for a partial edit"},
	"docs/post/search_post.md POST /v2/open-platform/finder/post":                                      {400, "its ranges are JSON numbers; the description's are int64 strings"},
	"docs/semantic/user_semantic_create.md POST /v1/open-platform/semantic/user/{phone}":               {404, "the description has /v1/open-platform/semantic/users/{divar_user_id}"},
	"docs/semantic/user_semantic_delete.md DELETE /v1/open-platform/semantic/user/{phone}":             {404, "the description has /v1/open-platform/semantic/users/{divar_user_id}"},
	"docs/widgets/image.md PUT /v2/image-service/open-platform/image.jpg":                              {404, "the upload host's, not the API's"},
	"docs/widgets/image.md POST /v2/open-platform/add-ons/post/AZqfx5i2":                               {404, "an old path; the description has /v2/open-platform/addons/post/{token}"},
}

// TestDivarsDocExamplesAreAccepted sends each request example of Divar's
// doc pages to the fake, with a token holding every scope the operation
// names: each is answered 200, or refused as exampleDepartures says Divar's
// description refuses it.
func TestDivarsDocExamplesAreAccepted(t *testing.T) {
	b, err := os.ReadFile("testdata/kenar-docs-examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var ex docsExamples
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	desc, err := divarDescription()
	if err != nil {
		t.Fatal(err)
	}
	placeholder := regexp.MustCompile(`\{([^}]+)\}`)
	fill := func(s string) string {
		return placeholder.ReplaceAllStringFunc(s, func(m string) string { return exampleValues[m[1:len(m)-1]] })
	}
	for _, e := range ex.Examples {
		name := e.Doc + " " + e.Method + " " + e.Path
		if e.Query != "" {
			name += "?" + e.Query
		}
		t.Run(name, func(t *testing.T) {
			api := NewAPI(t)
			api.SetUser("tok", divar.User{ID: "u1"})
			api.Conversation(exampleValues["conversation_id"], exampleValues["post_token"])
			api.AddPost("tok", divar.Post{Token: exampleValues["post_token"]})
			api.ids[exampleValues["uuid"]] = true // the user add-on the example deletes
			u := api.URL() + fill(e.Path)
			if e.Query != "" {
				u += "?" + fill(e.Query)
			}
			req, _ := http.NewRequest(e.Method, u, bytes.NewReader(e.Body))
			var scopes []string
			if route, params, err := desc.router.FindRoute(httptest.NewRequest(e.Method, fill(e.Path), nil)); err == nil {
				for _, alt := range desc.needOf(route.Operation).alternatives {
					for _, s := range alt {
						if name, p, bound := strings.Cut(s, "."); bound {
							s = name + "." + api.bind(p, &call{params: params, body: e.Body})
						}
						scopes = append(scopes, s)
					}
				}
			}
			api.Token("tok", scopes...)
			if route, _, err := desc.router.FindRoute(httptest.NewRequest(e.Method, fill(e.Path), nil)); err == nil {
				walletState(api, route.Operation.OperationID, exampleValues["post_token"], exampleValues["id"])
			}
			req.Header.Set("X-API-Key", APIKey)
			req.Header.Set("Authorization", "Bearer tok")
			if e.Method == http.MethodPost || e.Method == http.MethodPut {
				req.Header.Set("Content-Type", "application/json") // as every example of Divar's sends it
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			answer, _ := io.ReadAll(resp.Body)
			want, departs := exampleDepartures[name]
			switch {
			case !departs && resp.StatusCode != http.StatusOK:
				t.Errorf("Divar's example refused: %d %s", resp.StatusCode, answer)
			case departs && resp.StatusCode != want.status:
				t.Errorf("answered %d %s; want %d: %s", resp.StatusCode, answer, want.status, want.why)
			}
		})
	}
	if len(ex.Examples) < 30 {
		t.Errorf("only %d examples", len(ex.Examples))
	}
}
