package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// The conversation the tests' user opened the chat bot in.
const conversation = "bot-conv-7f3a"

// botPath is where the add-on sends a chat-bot message into conversation.
const botPath = "/v1/open-platform/chat/bot/conversations/" + conversation + "/messages"

// wantQuestion is the question on the wire, byte for byte: Divar's
// ChatAPIChatBotSendMessageBody (kenar-docs static/openapi-v3.json;
// docs/chat/chatbot_conversations.md shows the same shape, with a "type"
// the schema does not have) holding one row of the two buttons, each
// chatapiChatButton with an addonsAction.
const wantQuestion = `{"text_message":"آیا مایلید ادامه دهید؟","buttons":{"rows":[{"buttons":[` +
	`{"action":{"get_dynamic_action":{"data":{"answer":"yes"}}},"caption":"بله"},` +
	`{"action":{"get_dynamic_action":{"data":{"answer":"no"}}},"caption":"خیر"}]}]}}`

// chat is the add-on under test between the two halves of a fake Divar:
// divar calls the add-on; the add-on calls api, through wire, which keeps
// the bodies as they crossed the network.
type chat struct {
	srv   *httptest.Server
	divar *divartest.Divar
	api   *divartest.API
	wire  *wire
	logs  *logs
}

type chatOptions struct {
	noAPIKey bool
	// redelivery serves the add-on without divartest.ValidateResponses,
	// which fails a test at any 5xx answer to one of Divar's calls (a user
	// would see an error); for an event, a 5xx is how the add-on asks
	// Divar to deliver it again (event.Mux), and the test checks it.
	redelivery bool
	// hold, when set, keeps each chat-bot message at the wire, after
	// signalling arrived, until hold is closed.
	hold, arrived chan struct{}
	// answer, when set, is what the wire answers (200) instead of Divar.
	answer string
}

func startChat(t *testing.T, o chatOptions) *chat {
	t.Helper()
	c := &chat{api: divartest.NewAPI(t), logs: &logs{}}
	c.wire = newWire(t, c.api.URL(), o)
	env := addonenv.Env{Keys: []string{divartest.Key}, APIKey: divartest.APIKey, APIURL: c.wire.url}
	if o.noAPIKey {
		env.APIKey = ""
	}
	logger := slog.New(slog.NewTextHandler(c.logs, nil))
	build := func(publicURL string) (*server.Server, error) {
		env.PublicURL = publicURL
		return newServer(env, logger)
	}
	if o.redelivery {
		c.srv = httptest.NewUnstartedServer(nil)
		e, err := build("http://" + c.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.srv.Config.Handler = e
		c.srv.Start()
		t.Cleanup(c.srv.Close)
		c.divar = divartest.Dial(t, gen.GetSpec, c.srv.URL)
	} else {
		c.srv, c.divar = divartest.Start(t, gen.GetSpec, build)
	}
	t.Cleanup(func() {
		if strings.Contains(c.logs.String(), divartest.APIKey) {
			t.Error("the API key is in the log")
		}
	})
	return c
}

// startEvent is Divar's event when the user opens the chat bot from their post.
func startEvent(messageID string) *divartest.Request {
	return divartest.Event(event.TypeNewChatbotMessage).Message(map[string]any{
		"id":           messageID,
		"conversation": map[string]any{"id": conversation, "type": "BOT"},
		"text":         "/start MY_POST gZd7omnS",
	})
}

func TestStartAsksAndTheTapsAreAnswered(t *testing.T) {
	c := startChat(t, chatOptions{})
	c.divar.Event(startEvent("m-1")) // Divar: the user opened the chat bot

	// Divar's API got the question, once, into the user's conversation.
	bodies := c.wire.bodies(botPath)
	if len(bodies) != 1 {
		t.Fatalf("%d chat-bot messages on the wire, want 1", len(bodies))
	}
	if bodies[0] != wantQuestion {
		t.Fatalf("the question on the wire\n%s\nwant\n%s", bodies[0], wantQuestion)
	}
	if got := c.api.BotMessages(conversation); len(got) != 1 {
		t.Fatalf("Divar accepted %d messages, want 1", len(got))
	}

	// The user taps each button: Divar sends the button's data back.
	var question sdk.BotMessage
	if err := json.Unmarshal([]byte(bodies[0]), &question); err != nil {
		t.Fatal(err)
	}
	buttons := question.Buttons.Rows[0].Buttons
	answers := map[string]string{
		"بله": `{"action":{"open_server_link":{"data":{"confirmed":true}}},"text_message":"` + TextYes + `"}`,
		"خیر": `{"text_message":"` + TextNo + `"}`,
	}
	if len(buttons) != len(answers) {
		t.Fatalf("%d buttons, want %d", len(buttons), len(answers))
	}
	for _, b := range buttons {
		t.Run(b.Caption, func(t *testing.T) {
			if b.Action.GetDynamicAction == nil {
				t.Fatalf("the button's action is not get_dynamic_action: %+v", b.Action)
			}
			tap := divartest.DynamicAction().Data(b.Action.GetDynamicAction.Data).ConversationID(conversation)
			resp := c.divar.Call(tap) // fails unless Divar accepts the answer
			if want := answers[b.Caption]; string(resp.Body) != want {
				t.Fatalf("answer\n%s\nwant\n%s", resp.Body, want)
			}
			var answer sdk.DynamicActionResponse
			if err := json.Unmarshal(resp.Body, &answer); err != nil {
				t.Fatal(err)
			}
			if answer.Action == nil {
				return // "no": Divar shows the text, and that is all
			}
			// "yes": Divar runs open_server_link, calling the init
			// callback with its data, and opens the add-on's page.
			opened := c.divar.OpenServerLink(divartest.OpenServerLink().Data(answer.Action.OpenServerLink.Data))
			if !strings.HasPrefix(opened.URL, c.srv.URL+"/welcome") {
				t.Fatalf("Divar opens %q, not the welcome page", opened.URL)
			}
			res, err := http.Get(opened.URL)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("the welcome page answers %d", res.StatusCode)
			}
		})
	}
}

