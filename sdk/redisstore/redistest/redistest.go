// Package redistest starts a real redis-server for a test, as httptest
// starts a real HTTP server: an add-on's tests of its Redis stores run
// against Redis itself, not a fake.
package redistest

import (
	"context"
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
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("KENARKIT_REDIS") == "1" {
			tb.Fatal("redis-server is not installed (apt-get install redis-server)")
		}
		tb.Skip("redis-server is not installed; set KENARKIT_REDIS=1 to make this a failure")
	}
	dir := tb.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(bin, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ {
		if ping(sock) {
			return "unix://" + sock
		}
		if i == 200 {
			tb.Fatal("redis-server did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ping reports whether a Redis server answers PING on the unix socket.
func ping(sock string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", sock)
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
