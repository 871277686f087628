package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// lazyPair returns a lazyConn accepted over loopback, watched by a
// sweeper ticking every 2 ms (a deadline 4 ms away or more is left to it),
// the client's end of it, and a channel told each time a read or write
// cut by a deadline armed earlier than the one asked for goes on.
func lazyPair(t *testing.T) (*lazyConn, net.Conn, <-chan struct{}) {
	t.Helper()
	sw, stop := newSweeper(2*time.Millisecond), make(chan struct{})
	go sw.run(stop)
	t.Cleanup(func() { close(stop) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := lazyListener{ln, sw}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	lc, ok := c.(*lazyConn)
	if !ok {
		t.Fatalf("Accept returned a %T, want a *lazyConn", c)
	}
	wentOn := make(chan struct{}, 16)
	lc.wentOn = func() { wentOn <- struct{}{} }
	t.Cleanup(func() { lc.Close(); client.Close() })
	return lc, client, wentOn
}

// sweptAt is the sweeper's clock, its last sweep: what it judges a
// deadline due soon from. A test that wants a deadline armed at once sets
// it from there, not from time.Now: on a busy machine the sweeper may not
// have swept for longer than its two ticks, and a deadline 1 ms from now
// would then be left to it.
func sweptAt(c *lazyConn) time.Time { return time.Unix(0, c.sw.now.Load()) }

// within fails the test if done is not closed in a long while: a liveness
// guard against a read or write that would hang, not a measure of time.
func within(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: still blocked", what)
	}
}

// TestLazyConnReads: a lazyConn's reads end at the deadline asked for,
// never before it (a deadline armed earlier, which goes off first, is
// re-armed and the read goes on) and never after it (an earlier one is
// armed at once when it is due soon, by the sweeper when it comes due).
func TestLazyConnReads(t *testing.T) {
	tests := []struct {
		name      string
		deadlines []time.Duration // asked in turn, from now; 0: none; negative: in the past
		goesOn    bool            // the read goes on past the armed deadline, and reads the data
	}{
		{"a later deadline: the read goes on past the one armed", []time.Duration{time.Millisecond, time.Hour}, true},
		{"no deadline after one: the read goes on", []time.Duration{time.Millisecond, 0}, true},
		{"an earlier deadline due soon: armed at once, the read times out", []time.Duration{time.Hour, 2 * time.Millisecond}, false},
		{"an earlier deadline due later: armed by the sweeper, the read times out", []time.Duration{time.Hour, 50 * time.Millisecond}, false},
		{"a deadline in the past interrupts the read", []time.Duration{time.Hour, -time.Hour}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, client, wentOn := lazyPair(t)
			for _, d := range tc.deadlines {
				var at time.Time
				if d != 0 {
					at = sweptAt(c).Add(d)
				}
				if err := c.SetReadDeadline(at); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan struct{})
			var n int
			var err error
			buf := make([]byte, 8)
			go func() { defer close(done); n, err = c.Read(buf) }()
			if tc.goesOn {
				within(t, wentOn, "the read cut by the armed deadline")
				if _, err := client.Write([]byte("request")); err != nil {
					t.Fatal(err)
				}
			}
			within(t, done, "the read")
			switch {
			case tc.goesOn && (err != nil || string(buf[:n]) != "request"):
				t.Fatalf("read %q, %v; want the client's bytes", buf[:n], err)
			case !tc.goesOn && !errors.Is(err, os.ErrDeadlineExceeded):
				t.Fatalf("read %q, %v; want the deadline exceeded", buf[:n], err)
			}
		})
	}
}