func TestChatBotMessagesOtherThanStart(t *testing.T) {
	for _, tc := range []struct {
		name    string
		message map[string]any
	}{
		{"a text", map[string]any{"text": "سلام"}},
		{"a start with too many words", map[string]any{"text": "/start MY_POST gZd7omnS extra"}},
		{"a start with no conversation", map[string]any{"conversation": nil}},
		{"a start with an empty conversation id", map[string]any{"conversation": map[string]any{"id": "", "type": "BOT"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startChat(t, chatOptions{})
			c.divar.Event(divartest.Event(event.TypeNewChatbotMessage).Message(tc.message)) // acknowledged
			if calls := c.api.Calls(); len(calls) != 0 {
				t.Errorf("the add-on called Divar's API: %+v", calls)
			}
		})
	}
}

func TestWithoutAnAPIKey(t *testing.T) {
	c := startChat(t, chatOptions{noAPIKey: true})
	c.divar.Event(startEvent("m-1")) // acknowledged all the same
	c.divar.Event(startEvent("m-2"))
	if calls := c.api.Calls(); len(calls) != 0 {
		t.Errorf("the add-on called Divar's API: %+v", calls)
	}
	why := c.logs.matching(addonenv.APIKeyVar)
	if len(why) != 1 || !strings.Contains(why[0], "is not set") {
		t.Errorf("want one line saying %s is not set, got %q", addonenv.APIKeyVar, why)
	}
}

// TestDivarsAPIFailing: Divar's API fails the question in each way; the
// start is answered so that nothing is lost and nothing asked twice, then
// delivered again as Divar would: the question is sent again only when
// the first was not sent, never when Divar may have taken it.
func TestDivarsAPIFailing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fail      func(*divartest.API)
		status    int    // the add-on's answer to the event
		attempts  int    // chat-bot messages the add-on sent Divar (counted on the wire, before Divar answers)
		delivered int    // messages Divar accepted
		log       string // a line of the add-on's log says so
		resent    bool   // the redelivery sends the question again
	}{
		{"429 then OK: sent after one retry", func(a *divartest.API) { a.FailNext(1, divartest.TooManyRequests(0).On("sendBotMessage")) },
			http.StatusOK, 2, 1, "retrying a call to Divar", false},
		{"429 past the handler's budget, not sent: Divar redelivers and it is sent", func(a *divartest.API) {
			a.FailNext(1, divartest.TooManyRequests(divartest.Deadline).On("sendBotMessage"))
		}, http.StatusInternalServerError, 1, 0, "", true},
		{"412 recipient blocked: acknowledged, not retried", func(a *divartest.API) { a.FailNext(1, divartest.RecipientBlocked().On("sendBotMessage")) },
			http.StatusOK, 1, 0, "the user blocked the chat bot", false},
		{"403 no permission: acknowledged, logged", func(a *divartest.API) { a.Deny("CHAT_BOT_SEND_MESSAGE") },
			http.StatusOK, 1, 0, "CHAT_BOT_SEND_MESSAGE", false},
		{"401 wrong API key: acknowledged, logged", func(a *divartest.API) { a.SetAPIKey("another-key") },
			http.StatusOK, 1, 0, "Divar refused the question", false},
		{"Divar's API slow, may have taken it: acknowledged within Divar's deadline, reported, never sent again", func(a *divartest.API) {
			a.FailNext(1, divartest.Slow(time.Minute).On("sendBotMessage"))
		}, http.StatusOK, 1, 0, "not known to have finished", false},
		{"500, may have taken it: acknowledged, reported, never sent again", func(a *divartest.API) { a.FailNext(1, divartest.ServerError(500).On("sendBotMessage")) },
			http.StatusOK, 1, 0, "not known to have finished", false},
		{"503, may have taken it: acknowledged, reported, never sent again", func(a *divartest.API) { a.FailNext(1, divartest.ServerError(503).On("sendBotMessage")) },
			http.StatusOK, 1, 0, "not known to have finished", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startChat(t, chatOptions{redelivery: tc.status != http.StatusOK})
			tc.fail(c.api)
			resp := c.divar.Do(startEvent("m-1"))
			if resp.Status != tc.status {
				t.Fatalf("the add-on answered the event %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			if resp.Elapsed >= divartest.Deadline {
				t.Errorf("the add-on answered after %v, past Divar's %v", resp.Elapsed, divartest.Deadline)
			}
			if tc.status != http.StatusOK && resp.Header.Get("Content-Type") != sdk.ProblemContentType {
				t.Errorf("a failure answered as %s, not a problem document", resp.Header.Get("Content-Type"))
			}
			if n := len(c.wire.bodies(botPath)); n != tc.attempts {
				t.Errorf("%d chat-bot messages sent, want %d", n, tc.attempts)
			}
			if n := len(c.api.BotMessages(conversation)); n != tc.delivered {
				t.Errorf("Divar accepted %d messages, want %d", n, tc.delivered)
			}
			if tc.log != "" && len(c.logs.matching(tc.log)) == 0 {
				t.Errorf("no line of the log says %q:\n%s", tc.log, c.logs)
			}
			// Divar delivers the event again (after a 500, or a duplicate
			// after a 200); Divar's API is back.
			again := c.divar.Do(startEvent("m-1")).Status
			want, delivered := tc.attempts, tc.delivered
			if tc.resent {
				want, delivered = tc.attempts+1, 1
			}
			if again != http.StatusOK && again != http.StatusConflict {
				t.Errorf("the redelivery is answered %d, want 200 (or 409 while the first's lease holds)", again)
			}
			if n := len(c.wire.bodies(botPath)); n != want {
				t.Errorf("%d chat-bot messages sent after the redelivery, want %d", n, want)
			}
			if n := len(c.api.BotMessages(conversation)); n != delivered {
				t.Errorf("Divar accepted %d messages after the redelivery, want %d", n, delivered)
			}
		})
	}
}

