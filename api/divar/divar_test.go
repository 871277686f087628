package divar_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/kenarkit/kenarkit/api/divar"
	"github.com/kenarkit/kenarkit/gen/divarapi"
	"github.com/kenarkit/kenarkit/internal/divarpin"
)

func TestPinnedIsValidOpenAPI3WithItsOrigin(t *testing.T) {
	doc, err := divarpin.Load(divar.Pinned)
	if err != nil {
		t.Fatalf("the pin does not load and validate as OpenAPI 3: %v", err)
	}
	if got := len(operations(doc)); got != 60 {
		t.Errorf("the pin has %d operations, want Divar's 60", got)
	}
	pin, err := divarpin.ReadPin(divar.Pinned)
	if err != nil {
		t.Fatalf("the pin's origin: %v", err)
	}
	t.Logf("pinned from %s %s at %s, sha256 %s", pin.Repository, pin.Path, pin.Commit, pin.SHA256)
}

func TestOverlayNamesOnlyWhatThePinHas(t *testing.T) {
	if err := divarpin.CheckOverlay(divar.Pinned, divar.Overlay); err != nil {
		t.Fatal(err)
	}
}

func TestMergedDescription(t *testing.T) {
	doc, err := divarpin.Merge(divar.Pinned, divar.Overlay)
	if err != nil {
		t.Fatal(err)
	}
	ops := operations(doc)
	if len(ops) != 60 {
		t.Fatalf("the merged description has %d operations, want 60", len(ops))
	}
	for name, op := range ops {
		for _, code := range []string{"200", "401", "403", "429"} {
			if op.Responses.Value(code) == nil {
				t.Errorf("%s: no %s response", name, code)
			}
		}
	}
	tests := []struct {
		name, op string
		want     [][]string // the OAuth scopes of each requirement; nil: none
	}{
		{"the user: USER_ID or USER_PHONE", "Finder_GetUser", [][]string{{"USER_ID"}, {"USER_PHONE"}}},
		{"a bot message in a conversation: the API key alone, or with the user's token", "ChatAPI_ChatBotSendMessage", [][]string{nil, {"CHAT_BOT_USER_MESSAGE_SEND"}}},
		{"a bot message to a user: the user's token", "ChatAPI_ChatBotSendMessage2", [][]string{{"CHAT_BOT_USER_MESSAGE_SEND"}}},
		{"a post add-on: the post's scope or all the user's posts", "Addons_CreatePostAddonV2", [][]string{{"POST_ADDON_CREATE.post_token"}, {"USER_POSTS_ADDON_CREATE"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := ops[tt.op]
			if op == nil || op.Security == nil {
				t.Fatalf("%s: no operation or no security", tt.op)
			}
			var got [][]string
			for _, req := range *op.Security {
				if _, ok := req["APIKey"]; !ok {
					t.Errorf("a requirement without the API key: %v", req)
				}
				got = append(got, req["OAuth"])
			}
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("OAuth requirements %q, want %q", got, tt.want)
			}
		})
	}
	if p := doc.Components.Schemas["chatapiChatButtonGrid"].Value.Properties["rows"].Value.MaxItems; p == nil || *p != 3 {
		t.Errorf("button grid rows: maxItems %v, want 3", p)
	}
}

// The generated client's embedded description is the pin with the overlay
// applied: gen/divarapi was generated from these two files as they are
// (CI's generated-code step also regenerates it and compares).
func TestGeneratedFromPinAndOverlay(t *testing.T) {
	merged, err := divarpin.Merge(divar.Pinned, divar.Overlay)
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := divarapi.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	// oapi-codegen embeds each operationId as the Go name it gave it.
	for _, op := range operations(merged) {
		op.OperationID = strings.ReplaceAll(op.OperationID, "_", "")
	}
	a, _ := json.Marshal(merged)
	b, _ := json.Marshal(embedded)
	if !bytes.Equal(a, b) {
		t.Fatal("gen/divarapi's embedded description is not api/divar's pin with its overlay: run go generate ./...")
	}
}

// Description, which the client and divartest route and check by, is the
// merged document itself, Divar's operationIds and all, without the
// overlay library at run time.
func TestDescriptionIsTheMergedDocument(t *testing.T) {
	merged, err := divarpin.Merge(divar.Pinned, divar.Overlay)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := divar.Description()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(merged)
	b, _ := json.Marshal(desc)
	if !bytes.Equal(a, b) {
		t.Fatal("divar.Description() is not the pin with its overlay")
	}
	if op := operations(desc)["ChatAPI_ConversationSendMessage"]; op == nil {
		t.Fatal("no ChatAPI_ConversationSendMessage: the pin's operationIds are not restored")
	}
}

// operations maps each operation's id to it.
func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			out[op.OperationID] = op
		}
	}
	return out
}