// TestLazyConnReadsAgainAfterAnInterrupt: net/http interrupts its
// background read with a deadline in the past, then asks for none, then
// for the idle deadline: the next read waits for the client's bytes.
func TestLazyConnReadsAgainAfterAnInterrupt(t *testing.T) {
	c, client, _ := lazyPair(t)
	for _, at := range []time.Time{time.Unix(1, 0), {}, time.Now().Add(time.Hour)} {
		if err := c.SetReadDeadline(at); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Write([]byte("next")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "next" {
		t.Fatalf("read %q, %v; want the client's bytes", buf, err)
	}
}

// TestLazyConnReadsAfterItsDeadline: once a read has ended at its
// deadline (as net/http's background read does when it is interrupted), a
// deadline asked for next, later or none, lets the next read wait for the
// client's bytes.
func TestLazyConnReadsAfterItsDeadline(t *testing.T) {
	for _, next := range []time.Duration{0, time.Hour} {
		c, client, _ := lazyPair(t)
		if err := c.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read past its deadline: %v, want the deadline exceeded", err)
		}
		var at time.Time
		if next != 0 {
			at = time.Now().Add(next)
		}
		if err := c.SetReadDeadline(at); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		buf := make([]byte, 4)
		var err error
		go func() { defer close(done); _, err = io.ReadFull(c, buf) }()
		if _, err := client.Write([]byte("next")); err != nil {
			t.Fatal(err)
		}
		within(t, done, "the read")
		if err != nil || string(buf) != "next" {
			t.Fatalf("deadline %v next: read %q, %v; want the client's bytes", next, buf, err)
		}
	}
}

// TestLazyConnWrites: a write to a client that does not read yet, cut by
// a deadline armed before a later one was asked, goes on where it was cut
// and delivers every byte once the client reads; a write whose deadline
// asked for passes ends with it.
func TestLazyConnWrites(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB: more than the sockets' buffers
	t.Run("a later deadline: the write goes on and delivers everything", func(t *testing.T) {
		c, client, wentOn := lazyPair(t)
		for _, at := range []time.Time{sweptAt(c).Add(time.Millisecond), time.Now().Add(time.Hour)} {
			if err := c.SetWriteDeadline(at); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan struct{})
		var n int
		var err error
		go func() { defer close(done); n, err = c.Write(payload) }()
		within(t, wentOn, "the write cut by the armed deadline")
		got, rerr := io.ReadAll(io.LimitReader(client, int64(len(payload))))
		within(t, done, "the write")
		if err != nil || n != len(payload) {
			t.Fatalf("wrote %d, %v; want %d, nil", n, err, len(payload))
		}
		if rerr != nil || !bytes.Equal(got, payload) {
			t.Fatalf("the client read %d bytes (%v), not the %d written in order", len(got), rerr, len(payload))
		}
	})
	t.Run("the deadline asked for passes: the write ends", func(t *testing.T) {
		c, _, _ := lazyPair(t)
		if err := c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond)); err != nil { // armed by the sweeper
			t.Fatal(err)
		}
		done := make(chan struct{})
		var n int
		var err error
		go func() { defer close(done); n, err = c.Write(payload) }()
		within(t, done, "the write")
		if !errors.Is(err, os.ErrDeadlineExceeded) || n >= len(payload) {
			t.Fatalf("wrote %d, %v; want fewer bytes and the deadline exceeded", n, err)
		}
	})
}

// TestLazyConnKeepsTCPs: net/http finds on a lazyConn what it looks for
// on a TCP connection: CloseWrite (a graceful close) and ReadFrom
// (sendfile), here with the deadline asked for armed first.
func TestLazyConnKeepsTCPs(t *testing.T) {
	c, client, _ := lazyPair(t)
	var conn net.Conn = c
	if _, ok := conn.(interface{ CloseWrite() error }); !ok {
		t.Fatal("no CloseWrite")
	}
	if err := c.SetWriteDeadline(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.SetWriteDeadline(time.Now().Add(2 * time.Hour)); err != nil { // lazily: the hour is armed
		t.Fatal(err)
	}
	if _, err := c.ReadFrom(bytes.NewReader([]byte("file"))); err != nil {
		t.Fatal(err)
	}
	if !c.write.armed.Equal(c.write.want) {
		t.Fatalf("ReadFrom ran with %v armed, want %v", c.write.armed, c.write.want)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(client); err != nil || string(got) != "file" {
		t.Fatalf("the client read %q, %v", got, err)
	}
}

// TestStoppedSweeperArmsAtOnce: once its sweeper has stopped (Serve has
// returned; a hijacked connection lives on), a lazyConn arms every
// deadline as it is asked, even one its sweeper would have left for later.
func TestStoppedSweeperArmsAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sw, stop, stopped := newSweeper(100*time.Millisecond), make(chan struct{}), make(chan struct{})
	go func() { sw.run(stop); close(stopped) }()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c, err := lazyListener{ln, sw}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	close(stop)
	<-stopped
	if err := c.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil { // beyond two ticks
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { _, err := c.Read(make([]byte, 1)); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v, want the deadline exceeded", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the read is still blocked: its deadline was never armed")
	}
}