func TestDivarsAnswerUnreadable(t *testing.T) {
	// Divar took the message (200) but its answer is not JSON: it was sent,
	// so the event is acknowledged rather than delivered again.
	c := startChat(t, chatOptions{answer: "<html>"})
	c.divar.Event(startEvent("m-1"))
	if n := len(c.wire.bodies(botPath)); n != 1 {
		t.Errorf("%d chat-bot messages sent, want 1", n)
	}
	if len(c.logs.matching("could not be read")) != 1 {
		t.Errorf("no line of the log says so:\n%s", c.logs)
	}
}

func TestDuplicateDeliveryAsksOnce(t *testing.T) {
	c := startChat(t, chatOptions{})
	c.divar.Event(startEvent("m-1"))
	c.divar.Event(startEvent("m-1")) // the same event again: acknowledged
	c.divar.Event(startEvent("m-2")) // the user started the bot again: a new question
	if n := len(c.wire.bodies(botPath)); n != 2 {
		t.Errorf("%d chat-bot messages sent, want 2 (one per start)", n)
	}
}

func TestDuplicateDeliveryWhileTheFirstIsSending(t *testing.T) {
	hold, arrived := make(chan struct{}), make(chan struct{}, 1)
	c := startChat(t, chatOptions{hold: hold, arrived: arrived})
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release) // before the servers close, should the test stop early
	first := make(chan *divartest.Response, 1)
	go func() {
		resp, err := divartest.Send(context.Background(), nil, c.srv.URL, startEvent("m-1"))
		if err != nil {
			t.Error(err)
		}
		first <- resp
	}()
	<-arrived // the first delivery is sending the question
	if resp := c.divar.Do(startEvent("m-1")); resp.Status != http.StatusConflict {
		t.Errorf("a duplicate while the first is handled: %d, want 409 (Divar retries it later)", resp.Status)
	}
	release()
	if resp := <-first; resp != nil && resp.Status != http.StatusOK {
		t.Errorf("the first delivery: %d", resp.Status)
	}
	c.divar.Event(startEvent("m-1")) // Divar retries the 409: a duplicate now
	if n := len(c.wire.bodies(botPath)); n != 1 {
		t.Errorf("%d chat-bot messages sent, want 1", n)
	}
}

