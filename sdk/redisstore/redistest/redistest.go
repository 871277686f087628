// Package redistest starts a real redis-server for a test, as httptest
// starts a real HTTP server: an add-on's tests of its Redis stores run
// against Redis itself, not a fake. [Start] starts one node,
// [StartPersistent] one that can be killed and restarted with its data,
// [StartCluster] a Redis Cluster of n masters and [StartSentinel] a master
// behind a Sentinel, each giving the URL that REDIS_URL would take.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Start starts a fresh redis-server listening on a unix socket in a
// temporary directory, with nothing saved to disk, stops it at the end of
// the test, and returns its URL for redis.ParseURL (as REDIS_URL takes it).
//
// The test is skipped when redis-server is not installed, unless the
// environment sets KENARKIT_REDIS=1 (as kenarkit's CI does), when that is a
// failure.
func Start(tb testing.TB) string {
	tb.Helper()
	url, stop, err := StartServer(tb.TempDir())
	switch {
	case errors.Is(err, ErrNotInstalled) && os.Getenv("KENARKIT_REDIS") != "1":
		tb.Skip("redis-server is not installed; set KENARKIT_REDIS=1 to make this a failure")
	case err != nil:
		tb.Fatal(err)
	}
	tb.Cleanup(stop)
	return url
}

// ErrNotInstalled: there is no redis-server on the PATH (or, for a
// cluster or a Sentinel, no redis-cli, which comes with it).
var ErrNotInstalled = errors.New("redistest: redis-server (with its redis-cli) is not installed (apt-get install redis-server)")

// StartServer is Start for a TestMain, where there is no testing.TB: it
// starts redis-server with its socket and files in dir, and returns its URL
// and the function that stops it.
func StartServer(dir string) (url string, stop func(), err error) {
	return startServer(dir, "--appendonly", "no")
}

// startServer starts redis-server in dir with the extra arguments.
func startServer(dir string, args ...string) (url string, stop func(), err error) {
	sock := filepath.Join(dir, "redis.sock")
	stop, err = launch(dir, "unix", sock, append([]string{"--port", "0", "--unixsocket", sock, "--save", "", "--dir", dir}, args...)...)
	if err != nil {
		return "", nil, err
	}
	return "unix://" + sock, stop, nil
}

// launch runs redis-server with args in dir and waits until it answers
// PING at addr on network (unix or tcp).
func launch(dir, network, addr string, args ...string) (stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	if !poll(time.Now().Add(2*time.Second), func() bool { return ping(network, addr) }) {
		stop()
		return nil, fmt.Errorf("redistest: redis-server did not start at %s", addr)
	}
	return stop, nil
}

// ping reports whether a Redis server answers PING at addr.
func ping(network, addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 7)
	n, _ := io.ReadFull(c, buf)
	return string(buf[:n]) == "+PONG\r\n"
}
