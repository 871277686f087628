package server

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// net/http moves a connection's deadlines five to eight times a request
// when the server has timeouts (the header's read deadline, the body's,
// the answer's write deadline and its reset, the idle deadline, and the
// reads it starts and aborts in the background), and each move re-arms a
// runtime timer and reads the clock: about a microsecond a request, 2–3%
// of the starter's CPU under load. [Server.Serve] serves TCP connections
// through a lazyConn, which keeps the deadlines net/http asks for exactly,
// but arms the connection's own only when it must. A deadline due soon
// (within two of its sweeper's ticks) is armed at once if it is earlier
// than the one armed; one due later waits, and the sweeper, which looks
// at every connection once a tick, arms it when it comes due soon: never
// late, unless the sweeper itself runs more than a tick late (as a runtime
// timer would on a starved process). A read or write cut by a deadline
// armed before a later one was asked goes on to that one: never early. Between requests net/http asks
// for deadlines seconds away, which then cost a comparison each.

// lazyListener serves its TCP connections as lazyConns, watched by sw
// (nil: every deadline is armed as soon as it is the earliest).
type lazyListener struct {
	net.Listener
	sw *sweeper
}

func (l lazyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		lc := &lazyConn{Conn: tc, tcp: tc, sw: l.sw}
		l.sw.add(lc)
		return lc, nil
	}
	return c, err
}

// sweeper arms the deadlines of its connections that come due within two
// ticks, once a tick.
type sweeper struct {
	tick    time.Duration
	now     atomic.Int64 // the last sweep's time, in Unix nanoseconds
	stopped atomic.Bool  // no more sweeps: every deadline is due soon

	mu    sync.Mutex
	conns map[*lazyConn]struct{}
}

// newSweeper returns a sweeper ticking every tick; run it.
func newSweeper(tick time.Duration) *sweeper {
	sw := &sweeper{tick: tick, conns: map[*lazyConn]struct{}{}}
	sw.now.Store(time.Now().UnixNano())
	return sw
}

// sweepTick is the sweeper's tick for the server's timeouts: a twentieth
// of the shortest (the request header's), at most a quarter second.
func sweepTick() time.Duration { return min(readHeaderTimeout/20, 250*time.Millisecond) }

// run sweeps every tick until stop is closed; then the connections left
// (hijacked ones) have every deadline armed as it is asked.
func (sw *sweeper) run(stop <-chan struct{}) {
	t := time.NewTicker(sw.tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			sw.stopped.Store(true)
			sw.sweep()
			return
		case <-t.C:
			sw.sweep()
		}
	}
}

// sweep arms each connection's deadlines that come due soon (all, once
// stopped).
func (sw *sweeper) sweep() {
	now := time.Now()
	sw.now.Store(now.UnixNano())
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for c := range sw.conns {
		c.mu.Lock()
		c.due(&c.read, now, c.tcp.SetReadDeadline)
		c.due(&c.write, now, c.tcp.SetWriteDeadline)
		c.mu.Unlock()
	}
}

func (sw *sweeper) add(c *lazyConn) {
	if sw == nil {
		return
	}
	sw.mu.Lock()
	sw.conns[c] = struct{}{}
	sw.mu.Unlock()
}

func (sw *sweeper) remove(c *lazyConn) {
	if sw == nil {
		return
	}
	sw.mu.Lock()
	delete(sw.conns, c)
	sw.mu.Unlock()
}

// soon reports whether t is due within two ticks of the last sweep: the
// next sweep may come too late for it. Every t is, without a sweeper.
func (sw *sweeper) soon(t time.Time) bool {
	return sw == nil || t.UnixNano() < sw.now.Load()+int64(2*sw.tick) || sw.stopped.Load()
}

// lazyConn is a TCP connection whose deadlines are moved later lazily.
// Every way to read or write it goes through the deadlines: it offers
// CloseWrite (net/http's graceful close), ReadFrom (its sendfile) and
// WriteTo, and not the TCP connection's other methods (a writev of
// net.Buffers would go around them).
type lazyConn struct {
	net.Conn // tcp
	tcp      *net.TCPConn
	sw       *sweeper

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

// set asks for t (zero: no deadline) in one direction. It is armed at
// once only when it is due soon and earlier than the deadline armed (or
// none is armed); one due later is left to the sweeper, and a later one,
// or none, waits until the armed one goes off (see goOn). Once the armed
// one has gone off (net/http interrupts its background read with a
// deadline in the past after every request) the next read would end at
// once: t is armed then if it is due soon, else none.
// Called with c.mu held.
func (c *lazyConn) set(d *deadline, t time.Time, arm func(time.Time) error) error {
	d.want = t
	switch {
	case d.fired:
		d.fired = false
		d.armed = time.Time{}
		if !t.IsZero() && c.sw.soon(t) {
			d.armed = t
		}
	case t.IsZero() || (!d.armed.IsZero() && !t.Before(d.armed)) || !c.sw.soon(t):
		return nil
	default:
		d.armed = t
	}
	return arm(d.armed)
}

// due arms the deadline asked for in one direction if it comes due within
// two ticks of now and is not armed (a later one, or none, is). Called by
// the sweeper with c.mu held.
func (c *lazyConn) due(d *deadline, now time.Time, arm func(time.Time) error) {
	if d.want.IsZero() || (!d.armed.IsZero() && !d.want.Before(d.armed)) || (d.want.Sub(now) >= 2*c.sw.tick && !c.sw.stopped.Load()) {
		return
	}
	d.armed, d.fired = d.want, false
	_ = arm(d.want) // an error: the connection is closed
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
	d.armed = time.Time{} // none, or the one asked for if due soon
	if !d.want.IsZero() && c.sw.soon(d.want) {
		d.armed = d.want
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

// Close closes the connection, which its sweeper no longer watches.
func (c *lazyConn) Close() error {
	c.sw.remove(c)
	return c.Conn.Close()
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
