// Command load fires Divar's callbacks at servers over real HTTP on
// loopback, at a fixed concurrency, and reports throughput and latency.
// It is the bounded load test of docs/BENCHMARKS.md, not a unit test.
//
// Usage:
//
//	go run ./cmd/load [-n 10000] [-c 16] [-url URL -key KEY]
//
// Without -url it serves, in this process on 127.0.0.1, kenarkit's full
// server (a: sdk.NewServer and a strict handler, wired as `scaffold new`
// wires an add-on) and the same strict server without validation (b), and
// loads each in turn with the same requests. With -url it loads a running
// add-on instead of (a) (a scaffolded one: `KENAR_IDENTIFICATION_KEY=K go
// run .`), then (b) in this process, as the baseline.
//
// Every answer must be 200, application/json and an answer Divar accepts
// (sdk's Validate); anything else counts as an error, and the command exits
// 1 if there was any.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/bench"
	"github.com/kenarkit/kenarkit/sdk"
)

func main() {
	n := flag.Int("n", 10000, "callbacks to send to each server")
	c := flag.Int("c", 16, "concurrent clients")
	url := flag.String("url", "", "load the add-on at this base URL instead of in-process servers")
	key := flag.String("key", bench.Key, "the identification key (with -url)")
	flag.Parse()
	if *n <= 0 || *c <= 0 {
		fmt.Fprintln(os.Stderr, "load: -n and -c must be positive")
		os.Exit(2)
	}
	// (b), the same strict server without validation, is always loaded
	// after the add-on, in the same run, as the baseline.
	targets := []target{{name: "a=kenarkit", h: bench.Kenarkit()}, {name: "b=unvalidated", h: bench.Unvalidated()}}
	if *url != "" {
		targets[0] = target{name: "add-on", url: *url}
	}
	fmt.Printf("%-16s %8s %10s %10s %10s %10s %7s\n", "server", "requests", "rps", "p50", "p99", "max", "errors")
	failed := false
	for _, t := range targets {
		r, err := t.run(*n, *c, *key)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		fmt.Printf("%-16s %8d %10.0f %10v %10v %10v %7d\n", t.name, r.n, r.rps, r.p50, r.p99, r.max, r.errors)
		if r.errors > 0 {
			failed = true
			fmt.Fprintln(os.Stderr, "load: first error:", r.firstErr)
		}
	}
	if failed {
		os.Exit(1)
	}
}

type target struct {
	name, url string
	h         http.Handler
}

type result struct {
	n, errors     int
	rps           float64
	p50, p99, max time.Duration
	firstErr      error
}

func (t target) run(n, c int, key string) (result, error) {
	base := t.url
	if t.h != nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return result{}, err
		}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- sdk.Serve(ctx, ln, t.h) }()
		defer func() { stop(); <-done }()
		base = "http://" + ln.Addr().String()
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c},
	}
	reqs := bench.Requests()[:2] // the seeds of both callbacks, alternately
	latencies := make([]time.Duration, n)
	var next, errs atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				r := reqs[i%2]
				t0 := time.Now()
				err := call(client, base, key, r)
				latencies[i] = time.Since(t0)
				if err != nil {
					errs.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	return result{
		n: n, errors: int(errs.Load()), firstErr: firstErr,
		rps: float64(n) / elapsed.Seconds(),
		p50: latencies[n/2].Round(time.Microsecond), p99: latencies[n*99/100].Round(time.Microsecond),
		max: latencies[n-1].Round(time.Microsecond),
	}, nil
}

// call sends one callback and checks the answer is one Divar accepts.
func call(client *http.Client, base, key string, r bench.Request) error {
	req, err := http.NewRequest(http.MethodPost, base+r.Path, strings.NewReader(r.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", key)
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return fmt.Errorf("%s answered %d %s", r.Path, res.StatusCode, bytes.TrimSpace(body))
	}
	var answer interface{ Validate() error }
	if r.Path == "/divar/open-server-link" {
		answer = &sdk.OpenServerLinkResponse{}
	} else {
		answer = &sdk.DynamicActionResponse{}
	}
	if err := json.Unmarshal(body, answer); err != nil {
		return errors.New(r.Path + " answered something that is not its answer")
	}
	return answer.Validate()
}
