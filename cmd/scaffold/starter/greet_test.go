package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/dedupe/dedupetest"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/redisstore/redistest"

	"github.com/kenarkit/kenarkit/cmd/scaffold/starter/gen"
)

// startConversation is the conversation of divartest's chat-bot /start.
const startConversation = "edbb3a24-1c4d-4e8b-a3f2-0b9c8d7e6f5a"

// TestGreetingAtMostOnceWhenRedisDies is the README's promise that a chat
// message is never sent twice. The add-on, wired as main wires it with
// REDIS_URL, serves on loopback; Divar delivers a /start; Redis (a real
// redis-server that persists every write) is killed at each point between
// two steps of that delivery (claim, start, send, commit, release), then
// restarted; Divar delivers the event again until the add-on acknowledges
// it. divartest's API must have received the greeting at most once in
// every case, and exactly once where Redis died before the send was
// recorded started.
func TestGreetingAtMostOnceWhenRedisDies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		at        dedupetest.Point // "": Redis stays up
		fault     *divartest.Fault // how Divar's API answers the first send
		first     int              // the add-on's answer to the first delivery
		calls     int              // sendBotMessage calls Divar's API received
		greetings int              // greetings Divar's API took
	}{
		{"Redis dies before the claim: 500, the redelivery greets", dedupetest.BeforeClaim, nil, http.StatusInternalServerError, 1, 1},
		{"Redis dies between the claim and the start: nothing sent, 500, the redelivery greets", dedupetest.AfterClaim, nil, http.StatusInternalServerError, 1, 1},
		{"Redis dies between the start and the send: greeted, acknowledged, never again", dedupetest.AfterStart, nil, http.StatusOK, 1, 1},
		{"Redis dies between the send and the commit: greeted, acknowledged, never again", dedupetest.BeforeCommit, nil, http.StatusOK, 1, 1},
		{"Redis dies after the commit: greeted once", dedupetest.AfterCommit, nil, http.StatusOK, 1, 1},
		{"Divar answers 429 and Redis dies before the release: 500, then reported, never sent", dedupetest.BeforeRelease, ptr(divartest.TooManyRequests(time.Hour).On("sendBotMessage")), http.StatusInternalServerError, 1, 0},
		{"Divar answers 500, Redis up: acknowledged, reported, never sent again", "", ptr(divartest.ServerError(500).On("sendBotMessage")), http.StatusOK, 1, 0},
		{"Divar answers 429, Redis up: 500, the redelivery greets", "", ptr(divartest.TooManyRequests(time.Hour).On("sendBotMessage")), http.StatusInternalServerError, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each with a redis-server of its own
			rs := redistest.StartPersistent(t)
			api := divartest.NewAPI(t)
			if tc.fault != nil {
				api.FailNext(1, *tc.fault)
			}
			logs := &divartest.LogBuffer{}
			cfg := config{Env: addonenv.Env{Keys: []string{divartest.Key}, APIKey: divartest.APIKey, APIURL: api.URL(), RedisURL: rs.URL}}
			// Served without divartest.ValidateResponses, which fails a test
			// at any 5xx: for an event, a 5xx is how the add-on asks Divar
			// to deliver it again, and the test checks it.
			srv := httptest.NewUnstartedServer(nil)
			cfg.PublicURL = "http://" + srv.Listener.Addr().String()
			e, addon, err := newServer(t.Context(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { addon.Close() })
			armed := tc.at != ""
			addon.events.Dedupe = dedupetest.Hook(addon.events.Dedupe, func(p dedupetest.Point) {
				if armed && p == tc.at {
					armed = false
					rs.Kill()
				}
			})
			srv.Config.Handler = e
			srv.Start()
			t.Cleanup(srv.Close)
			divar := divartest.Dial(t, gen.GetSpec, srv.URL)

			start := divartest.Event(event.TypeNewChatbotMessage) // "/start MY_POST gZd7omnS"
			if got := divar.Do(start).Status; got != tc.first {
				t.Errorf("the first delivery is answered %d, want %d", got, tc.first)
			}
			if armed {
				t.Fatalf("the delivery never reached the point %s", tc.at)
			}
			rs.Restart()
			redeliver(t, divar, start, rs.URL)
			divar.Event(start) // once more: acknowledged, nothing sent
			if n := api.CallsTo("sendBotMessage"); n != tc.calls {
				t.Errorf("Divar's API received %d sendBotMessage calls, want %d", n, tc.calls)
			}
			if n := len(api.BotMessages(startConversation)); n != tc.greetings {
				t.Errorf("Divar's API took %d greetings, want %d", n, tc.greetings)
			}
			if tc.greetings == 0 && !strings.Contains(logs.String(), "event=NEW_CHATBOT_MESSAGE:") {
				t.Errorf("the unsent greeting's event is not logged:\n%s", logs)
			}
			if strings.Contains(logs.String(), divartest.APIKey) {
				t.Error("the API key is in the log")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// redeliver delivers the event as Divar does until the add-on acknowledges
// it: again after a 500, and after a 409 once the claim's lease has
// passed (lapseLeases stands for the minute Divar would wait).
func redeliver(t *testing.T, divar *divartest.Divar, event *divartest.Request, redisURL string) {
	t.Helper()
	for range 100 {
		switch divar.Do(event).Status {
		case http.StatusOK:
			return
		case http.StatusConflict:
			lapseLeases(t, redisURL)
		default:
			time.Sleep(20 * time.Millisecond) // Divar's backoff, while the add-on reconnects to Redis
		}
	}
	t.Fatal("the event was never acknowledged")
}

// lapseLeases ends the lease of every event claim in Redis, as its clock
// passing them would: a claim is gone, a started event's lease is over.
func lapseLeases(t *testing.T, redisURL string) {
	t.Helper()
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "kenarkit:event:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		v := rdb.Get(ctx, k).Val()
		if strings.HasPrefix(v, "claimed:") {
			rdb.Del(ctx, k)
		} else if i := strings.LastIndexByte(v, ':'); strings.HasPrefix(v, "started:") && i > 0 {
			rdb.SetArgs(ctx, k, v[:i+1]+"0", redis.SetArgs{KeepTTL: true})
		}
	}
}
