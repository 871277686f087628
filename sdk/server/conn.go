package server

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// net/http moves a connection's deadlines five to eight times a request
// when the server has timeouts (the header's read deadline, the body's,
// the answer's write deadline and its reset, the idle deadline, and the
// reads it starts and aborts in the background), and each move of a
// deadline later re-arms a runtime timer and reads the clock: about a
// microsecond a request, 2–3% of the starter's CPU under load. [Server.Serve]
// serves TCP connections through a lazyConn, which keeps the deadlines
// net/http asks for exactly, but moves the connection's own only when it
// must: to an earlier time at once (a timeout is never late), to a later
// one only when the earlier one it had armed goes off, the read or write
// it cut then going on to the new deadline (a timeout is never early).

// lazyListener serves its TCP connections as lazyConns.
type lazyListener struct{ net.Listener }

func (l lazyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		return &lazyConn{Conn: tc, tcp: tc}, nil
	}
	return c, err
}

// lazyConn is a TCP connection whose deadlines are moved later lazily.
// Every way to read or write it goes through the deadlines: it offers
// CloseWrite (net/http's graceful close), ReadFrom (its sendfile) and
// WriteTo, and not the TCP connection's other methods (a writev of
// net.Buffers would go around them).
type lazyConn struct {
	net.Conn // tcp
	tcp      *net.TCPConn

	mu          sync.Mutex
	read, write deadline

	wentOn func() // for tests: called when a read or write cut early goes on
}

// deadline is one direction's: the deadline asked for and the one armed
// on the connection (zero: none), and whether the one armed has gone off
// (a read or write ended with it).
type deadline struct {
	want, armed time.Time
	fired       bool
}

func (c *lazyConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set(&c.read, t, c.tcp.SetReadDeadline)
}

func (c *lazyConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set(&c.write, t, c.tcp.SetWriteDeadline)
}

func (c *lazyConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.set(&c.read, t, c.tcp.SetReadDeadline), c.set(&c.write, t, c.tcp.SetWriteDeadline))
}

// set asks for t (zero: no deadline) in one direction, and arms it at
// once only when it is earlier than the deadline armed (or none is):
// a later one, or none, waits until the armed one goes off (see goOn).
// Once the armed one has gone off (net/http interrupts its background
// read with a deadline in the past after every request), the next read
// would end at once: t is armed then, or one soon if later (see soon).
// Called with c.mu held.
func (c *lazyConn) set(d *deadline, t time.Time, arm func(time.Time) error) error {
	d.want = t
	switch {
	case d.fired:
		d.fired = false
		d.armed = soon(t)
	case t.IsZero() || (!d.armed.IsZero() && !t.Before(d.armed)):
		return nil
	default:
		d.armed = t
	}
	return arm(d.armed)
}

// soon returns t (zero: none) or, if t is later, the time the shortest of
// the server's timeouts from now, the request header's: the deadlines
// net/http asks for next (the header's, from the request's first bytes)
// are then later than the one armed, and wait too.
func soon(t time.Time) time.Time {
	if s := time.Now().Add(readHeaderTimeout); t.IsZero() || s.Before(t) {
		return s
	}
	return t
}

// goOn reports, for a read or write that failed with err, whether it was
// cut by an armed deadline other than the one asked for (which, armed at
// once when earlier, is then later, or none), and if so arms the one asked
// for so that the read or write goes on. Any other error, or the deadline
// asked for, ends it: a deadline asked for that has passed by now goes off
// again at once.
func (c *lazyConn) goOn(d *deadline, err error, arm func(time.Time) error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.armed.Equal(d.want) {
		d.fired = true
		return false // the deadline asked for went off
	}
	d.armed = time.Time{}
	if !d.want.IsZero() {
		d.armed = soon(d.want)
	}
	if arm(d.armed) != nil {
		return false
	}
	if c.wentOn != nil {
		c.wentOn()
	}
	return true
}

func (c *lazyConn) Read(p []byte) (int, error) {
	for {
		n, err := c.tcp.Read(p)
		if n > 0 || err == nil || !c.goOn(&c.read, err, c.tcp.SetReadDeadline) {
			return n, err
		}
	}
}

func (c *lazyConn) Write(p []byte) (int, error) {
	written := 0
	for {
		n, err := c.tcp.Write(p[written:])
		written += n
		if err == nil || !c.goOn(&c.write, err, c.tcp.SetWriteDeadline) {
			return written, err
		}
	}
}

// CloseWrite shuts down the writing side of the connection.
func (c *lazyConn) CloseWrite() error { return c.tcp.CloseWrite() }

// ReadFrom (net/http's sendfile, when a handler serves a file) and WriteTo
// copy through the TCP connection's own, which a deadline armed early
// would cut part-way: the deadline asked for is armed first.
func (c *lazyConn) ReadFrom(r io.Reader) (int64, error) {
	if err := c.exact(&c.write, c.tcp.SetWriteDeadline); err != nil {
		return 0, err
	}
	return c.tcp.ReadFrom(r)
}

func (c *lazyConn) WriteTo(w io.Writer) (int64, error) {
	if err := c.exact(&c.read, c.tcp.SetReadDeadline); err != nil {
		return 0, err
	}
	return c.tcp.WriteTo(w)
}

// exact arms the deadline asked for, if it is not armed.
func (c *lazyConn) exact(d *deadline, arm func(time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.armed.Equal(d.want) {
		return nil
	}
	d.armed, d.fired = d.want, false
	return arm(d.want)
}
