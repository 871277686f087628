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

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
)

func TestDeduperProtocol(t *testing.T) {
	ctx := context.Background()
	rdb := newRedis(t)
	d := redisstore.NewDeduper(rdb, redisstore.Config{EventLease: 200 * time.Millisecond, EventTTL: time.Hour})

	l, err := d.Claim(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Claim(ctx, "a"); !errors.Is(err, dedupe.ErrInProgress) {
		t.Errorf("claimed: %v, want ErrEventInProgress", err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Claim(ctx, "a"); !errors.Is(err, dedupe.ErrDuplicate) {
		t.Errorf("committed: %v, want ErrDuplicateEvent", err)
	}
	if ttl := rdb.PTTL(ctx, "kenarkit:event:a").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("a handled event's TTL is %v", ttl)
	}

	l, _ = d.Claim(ctx, "b")
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	l, err = d.Claim(ctx, "b")
	if err != nil {
		t.Fatalf("released: %v", err)
	}

	// A lapsed lease: Redis expires the claim; a late commit is refused and
	// a late release leaves the new owner's claim alone. The key's expiry
	// is set short directly, rather than waiting for the lease.
	rdb.PExpire(ctx, "kenarkit:event:b", time.Millisecond)
	for rdb.Exists(ctx, "kenarkit:event:b").Val() == 1 {
		time.Sleep(time.Millisecond)
	}
	l2, err := d.Claim(ctx, "b")
	if err != nil {
		t.Fatalf("lapsed: %v", err)
	}
	if err := l.Commit(ctx); !errors.Is(err, dedupe.ErrLeaseLost) {
		t.Errorf("late commit: %v, want ErrLeaseLost", err)
	}
	_ = l.Release(ctx)
	if _, err := d.Claim(ctx, "b"); !errors.Is(err, dedupe.ErrInProgress) {
		t.Errorf("the old lease released the new claim: %v", err)
	}
	_ = l2.Commit(ctx)
}

func TestDeduperStoreDown(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: filepath.Join(t.TempDir(), "none.sock"), MaxRetries: -1})
	defer rdb.Close()
	_, err := redisstore.NewDeduper(rdb, redisstore.Config{}).Claim(context.Background(), "a")
	if err == nil || errors.Is(err, dedupe.ErrDuplicate) || !strings.HasPrefix(err.Error(), "redisstore: dedupe claim") {
		t.Errorf("Claim with no store = %v", err)
	}
}

// replica is one add-on instance: an sdk server whose EventMux dedupes
// through the shared Redis.
type replica struct {
	mux *sdk.EventMux
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

const event = `{"type":"NEW_MESSAGE","new_message":{"id":"e7a0c1d6","conversation":{"id":"c","type":"POST"},"type":"TEXT","sent_at":1729429926140000,"text":"سلام"}}`

// TestConcurrentDuplicatesAcrossReplicas delivers one event many times at
// once to two replicas sharing a Redis: the handler runs exactly once, the
// deliveries that find it running are told to retry (409), and every later
// delivery is acknowledged without running it.
func TestConcurrentDuplicatesAcrossReplicas(t *testing.T) {
	rdb := newRedis(t)
	var runs atomic.Int32
	release := make(chan struct{})
	handle := func(ctx context.Context, e *sdk.Event, m *sdk.ChatMessage) error {
		runs.Add(1)
		<-release
		return nil
	}
	var urls []string
	for range 2 {
		e, err := sdk.NewServer(sdk.ServerConfig{Spec: gen.GetSpec, Keys: []string{"k"}})
		if err != nil {
			t.Fatal(err)
		}
		mux := &sdk.EventMux{NewMessage: handle, Dedupe: redisstore.NewDeduper(rdb, redisstore.Config{})}
		gen.RegisterHandlers(e, gen.NewStrictHandler(&replica{mux: mux}, nil))
		srv := httptest.NewServer(e)
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	deliver := func(url string) int {
		r, _ := http.NewRequest(http.MethodPost, url+"/divar/events", strings.NewReader(event))
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
	e := &sdk.Event{Type: sdk.EventNewMessage, NewMessage: &sdk.ChatMessage{ID: "m1"}}
	mux := func() *sdk.EventMux {
		return &sdk.EventMux{
			Dedupe: redisstore.NewDeduper(rdb, redisstore.Config{}),
			NewMessage: func(context.Context, *sdk.Event, *sdk.ChatMessage) error {
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
