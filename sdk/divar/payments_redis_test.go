package divar_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/dedupe/dedupetest"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/redisstore/redistest"
)

// TestPaymentAtMostOnceWhenRedisDies pays from an event handler whose
// deduper is a real redis-server that persists every write, killed at
// each point between two steps of the delivery (claim, start, pay,
// commit, release) and restarted; Divar delivers the event again until
// it is acknowledged. The handler makes a new payment id on every run,
// so only the deduper's marks stand between a redelivery and a second
// charge: Divar's wallet must be charged at most once in every case, and
// once where Redis died before the payment was recorded started.
func TestPaymentAtMostOnceWhenRedisDies(t *testing.T) {
	const reorder = "Payment_ReorderPost"
	for _, tc := range []struct {
		name    string
		at      dedupetest.Point // "": Redis stays up
		fault   *divartest.Fault // how Divar answers the first bump
		charges int
	}{
		{"Redis dies before the claim: the redelivery pays", dedupetest.BeforeClaim, nil, 1},
		{"Redis dies between the claim and the start: nothing paid, the redelivery pays", dedupetest.AfterClaim, nil, 1},
		{"Redis dies between the start and the payment: paid once, never again", dedupetest.AfterStart, nil, 1},
		{"Redis dies between the payment and the commit: paid once, never again", dedupetest.BeforeCommit, nil, 1},
		{"Redis dies after the commit: paid once", dedupetest.AfterCommit, nil, 1},
		{"Divar answers 429 and Redis dies before the release: reported, never paid", dedupetest.BeforeRelease, ptr(divartest.TooManyRequests(time.Hour).On(reorder)), 0},
		{"the answer is lost, Redis up: paid once, found by the lookup", "", ptr(divartest.LostAnswer().On(reorder)), 1},
		{"Divar answers 429, Redis up: the redelivery pays", "", ptr(divartest.TooManyRequests(time.Hour).On(reorder)), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rs := redistest.StartPersistent(t)
			opt, err := redis.ParseURL(rs.URL)
			if err != nil {
				t.Fatal(err)
			}
			rdb := redis.NewClient(opt)
			t.Cleanup(func() { rdb.Close() })
			api, c := newPayAPI(t)
			if tc.fault != nil {
				api.FailNext(1, *tc.fault)
			}
			armed := tc.at != ""
			var unfinished int
			mux := &event.Mux{
				// A short lease stands for the minute after which Divar's
				// redelivery finds a crashed delivery's claim lapsed.
				Dedupe: dedupetest.Hook(redisstore.NewDeduper(rdb, redisstore.Config{EventLease: 200 * time.Millisecond}), func(p dedupetest.Point) {
					if armed && p == tc.at {
						armed = false
						rs.Kill()
					}
				}),
				NewChatbotMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
					_, err := c.Reorder(ctx, user("seller"), post, divar.Payment{ID: divar.NewPaymentID()})
					return err
				},
				OnUnfinished: func(context.Context, *event.Event, error) { unfinished++ },
				Logger:       slog.New(slog.DiscardHandler),
			}
			e := chatbotEvent(t)
			_, first := mux.Handle(ctx, e)
			if armed {
				t.Fatalf("the delivery never reached the point %s", tc.at)
			}
			rs.Restart()
			acked := first == nil
			for i := 0; i < 300 && !acked; i++ { // Divar's redeliveries, with its backoff
				time.Sleep(20 * time.Millisecond)
				_, err := mux.Handle(ctx, e)
				acked = err == nil
			}
			if !acked {
				t.Fatal("the event was never acknowledged")
			}
			if _, err := mux.Handle(ctx, e); err != nil { // once more: acknowledged, nothing paid
				t.Fatalf("a delivery after the acknowledgement: %v", err)
			}
			if n := len(api.Charges()); n != tc.charges {
				t.Errorf("Divar charged %d times, want %d", n, tc.charges)
			}
			if tc.charges == 0 && unfinished == 0 {
				t.Error("the unpaid event was not reported unfinished")
			}
		})
	}
}
