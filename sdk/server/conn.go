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
		return &lazyConn{TCPConn: tc}, nil
	}
	return c, err
}

// lazyConn is a TCP connection whose deadlines are moved later lazily. Its
// other methods (CloseWrite, SetKeepAlive, SyscallConn…) are the TCP
// connection's.
type lazyConn struct {
	*net.TCPConn

	mu          sync.Mutex
	read, write deadline

	wentOn func() // for tests: called when a read or write cut early goes on
}

// deadline is one direction's: the deadline asked for and the one armed
// on the connection (zero: none).
type deadline struct {
	want, armed time.Time
}

func (c *lazyConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set(&c.read, t, c.TCPConn.SetReadDeadline)
}

func (c *lazyConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set(&c.write, t, c.TCPConn.SetWriteDeadline)
}

func (c *lazyConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.set(&c.read, t, c.TCPConn.SetReadDeadline), c.set(&c.write, t, c.TCPConn.SetWriteDeadline))
}

// set asks for t (zero: no deadline) in one direction, and arms it at
// once only when it is earlier than the deadline armed (or none is):
// a later one, or none, waits until the armed one goes off (see goOn).
// Called with c.mu held.
func (c *lazyConn) set(d *deadline, t time.Time, arm func(time.Time) error) error {
	d.want = t
	if t.IsZero() || (!d.armed.IsZero() && !t.Before(d.armed)) {
		return nil
	}
	d.armed = t
	return arm(t)
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
		return false // the deadline asked for went off
	}
	// Armed no further from now than the shortest of the server's
	// timeouts, the request header's, so that the deadlines net/http asks
	// for next (the header's, from the request's first bytes) are later
	// than the one armed, and wait too.
	d.armed = d.want
	if soon := time.Now().Add(readHeaderTimeout); !d.want.IsZero() && soon.Before(d.want) {
		d.armed = soon
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
		n, err := c.TCPConn.Read(p)
		if n > 0 || err == nil || !c.goOn(&c.read, err, c.TCPConn.SetReadDeadline) {
			return n, err
		}
	}
}

func (c *lazyConn) Write(p []byte) (int, error) {
	written := 0
	for {
		n, err := c.TCPConn.Write(p[written:])
		written += n
		if err == nil || !c.goOn(&c.write, err, c.TCPConn.SetWriteDeadline) {
			return written, err
		}
	}
}

// ReadFrom (net/http's sendfile, when a handler serves a file) and WriteTo
// copy through the TCP connection's own, which a deadline armed early
// would cut part-way: the deadline asked for is armed first.
func (c *lazyConn) ReadFrom(r io.Reader) (int64, error) {
	if err := c.exact(&c.write, c.TCPConn.SetWriteDeadline); err != nil {
		return 0, err
	}
	return c.TCPConn.ReadFrom(r)
}

func (c *lazyConn) WriteTo(w io.Writer) (int64, error) {
	if err := c.exact(&c.read, c.TCPConn.SetReadDeadline); err != nil {
		return 0, err
	}
	return c.TCPConn.WriteTo(w)
}

// exact arms the deadline asked for, if it is not armed.
func (c *lazyConn) exact(d *deadline, arm func(time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.armed.Equal(d.want) {
		return nil
	}
	d.armed = d.want
	return arm(d.want)
}
