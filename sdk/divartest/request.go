package divartest

import (
	"bytes"
	"maps"
	"net/http"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk"
)

// Key is the identification key the kit sends unless a request sets
// another: build the add-on under test with it.
const Key = "divartest-identification-key"

// Kind says which of Divar's calls a [Request] is.
type Kind string

// The calls Divar makes.
const (
	KindOpenServerLink Kind = "open-server-link"
	KindDynamicAction  Kind = "dynamic-action"
	KindEvent          Kind = "event"
)

// path is where the spec describes the call.
func (k Kind) path() string {
	switch k {
	case KindOpenServerLink:
		return server.OpenServerLinkPath
	case KindDynamicAction:
		return server.DynamicActionPath
	}
	return server.EventsPath
}

// Request is one call of Divar's, built from a seed example and changed by
// its setters, which return the Request so that calls chain. Build it with
// [OpenServerLink], [DynamicAction] or [Event].
type Request struct {
	kind    Kind
	path    string
	key     string
	version string
	body    map[string]any
	raw     []byte // replaces body when set
	current bool   // send API-Version, the current documentation's header
}

// OpenServerLink returns the init callback of the seed ("Open Server Link").
func OpenServerLink() *Request {
	return &Request{kind: KindOpenServerLink, path: server.OpenServerLinkPath, key: Key, version: "2", body: map[string]any{
		"return_url":      "https://divar.ir/",
		"source":          "POST_ADDON",
		"post_token":      "wZC44q5D",
		"conversation_id": "6b3d5cf7-9291-4fa9-892a-9d07e300daea",
		"user_side":       "Supply",
		"extra_data":      map[string]any{"your_key_1": "your value", "your_key_2": "your value"},
		"user_id":         SeedUserID,
	}}
}

// DynamicAction returns the dynamic-action callback of the seed ("Dynamic
// Action").
func DynamicAction() *Request {
	return &Request{kind: KindDynamicAction, path: server.DynamicActionPath, key: Key, version: "2", body: map[string]any{
		"touchpoint":      "CHAT",
		"post_token":      "wZC44q5D",
		"conversation_id": "6b3d5cf7-9291-4fa9-892a-9d07e300daea",
		"user_side":       "SUPPLY",
		"extra_data":      map[string]any{"your_key_1": "your value", "your_key_2": "your value"},
	}}
}

// EventTypes are the event types kenarkit knows ([event.Types]), each
// of which [Event] has an example of.
var EventTypes = event.Types()

// Event returns an event webhook of type t with Divar's documented example
// payload; an unknown t gets no payload (Divar's newer events look so to an
// older add-on).
func Event(t event.Type) *Request {
	body := map[string]any{"type": string(t), "metadata": map[string]any{"key": "value"}}
	message := func(conversation string) map[string]any {
		return map[string]any{
			"id":           "e7a0c1d6-58b4-4b3a-9f5e-3c2a1b0d9e8f",
			"conversation": map[string]any{"id": "edbb3a24-1c4d-4e8b-a3f2-0b9c8d7e6f5a", "type": conversation, "post_token": "gZd7omnS"},
			"sender":       map[string]any{"side": "BUYER", "type": "HUMAN"},
			"type":         "TEXT",
			"sent_at":      int64(1729429926140000),
			"text":         "Hello!",
		}
	}
	switch t {
	case event.TypeNewMessage:
		body["new_message"] = message("POST")
	case event.TypeNewChatbotMessage:
		m := message("BOT")
		m["text"] = "/start MY_POST gZd7omnS"
		body["new_chatbot_message"] = m
	case event.TypeUserAccessRevocation:
		body["user_access_revocation"] = map[string]any{"user_id": SeedUserID}
	case event.TypePostUpdate:
		body["post_update"] = map[string]any{"type": "PUBLISH", "post": map[string]any{
			"token": "gZd7omnS", "category": "light", "city": "tehran", "district": "vanak",
			"is_phone_hidden": false, "chat_enabled": true, "first_published_at": "2024-10-20T13:12:06Z",
		}}
	case event.TypePaymentTransaction:
		body["payment_transaction"] = map[string]any{
			"id": "2f1c5a9e-7d3b-4e6a-8c0f-1b2a3d4e5f60", "cost_rials": int64(1500000),
			"extra_details": "reorder gZd7omnS", // a string (kenar-docs docs/events/payment.md)
			"state":         event.TransactionCompleted, "type": event.TransactionReorder,
		}
	}
	return &Request{kind: KindEvent, path: server.EventsPath, key: Key, body: body}
}

