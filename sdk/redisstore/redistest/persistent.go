package redistest

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Server is a redis-server that a test can kill, as a crash or an
// operator would, and start again with its data: it writes every change to
// its append-only file before answering (appendonly yes, appendfsync
// always), as a deployment that must not forget a started step runs Redis.
type Server struct {
	// URL is the server's address for redis.ParseURL; it stays the same
	// across restarts.
	URL string

	tb      testing.TB
	dir     string
	network string   // of addr: unix or tcp
	addr    string   // where it answers
	args    []string // of redis-server
	mu      sync.Mutex
	stop    func() // nil while killed
}

// StartPersistent starts a persistent Server for the test, killed at its
// end; it is skipped or fails as [Start] is when redis-server is missing.
func StartPersistent(tb testing.TB) *Server {
	tb.Helper()
	dir := tb.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	s := &Server{tb: tb, dir: dir, network: "unix", addr: sock, URL: "unix://" + sock,
		args: []string{"--port", "0", "--unixsocket", sock, "--save", "", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always"}}
	switch err := s.start(); {
	case errors.Is(err, ErrNotInstalled) && os.Getenv("KENARKIT_REDIS") != "1":
		tb.Skip("redis-server is not installed; set KENARKIT_REDIS=1 to make this a failure")
	case err != nil:
		tb.Fatal(err)
	}
	tb.Cleanup(s.Kill)
	return s
}

func (s *Server) start() error {
	stop, err := launch(s.dir, s.network, s.addr, s.args...)
	if err != nil {
		return err
	}
	s.stop = stop
	return nil
}

// Kill kills the server (SIGKILL) and waits until it has exited; it does
// nothing if the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
}

// Restart starts a killed server again on the same socket, with the data
// it had written; it does nothing if the server is running.
func (s *Server) Restart() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		return
	}
	if err := s.start(); err != nil {
		s.tb.Fatal(err)
	}
}
