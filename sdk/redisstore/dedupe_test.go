package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/dedupe/dedupetest"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
)

// deduperStores returns, for dedupetest's suites, a factory of Dedupers
// on d emptied for each case; on a topology the test can kill (one node,
// the cluster), the store is killed and restarted with its data.
func deduperStores(d deployment) func(t *testing.T) dedupetest.Store {
	return func(t *testing.T) dedupetest.Store {
		rdb := emptied(t, d)
		s := dedupetest.Store{
			Deduper: redisstore.NewDeduper(rdb, redisstore.Config{EventTTL: time.Hour}),
			Lapse:   func(t *testing.T) { lapseLeases(t, rdb) },
		}
		if d.kill != nil {
			s.Kill = func(*testing.T) { d.kill() }
			s.Revive = func(*testing.T) { d.revive() }
		}
		return s
	}
}

// lapseLeases makes every lease in rdb lapse, as Redis's clock passing
// them would: a claim expires; a started event's lease ends.
func lapseLeases(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	lapse := redis.NewScript(`
for _, k in ipairs(redis.call('KEYS', 'kenarkit:event:*')) do
  local v = redis.call('GET', k)
  if string.sub(v, 1, 8) == 'claimed:' then redis.call('DEL', k) end
  local s = string.match(v, '^(started:[^:]*:)%d+$')
  if s then redis.call('SET', k, s .. '0', 'KEEPTTL') end
end
return 0`)
	eachNode(t, rdb, func(node *redis.Client) error { return lapse.Run(context.Background(), node, nil).Err() })
}

func TestDeduperStateMachine(t *testing.T) {
	onEachTopology(t, func(t *testing.T, d deployment) { dedupetest.StateMachine(t, deduperStores(d)) })
}

func TestDeduperDeliveries(t *testing.T) {
	onEachTopology(t, func(t *testing.T, d deployment) { dedupetest.Deliveries(t, deduperStores(d)) })
}

// TestDeduperOutages kills the redis-server (every node of the cluster)
// between every pair of steps of a delivery (claim, start, the step,
// commit, release) and restarts it with its data: the step is made at
// most once in every case.
func TestDeduperOutages(t *testing.T) {
	onEachTopology(t, func(t *testing.T, d deployment) { dedupetest.Outages(t, deduperStores(d)) })
}

// A started or handled event is kept for the TTL, a claim for the lease.
func TestDeduperExpiries(t *testing.T) {
	ctx := context.Background()
	rdb := newRedis(t)
	d := redisstore.NewDeduper(rdb, redisstore.Config{EventLease: time.Minute, EventTTL: time.Hour})
	for _, tc := range []struct {
		name string
		step func(dedupe.Lease) error
		max  time.Duration
		min  time.Duration
	}{
		{"claimed", func(dedupe.Lease) error { return nil }, time.Minute, time.Second},
		{"started", func(l dedupe.Lease) error { return l.Start(ctx) }, time.Hour, time.Minute},
		{"done", func(l dedupe.Lease) error { return l.Commit(ctx) }, time.Hour, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := d.Claim(ctx, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.step(l); err != nil {
				t.Fatal(err)
			}
			if ttl := rdb.PTTL(ctx, "kenarkit:event:"+tc.name).Val(); ttl > tc.max || ttl < tc.min {
				t.Errorf("kept for %v, want between %v and %v", ttl, tc.min, tc.max)
			}
		})
	}
}

func TestDeduperStoreDown(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: filepath.Join(t.TempDir(), "none.sock"), MaxRetries: -1})
	defer rdb.Close()
	_, err := redisstore.NewDeduper(rdb, redisstore.Config{}).Claim(context.Background(), "a")
	if err == nil || errors.Is(err, dedupe.ErrDuplicate) || !strings.HasPrefix(err.Error(), "redisstore: dedupe claim") {
		t.Errorf("Claim with no store = %v", err)
	}
}

// replica is one add-on instance: an sdk server whose event.Mux dedupes
// through the shared Redis.
type replica struct {
	mux *event.Mux
}

func (r *replica) OpenServerLink(context.Context, gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return sdk.OpenURL("https://addon.example/"), nil
}

func (r *replica) DynamicAction(context.Context, gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	return sdk.TextMessage("ok"), nil
}

func (r *replica) Events(ctx context.Context, req gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return r.mux.Handle(ctx, req.Body)
}

const newMessage = `{"type":"NEW_MESSAGE","new_message":{"id":"e7a0c1d6","conversation":{"id":"c","type":"POST"},"type":"TEXT","sent_at":1729429926140000,"text":"سلام"}}`

// TestConcurrentDuplicatesAcrossReplicas delivers one event many times at
// once to two replicas sharing a Redis: the handler runs exactly once, the
// deliveries that find it running are told to retry (409), and every later
// delivery is acknowledged without running it.
func TestConcurrentDuplicatesAcrossReplicas(t *testing.T) {
	rdb := newRedis(t)
	var runs atomic.Int32
	release := make(chan struct{})
	handle := func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
		runs.Add(1)
		<-release
		return nil
	}
	var urls []string
	for range 2 {
		mux := &event.Mux{NewMessage: handle, Dedupe: redisstore.NewDeduper(rdb, redisstore.Config{})}
		e, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{"k"}}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&replica{mux: mux}, nil))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(e)
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	deliver := func(url string) int {
		r, _ := http.NewRequest(http.MethodPost, url+"/divar/events", strings.NewReader(newMessage))
		r.Header.Set("Authorization", "k")
		r.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	const n = 16
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes <- deliver(urls[i%2]) })
	}
	count := map[int]int{}
	for range n - 1 { // every delivery but the one running the handler
		count[<-codes]++
	}
	close(release)
	wg.Wait()
	count[<-codes]++
	if runs.Load() != 1 || count[http.StatusOK] != 1 || count[http.StatusConflict] != n-1 {
		t.Fatalf("handler ran %d times; statuses %v", runs.Load(), count)
	}
	for _, u := range urls {
		if code := deliver(u); code != http.StatusOK {
			t.Errorf("a later delivery: %d", code)
		}
	}
	if runs.Load() != 1 {
		t.Errorf("handler ran %d times", runs.Load())
	}
}

// TestRetryAfterFailureOnAnotherReplica: the first delivery fails on one
// replica; the retry, on the other, runs the handler again.
func TestRetryAfterFailureOnAnotherReplica(t *testing.T) {
	rdb := newRedis(t)
	var runs atomic.Int32
	ctx := context.Background()
	e := &event.Event{Type: event.TypeNewMessage, NewMessage: &event.ChatMessage{ID: "m1"}}
	mux := func() *event.Mux {
		return &event.Mux{
			Dedupe: redisstore.NewDeduper(rdb, redisstore.Config{}),
			NewMessage: func(context.Context, *event.Event, *event.ChatMessage) error {
				if runs.Add(1) == 1 {
					return errors.New("downstream failed")
				}
				return nil
			},
		}
	}
	a, b := mux(), mux()
	if _, err := a.Handle(ctx, e); err == nil {
		t.Fatal("the failure was swallowed")
	}
	if _, err := b.Handle(ctx, e); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if _, err := a.Handle(ctx, e); err != nil {
		t.Fatalf("duplicate: %v", err)
	}
	if runs.Load() != 2 {
		t.Errorf("handler ran %d times, want 2", runs.Load())
	}
}