func TestAsk(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noAPIKey bool
		fail     func(*divartest.API)
		key      string
		query    string
		status   int
		sent     int
	}{
		{"sends the question", false, nil, divartest.Key, "conversation_id=" + conversation, http.StatusOK, 1},
		{"no key", false, nil, "", "conversation_id=" + conversation, http.StatusUnauthorized, 0},
		{"wrong key", false, nil, "not-the-key", "conversation_id=" + conversation, http.StatusUnauthorized, 0},
		{"no conversation", false, nil, divartest.Key, "", http.StatusBadRequest, 0},
		{"a conversation id Divar refuses", false, nil, divartest.Key, "conversation_id=" + url.QueryEscape("a b"), http.StatusBadRequest, 0},
		{"no API key", true, nil, divartest.Key, "conversation_id=" + conversation, http.StatusServiceUnavailable, 0},
		{"recipient blocked", false, func(a *divartest.API) { a.FailNext(1, divartest.RecipientBlocked()) }, divartest.Key, "conversation_id=" + conversation, http.StatusConflict, 0},
		{"Divar failing", false, func(a *divartest.API) { a.FailNext(1, divartest.ServerError(503)) }, divartest.Key, "conversation_id=" + conversation, http.StatusBadGateway, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startChat(t, chatOptions{noAPIKey: tc.noAPIKey})
			if tc.fail != nil {
				tc.fail(c.api)
			}
			req, _ := http.NewRequest(http.MethodPost, c.srv.URL+"/ask?"+tc.query, nil)
			if tc.key != "" {
				req.Header.Set("Authorization", tc.key)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("%d %s, want %d", res.StatusCode, body, tc.status)
			}
			if tc.status == http.StatusOK && string(body) != `{"conversation_id":"`+conversation+`"}` {
				t.Errorf("answer %s", body)
			}
			if tc.status != http.StatusOK && res.Header.Get("Content-Type") != sdk.ProblemContentType {
				t.Errorf("an error as %s, not a problem document", res.Header.Get("Content-Type"))
			}
			if n := len(c.api.BotMessages(conversation)); n != tc.sent {
				t.Errorf("Divar accepted %d messages, want %d", n, tc.sent)
			}
			if tc.sent == 1 && c.wire.bodies(botPath)[0] != wantQuestion {
				t.Errorf("the question on the wire %s", c.wire.bodies(botPath)[0])
			}
		})
	}
}

// wire is a proxy in front of the fake API that keeps each request's body
// as the add-on sent it.
type wire struct {
	url           string
	hold, arrived chan struct{}
	answer        string

	mu   sync.Mutex
	sent map[string][]string // path → bodies
}

func newWire(t *testing.T, apiURL string, o chatOptions) *wire {
	target, err := url.Parse(apiURL)
	if err != nil {
		t.Fatal(err)
	}
	w := &wire{hold: o.hold, arrived: o.arrived, answer: o.answer, sent: map[string][]string{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = log.New(io.Discard, "", 0) // the add-on giving up on a slow Divar is expected
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.sent[r.URL.Path] = append(w.sent[r.URL.Path], string(body))
		w.mu.Unlock()
		if w.hold != nil {
			select {
			case w.arrived <- struct{}{}:
			default: // a later message: the test has its signal already
			}
			<-w.hold
		}
		if w.answer != "" {
			rw.Header().Set("Content-Type", "application/json")
			io.WriteString(rw, w.answer)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

func (w *wire) bodies(path string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.sent[path]...)
}

// logs is the add-on's log in a test.
type logs struct{ divartest.LogBuffer }

// matching returns the lines that contain s.
func (l *logs) matching(s string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}
