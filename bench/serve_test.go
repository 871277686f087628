package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"

	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/server"
)

// servedOverLoopback are the servers BenchmarkServe runs as their own
// http.Server on a loopback listener: (a) as an add-on runs it
// (server.Server.Serve: its timeouts, its connections), and (e) on a bare
// http.Server, without timeouts, as bench/cmd/floor is served.
var servedOverLoopback = []struct {
	name  string
	serve func(ctx context.Context, ln net.Listener) error
}{
	{"a=kenarkit", func(ctx context.Context, ln net.Listener) error {
		return Kenarkit().(*server.Server).Serve(ctx, ln)
	}},
	{"e=nethttp", func(ctx context.Context, ln net.Listener) error {
		srv := &http.Server{Handler: Bare()}
		go func() { <-ctx.Done(); srv.Close() }()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}},
}

// BenchmarkServe sends each seed callback, one after the other, on one
// kept-alive loopback connection to each server in servedOverLoopback:
// what BenchmarkServer leaves out (net/http's connection, its deadlines,
// its background read, the answer's write) beside what it measures. The
// client is a few lines over the socket, the same for every server, so
// that a difference between two counts is the servers'. In instructions,
// it is the whole process's (callgrind sees no kernel):
//
//	cd bench && GOGC=off LO=200 HI=2000 BENCH=serve ./instructions
func BenchmarkServe(b *testing.B) {
	for _, r := range Requests()[:2] {
		b.Run("req="+r.Name, func(b *testing.B) {
			for _, s := range servedOverLoopback {
				b.Run("server="+s.name, func(b *testing.B) {
					c := serveOverLoopback(b, s.serve)
					wire := rawRequest(r)
					br := bufio.NewReader(c)
					b.SetBytes(int64(len(r.Body)))
					b.ReportAllocs()
					for b.Loop() {
						if _, err := c.Write(wire); err != nil {
							b.Fatal(err)
						}
						if err := readAnswer(br); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// TestServedOverLoopback: every server of BenchmarkServe answers each seed
// 200 on one connection, three times in a row.
func TestServedOverLoopback(t *testing.T) {
	for _, s := range servedOverLoopback {
		c := serveOverLoopback(t, s.serve)
		br := bufio.NewReader(c)
		for _, r := range Requests()[:2] {
			for range 3 {
				if _, err := c.Write(rawRequest(r)); err != nil {
					t.Fatal(err)
				}
				if err := readAnswer(br); err != nil {
					t.Fatalf("%s %s: %v", s.name, r.Name, err)
				}
			}
		}
	}
}

// serveOverLoopback serves on a loopback listener with serve until the
// test ends, and returns a connection to it.
func serveOverLoopback(tb testing.TB, serve func(context.Context, net.Listener) error) net.Conn {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c.Close()
		cancel()
		if err := <-served; err != nil {
			tb.Error(err)
		}
	})
	return c
}

// rawRequest is r as Divar sends it (NewRequest), in HTTP/1.1's words.
func rawRequest(r Request) []byte {
	var w bytes.Buffer
	req := NewRequest(r)
	if err := req.Write(&w); err != nil {
		panic(err)
	}
	return w.Bytes()
}

// readAnswer reads one answer from br and fails unless it is a 200 with a
// Content-Length body.
func readAnswer(br *bufio.Reader) error {
	status, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	ok := bytes.HasPrefix(status, []byte("HTTP/1.1 200 "))
	n := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if v, found := bytes.CutPrefix(line, []byte("Content-Length: ")); found {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return err
			}
		}
	}
	if n < 0 {
		return errors.New("an answer without Content-Length")
	}
	if _, err := br.Discard(n); err != nil {
		return err
	}
	if !ok {
		return errors.New("answered " + string(bytes.TrimSpace(status)))
	}
	return nil
}
