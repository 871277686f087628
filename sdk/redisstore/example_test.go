package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/redisstore/redistest"
)

// exampleRedis is the redis-server the Examples use, started by TestMain.
var exampleRedis string

// TestMain starts one redis-server for the Examples (each test starts its
// own). Every test here needs Redis: without redis-server the package is
// skipped, unless KENARKIT_REDIS=1 makes that a failure.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redisstore")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	url, stop, err := redistest.StartServer(dir)
	if err != nil {
		os.RemoveAll(dir)
		if os.Getenv("KENARKIT_REDIS") == "1" {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("skipped: redis-server is not installed; set KENARKIT_REDIS=1 to make this a failure")
		os.Exit(0)
	}
	exampleRedis = url
	code := m.Run()
	stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Two deliveries of one chat message, which two replicas could receive at
// once, run the handler once: the replicas share the claims in Redis.
func ExampleNewDeduper() {
	opt, _ := redis.ParseURL(exampleRedis) // in an add-on: REDIS_URL
	rdb := redis.NewClient(opt)
	defer rdb.Close()

	replica := func() *event.Mux {
		return &event.Mux{
			Dedupe: redisstore.NewDeduper(rdb, redisstore.Config{}),
			NewMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
				fmt.Println("handled", m.ID)
				return nil
			},
		}
	}
	ev := &event.Event{Type: event.TypeNewMessage, NewMessage: &event.ChatMessage{ID: "e7a0c1d6"}}
	ctx := context.Background()
	_, err1 := replica().Handle(ctx, ev)
	_, err2 := replica().Handle(ctx, ev) // Divar delivers it again, to another replica
	fmt.Println(err1, err2)
	// Output:
	// handled e7a0c1d6
	// <nil> <nil>
}
