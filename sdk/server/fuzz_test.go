package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
)

// limitsAddon fails the fuzz run when a request that breaks the spec's
// limits reaches a handler.
type limitsAddon struct{ t *testing.T }

var _ gen.StrictServerInterface = (*limitsAddon)(nil)

func (a *limitsAddon) check(field string, s string, max int) {
	if n := utf8.RuneCountInString(s); n > max {
		a.t.Fatalf("%s of %d characters (limit %d) reached the handler", field, n, max)
	}
}

func (a *limitsAddon) OpenServerLink(ctx context.Context, req gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	b := req.Body
	a.check("return_url", b.ReturnURL, 2048)
	a.check("completion_url", b.CompletionURL, 2048)
	a.check("source", string(b.Source), 20)
	a.check("post_token", b.PostToken, 10)
	a.check("conversation_id", b.ConversationID, 64)
	a.check("user_side", string(b.UserSide), 50)
	a.check("user_id", b.UserID, 64)
	return sdk.OpenURL("https://addon.example/x"), nil
}

func (a *limitsAddon) DynamicAction(ctx context.Context, req gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	b := req.Body
	a.check("touchpoint", string(b.Touchpoint), 64)
	a.check("post_token", b.PostToken, 10)
	a.check("conversation_id", b.ConversationID, 64)
	a.check("user_side", string(b.UserSide), 50)
	a.check("user_id", b.UserID, 64)
	return sdk.TextMessage("ok"), nil
}

func (a *limitsAddon) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	a.check("type", string(req.Body.Type), 64)
	if m := req.Body.Message(); m != nil {
		a.check("text", m.Text, 65536)
		a.check("id", m.ID, 128)
	}
	return event.Ack{}, nil
}

// FuzzRequest sends arbitrary bodies to each operation of the server: no
// panic, no 5xx, every refusal a problem document, nothing over a limit
// reaches a handler.
func FuzzRequest(f *testing.F) {
	for _, seed := range []string{seedOpenServerLink, currentOpenServerLink, seedDynamicAction, seedEvent,
		`{}`, `[]`, `{"post_token":"0123456789a"}`, `{"POST_TOKEN":"0123456789a"}`, `{"a":1,"a":2}`,
		`{"extra_data":{"x":[1,{"y":null}]}}`, `{"new_message":{"sent_at":-1}}`, `{"user_side":null}`} {
		for op := range 3 {
			f.Add(uint8(op), seed)
		}
	}
	addon := &limitsAddon{} // the fuzz function runs one input at a time
	e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{testKey}, Logger: discardLogger()}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(addon, nil))
	if err != nil {
		f.Fatal(err)
	}
	paths := []string{"/divar/open-server-link", "/divar/dynamic-action", "/divar/events"}
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		addon.t = t
		w := serve(e, divarRequest(paths[int(op)%len(paths)], body))
		switch {
		case w.Code == http.StatusOK:
		case w.Code >= 400 && w.Code < 500:
			if ct := w.Header().Get("Content-Type"); ct != sdk.ProblemContentType {
				t.Fatalf("%d answered as %q", w.Code, ct)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if len(body) > 8 && w.Code != http.StatusOK && strings.Contains(w.Body.String(), body) {
			t.Fatalf("the answer repeats the body")
		}
	})
}

// FuzzRawData: reading a member in place agrees with decoding the whole
// object, and nothing panics on any input.
func FuzzRawData(f *testing.F) {
	f.Add([]byte(`{"your_key_1":"your value","n":2,"nested":{"answer":"no"}}`), "your_key_1")
	f.Add([]byte(`{"esc\u0061ped":"x\u0079z","a":[1,{"b":null}]}`), "escaped")
	f.Add([]byte(`{"a":`), "a")
	f.Add([]byte(`null`), "")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		d := sdk.RawData(data)
		got, has := d.String(key), d.Has(key)
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil || m == nil {
			return // not an object: String and Has must only not panic
		}
		want, _ := m[key].(string)
		_, wantHas := m[key]
		if got != want || has != wantHas {
			t.Errorf("String(%q) = %q, Has = %v; decoding gives %q, %v", key, got, has, want, wantHas)
		}
		if mm := d.Map(); len(mm) != len(m) {
			t.Errorf("Map has %d members, want %d", len(mm), len(m))
		}
	})
}

// FuzzEventDecode: an event decodes without panicking; any JSON object is
// an event (never an error), its Raw is what was sent, and a member that
// does not fit its type is named by Mismatch rather than refused.
func FuzzEventDecode(f *testing.F) {
	for _, s := range []string{seedEvent, `{}`, `{"type":7}`, `{"post_update":[1]}`, `{"new_message":{"sent_at":"x"}}`, `[1]`, `{"a":` + "\xff" + `}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e event.Event
		err := json.Unmarshal(b, &e)
		var v map[string]any
		isObject := json.Unmarshal(b, &v) == nil
		if isObject && err != nil {
			t.Fatalf("a JSON object was refused: %v", err)
		}
		if err == nil && string(e.Raw()) != strings.TrimSpace(string(b)) && json.Unmarshal(e.Raw(), &v) != nil {
			t.Fatalf("Raw() = %q, not the object sent", e.Raw())
		}
	})
}
