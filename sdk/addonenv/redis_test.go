package addonenv_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/redisstore/redistest"
)

// startRedisIn starts a redis-server with its socket in dir, so that a
// second start in the same dir is the same Redis URL: a restart. It is
// stopped at the end of the test. Skipped without redis-server unless
// KENARKIT_REDIS=1, as redistest.Start.
func startRedisIn(t *testing.T, dir string) (url string, stop func()) {
	t.Helper()
	url, stop, err := redistest.StartServer(dir)
	switch {
	case errors.Is(err, redistest.ErrNotInstalled) && os.Getenv("KENARKIT_REDIS") != "1":
		t.Skip("redis-server is not installed; set KENARKIT_REDIS=1 to make this a failure")
	case err != nil:
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url, stop
}

// envRedis is Env.Redis for REDIS_URL url, closed at the end of the test.
func envRedis(t *testing.T, url string) *redis.Client {
	t.Helper()
	e, err := addonenv.Load(env("KENAR_IDENTIFICATION_KEY", "k", "REDIS_URL", url))
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := e.Redis()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Redis killed, commands failing (more of them than the pool's size,
// which is when go-redis starts answering its last dial error without
// dialing, for up to a second), Redis restarted: the first command after
// the restart is served. Without RedisDialer it fails with the cached
// "connection refused".
func TestRedisComesBackAtOnce(t *testing.T) {
	dir := t.TempDir()
	url, stop := startRedisIn(t, dir)
	const poolSize = 2
	rdb := envRedis(t, url+"?pool_size=2")
	ctx := t.Context()
	if err := rdb.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	stop()
	for i := range 3 * poolSize {
		err := rdb.Set(ctx, "k", "during", 0).Err()
		var dial *net.OpError
		if !errors.As(err, &dial) || dial.Op != "dial" {
			t.Fatalf("command %d with Redis down: err = %v, want the dial's *net.OpError", i, err)
		}
	}
	if again, _ := startRedisIn(t, dir); again != url {
		t.Fatalf("restarted at %s, not %s", again, url)
	}
	if err := rdb.Set(ctx, "k", "after", 0).Err(); err != nil {
		t.Fatalf("the first command after Redis came back: %v", err)
	}
	if got, err := rdb.Get(ctx, "k").Result(); got != "after" || err != nil {
		t.Errorf("GET k = %q, %v", got, err)
	}
}

// LogRedis says in one line whether Redis is in use and answered, and
// never shows the password.
func TestLogRedis(t *testing.T) {
	const password = "hunter2-secret"
	url, _ := startRedisIn(t, t.TempDir())
	sock := strings.TrimPrefix(url, "unix://")
	for _, tc := range []struct {
		name     string
		rdb      func(t *testing.T) *redis.Client
		answered bool
		want     []string
	}{
		{"not in use", func(*testing.T) *redis.Client { return nil }, false,
			[]string{"level=INFO msg=redis in_use=false state="}},
		{"in use and answering", func(t *testing.T) *redis.Client { return envRedis(t, url) }, true,
			[]string{"level=INFO msg=redis in_use=true addr=" + sock + " db=0 answered=true"}},
		{"down", func(t *testing.T) *redis.Client {
			return envRedis(t, "unix://:"+password+"@"+filepath.Join(t.TempDir(), "none.sock"))
		}, false, []string{"level=WARN msg=redis in_use=true", "answered=false error=", "none.sock"}},
		{"a wrong password", func(t *testing.T) *redis.Client {
			url, _ := startRedisIn(t, t.TempDir())
			if err := envRedis(t, url).ConfigSet(t.Context(), "requirepass", "the-right-one").Err(); err != nil {
				t.Fatal(err)
			}
			return envRedis(t, "unix://:"+password+"@"+strings.TrimPrefix(url, "unix://"))
		}, false, []string{"level=WARN msg=redis in_use=true addr=", "db=0 answered=false error="}},
		{"an error that repeats the password", func(t *testing.T) *redis.Client {
			return envRedis(t, "unix://:"+password+"@"+replyingServer(t, "-ERR AUTH failed for "+password+"\r\n"))
		}, false, []string{"level=WARN msg=redis in_use=true", `answered=false error="ERR AUTH failed for [password]"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			got := addonenv.LogRedis(t.Context(), slog.New(slog.NewTextHandler(&logs, nil)), tc.rdb(t))
			if got != tc.answered {
				t.Errorf("answered = %v, want %v", got, tc.answered)
			}
			if n := strings.Count(logs.String(), "\n"); n != 1 {
				t.Errorf("%d lines, want 1:\n%s", n, logs.String())
			}
			for _, want := range tc.want {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the line lacks %q:\n%s", want, logs.String())
				}
			}
			if strings.Contains(logs.String(), password) {
				t.Errorf("the password is in the log:\n%s", logs.String())
			}
		})
	}
}

// replyingServer listens on a unix socket and answers anything read on a
// connection with reply; it returns the socket's path.
func replyingServer(t *testing.T, reply string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "echo.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				for {
					if _, err := conn.Read(buf); err != nil {
						return
					}
					if _, err := conn.Write([]byte(reply)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return sock
}
