package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

func start(t *testing.T) (*httptest.Server, *divartest.Divar) {
	t.Helper()
	return divartest.Start(t, gen.GetSpec, func(publicURL string) (*server.Server, error) {
		return newServer(addonenv.Env{Keys: []string{divartest.Key}, PublicURL: publicURL}, slog.New(slog.DiscardHandler))
	})
}

func TestButtonAnswers(t *testing.T) {
	_, divar := start(t)
	for _, tc := range []struct {
		name string
		data sdk.Data
		want string // the answer, byte for byte
	}{
		{"yes", sdk.Data{"answer": "yes"}, `{"action":{"open_server_link":{"data":{"confirmed":true}}},"text_message":"` + TextYes + `"}`},
		{"no", sdk.Data{"answer": "no"}, `{"text_message":"` + TextNo + `"}`},
		{"unknown answer", sdk.Data{"answer": "maybe"}, `{"text_message":"` + TextUnknown + `"}`},
		{"answer not a string", sdk.Data{"answer": 1}, `{"text_message":"` + TextUnknown + `"}`},
		{"no data", nil, `{"text_message":"` + TextUnknown + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call := divartest.DynamicAction().Data(tc.data)
			if tc.data == nil {
				call.Without("extra_data")
			}
			resp := divar.Call(call) // fails unless Divar accepts the answer
			if string(resp.Body) != tc.want {
				t.Errorf("answer\n%s\nwant\n%s", resp.Body, tc.want)
			}
		})
	}
}

func TestYesOpensTheWelcomePage(t *testing.T) {
	srv, divar := start(t)
	// Divar runs the action "yes" answered: the init callback with its data.
	answer := divar.OpenServerLink(divartest.OpenServerLink().Data(sdk.Data{"confirmed": true}))
	if answer.URL != srv.URL+"/welcome?post=wZC44q5D" {
		t.Fatalf("url %q", answer.URL)
	}
	res, err := http.Get(answer.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	for _, want := range []string{`dir="rtl"`, "wZC44q5D", `href="` + sdk.CompletionURL + `"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestButtonsMessage(t *testing.T) {
	srv, _ := start(t)
	res, err := http.Get(srv.URL + "/buttons")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	want := `{"text_message":"آیا مایلید ادامه دهید؟","buttons":{"rows":[{"buttons":[` +
		`{"action":{"get_dynamic_action":{"data":{"answer":"yes"}}},"caption":"بله"},` +
		`{"action":{"get_dynamic_action":{"data":{"answer":"no"}}},"caption":"خیر"}]}]}}`
	if string(b) != want {
		t.Errorf("buttons\n%s\nwant\n%s", b, want)
	}
	if err := ConfirmMessage().Validate(); err != nil {
		t.Error(err)
	}
}

func TestEventsAreAcknowledged(t *testing.T) {
	_, divar := start(t)
	divar.Event(divartest.Event(event.TypeNewChatbotMessage))
}