// Kind returns which call r is.
func (r *Request) Kind() Kind { return r.kind }

// Path sets the path the call goes to (the add-on may serve Divar's calls
// elsewhere than kenarkit's defaults).
func (r *Request) Path(p string) *Request { r.path = p; return r }

// Key sets the Authorization header; "" sends none.
func (r *Request) Key(k string) *Request { r.key = k; return r }

// APIVersion sets the API_VERSION header; "" sends none.
func (r *Request) APIVersion(v string) *Request { r.version = v; return r }

// Set sets a top-level member of the body to v (any JSON value; nil is
// null), for fields that have no setter of their own.
func (r *Request) Set(field string, v any) *Request { r.body[field] = v; return r }

// Without removes top-level members from the body.
func (r *Request) Without(fields ...string) *Request {
	for _, f := range fields {
		delete(r.body, f)
	}
	return r
}

// Body replaces the whole body with raw bytes, sent as they are (to test
// how an add-on refuses a malformed call).
func (r *Request) Body(raw string) *Request { r.raw = []byte(raw); return r }

// PostToken sets post_token.
func (r *Request) PostToken(t string) *Request { return r.Set("post_token", t) }

// ConversationID sets conversation_id.
func (r *Request) ConversationID(id string) *Request { return r.Set("conversation_id", id) }

// UserSide sets user_side.
func (r *Request) UserSide(s sdk.UserSide) *Request { return r.Set("user_side", string(s)) }

// UserID sets user_id.
func (r *Request) UserID(id string) *Request { return r.Set("user_id", id) }

// Source sets source (init callback).
func (r *Request) Source(s sdk.Source) *Request { return r.Set("source", string(s)) }

// Touchpoint sets touchpoint (dynamic action).
func (r *Request) Touchpoint(t sdk.Touchpoint) *Request { return r.Set("touchpoint", string(t)) }

// Data sets extra_data, the data the add-on put in its action.
func (r *Request) Data(d sdk.Data) *Request { return r.Set("extra_data", map[string]any(d)) }

// ReturnURL sets return_url (init callback).
func (r *Request) ReturnURL(u string) *Request { return r.Set("return_url", u) }

// CurrentNames switches an init callback to the field names of Divar's
// current documentation: completion_url (the fixed completion address)
// for return_url, provider_data for extra_data, and the API-Version header.
func (r *Request) CurrentNames() *Request {
	r.Without("return_url").Set("completion_url", sdk.CompletionURL)
	if d, ok := r.body["extra_data"]; ok {
		r.Without("extra_data").Set("provider_data", d)
	}
	r.version = "" // sent as API-Version instead, see HTTPRequest
	r.current = true
	return r
}

// Message changes the chat message of a NEW_MESSAGE or NEW_CHATBOT_MESSAGE
// event: its members are merged into the message (text, type, id, …).
func (r *Request) Message(members map[string]any) *Request {
	for _, k := range []string{"new_message", "new_chatbot_message"} {
		if m, ok := r.body[k].(map[string]any); ok {
			maps.Copy(m, members)
		}
	}
	return r
}

// JSON returns the body as sent.
func (r *Request) JSON() []byte {
	if r.raw != nil {
		return r.raw
	}
	b, err := json.Marshal(r.body, json.Deterministic(true))
	if err != nil {
		panic("divartest: the body does not encode: " + err.Error())
	}
	return b
}

// HTTPRequest returns r as an *http.Request to baseURL ("" for a request
// served in-process): POST, Content-Type application/json, the key, the
// version header and the body.
func (r *Request) HTTPRequest(baseURL string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, baseURL+r.path, bytes.NewReader(r.JSON()))
	if err != nil {
		panic("divartest: " + err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "divartest (kenarkit)")
	if r.key != "" {
		req.Header.Set("Authorization", r.key)
	}
	switch {
	case r.current:
		req.Header.Set("API-Version", "2")
	case r.version != "":
		req.Header["API_VERSION"] = []string{r.version} // as Divar spells it, not canonicalised
	}
	return req
}
