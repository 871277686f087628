// Command load fires Divar's callbacks at servers over real HTTP on
// loopback, at a fixed concurrency, and reports throughput and latency.
// It is the bounded load test of docs/BENCHMARKS.md, not a unit test.
//
// Usage:
//
//	go run ./cmd/load [-n 10000] [-c 16] [-calls both|init] [-servers a,b] [-url URL -key KEY]
//
// Without -url it serves, in this process on 127.0.0.1, kenarkit's full
// server (a: server.New and a strict handler, wired as `scaffold new`
// wires an add-on) and the same strict server without validation (b), and
// loads each in turn with the same requests. -servers picks other servers
// of package bench (a+log, e: net/http) or examples/postlanding
// (postlanding: its init callback hands its context to the landing page
// through a session.Handoff; request log on, formatted to io.Discard).
// With -url it loads a running add-on first (a scaffolded one:
// `KENAR_IDENTIFICATION_KEY=K go run .`), then (b) in this process, as the
// baseline. -calls init sends only the seed init callback instead of both
// seeds alternately.
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
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/bench"
	"github.com/kenarkit/kenarkit/examples/postlanding/landing"
	"github.com/kenarkit/kenarkit/sdk"
)

func main() {
	n := flag.Int("n", 10000, "callbacks to send to each server")
	c := flag.Int("c", 16, "concurrent clients")
	url := flag.String("url", "", "load the add-on at this base URL instead of in-process servers")
	key := flag.String("key", bench.Key, "the identification key (with -url)")
	servers := flag.String("servers", "a,b", "in-process servers to load in turn: a, a+log, b, e, postlanding (with -url: b)")
	calls := flag.String("calls", "both", "both: the two seed callbacks alternately; init: the seed init callback only")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	serve := flag.String("serve", "", "only serve this in-process server (see -servers) on -addr until interrupted, for another load generator such as wrk")
	addr := flag.String("addr", "127.0.0.1:18090", "the address -serve listens on")
	flag.Parse()
	if *serve != "" {
		if err := serveOnly(*serve, *addr); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		return
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *n <= 0 || *c <= 0 || (*calls != "both" && *calls != "init") {
		fmt.Fprintln(os.Stderr, "load: -n and -c must be positive, -calls both or init")
		os.Exit(2)
	}
	if *url != "" && *servers == "a,b" {
		*servers = "b"
	}
	var targets []target
	if *url != "" {
		targets = append(targets, target{name: "add-on", url: *url})
	}
	for _, name := range strings.Split(*servers, ",") {
		h, ok := inProcess[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "load: no server %q\n", name)
			os.Exit(2)
		}
		targets = append(targets, target{name: name, h: h()})
	}
	reqs := bench.Requests()[:2] // the seeds of both callbacks, alternately
	if *calls == "init" {
		reqs = reqs[:1]
	}
	fmt.Printf("%-16s %8s %10s %10s %10s %10s %7s %9s\n", "server", "requests", "rps", "p50", "p99", "max", "errors", "cpu/req")
	failed := false
	for _, t := range targets {
		r, err := t.run(*n, *c, *key, reqs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		cpu := "-" // the add-on's own process is not counted
		if t.h != nil {
			cpu = r.cpu.Round(100 * time.Nanosecond).String()
		}
		fmt.Printf("%-16s %8d %10.0f %10v %10v %10v %7d %9s\n", t.name, r.n, r.rps, r.p50, r.p99, r.max, r.errors, cpu)
		if r.errors > 0 {
			failed = true
			fmt.Fprintln(os.Stderr, "load: first error:", r.firstErr)
		}
	}
	if failed {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// inProcess are the servers -servers names.
var inProcess = map[string]func() http.Handler{
	"a":           bench.Kenarkit,
	"a+log":       bench.KenarkitLogging,
	"b":           bench.Unvalidated,
	"e":           bench.Bare,
	"postlanding": postlanding,
}

// serveOnly serves the in-process server name on addr until SIGINT or
// SIGTERM.
func serveOnly(name, addr string) error {
	h, ok := inProcess[name]
	if !ok {
		return fmt.Errorf("no server %q", name)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "load: serving %s on http://%s\n", name, ln.Addr())
	return serve(ctx, ln, h())
}

// serve serves h on ln until ctx is done, then shuts down; the servers of
// every kind are served alike.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() { _ = srv.Shutdown(context.Background()) })
	defer stop()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// postlanding is examples/postlanding's add-on, its request log formatted
// as text to io.Discard.
func postlanding() http.Handler {
	e, err := landing.NewServer(landing.Config{Keys: []string{bench.Key}, PublicURL: "https://addon.example",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	return e
}

type target struct {
	name, url string
	h         http.Handler
}

type result struct {
	n, errors     int
	rps           float64
	p50, p99, max time.Duration
	// cpu is the CPU time (user and system) this process spent per
	// request, server and load generator together: less sensitive than rps
	// to what else the machine runs.
	cpu      time.Duration
	firstErr error
}

func (t target) run(n, c int, key string, reqs []bench.Request) (result, error) {
	base := t.url
	if t.h != nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return result{}, err
		}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serve(ctx, ln, t.h) }()
		defer func() { stop(); <-done }()
		base = "http://" + ln.Addr().String()
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c},
	}
	latencies := make([]time.Duration, n)
	var next, errs atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	for range c {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				r := reqs[i%int64(len(reqs))]
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
	cpu := cpuTime() - cpu0
	slices.Sort(latencies)
	return result{
		n: n, errors: int(errs.Load()), firstErr: firstErr,
		rps: float64(n) / elapsed.Seconds(), cpu: cpu / time.Duration(n),
		p50: latencies[n/2].Round(time.Microsecond), p99: latencies[n*99/100].Round(time.Microsecond),
		max: latencies[n-1].Round(time.Microsecond),
	}, nil
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
