package redistest

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Proxy stands between the clients and a redis-server and can cut them
// off, as Redis dying or the network failing would, without losing what
// Redis holds: [Proxy.Block] closes every connection and refuses new ones
// until [Proxy.Unblock]. A test blocks it at the step it wants Redis gone
// (between a send and its commit, a refresh and its save) and unblocks it
// to see what survived.
type Proxy struct {
	// URL is the proxy's address, for redis.ParseURL in place of the
	// server's.
	URL string

	target  string
	ln      net.Listener
	mu      sync.Mutex
	blocked bool
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// NewProxy starts a proxy to the redis-server at url (a unix:// URL, as
// [Start] returns), stopped at the end of the test.
func NewProxy(tb testing.TB, url string) *Proxy {
	tb.Helper()
	target, ok := strings.CutPrefix(url, "unix://")
	if !ok {
		tb.Fatalf("redistest: NewProxy of %q: not a unix:// URL", url)
	}
	sock := filepath.Join(tb.TempDir(), "proxy.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{URL: "unix://" + sock, target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	tb.Cleanup(p.close)
	return p
}

// Block closes the connections through the proxy and refuses new ones
// (each is closed as soon as accepted) until Unblock.
func (p *Proxy) Block() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = true
	for c := range p.conns {
		c.Close()
	}
}

// Unblock lets connections through again.
func (p *Proxy) Unblock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = false
}

func (p *Proxy) close() {
	p.ln.Close()
	p.Block()
	p.wg.Wait()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.pipe(c)
		}()
	}
}

// pipe copies between the client c and a new connection to the server,
// until either side or Block closes them.
func (p *Proxy) pipe(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("unix", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	if !p.track(c, s) {
		return
	}
	defer p.untrack(c, s)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(s, c); s.Close(); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, s); c.Close(); done <- struct{}{} }()
	<-done
	<-done
}

func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blocked {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}
