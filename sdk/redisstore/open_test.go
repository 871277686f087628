package redisstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/redisstore"
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

// envRedis is Open for REDIS_URL url, closed at the end of the test.
func envRedis(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	rdb, err := redisstore.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Redis killed, commands failing (more of them than the pool's size,
// which is when go-redis starts answering its last dial error without
// dialing, for up to a second), Redis restarted: the first command after
// the restart is served, on one node, behind a Sentinel and on a
// cluster. Without Dialer it fails with the cached "connection
// refused".
func TestRedisComesBackAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) (url string, kill, restart func())
	}{
		{"one node", func(t *testing.T) (string, func(), func()) {
			s := redistest.StartPersistent(t)
			return s.URL, s.Kill, s.Restart
		}},
		{"sentinel", func(t *testing.T) (string, func(), func()) {
			s := redistest.StartSentinel(t)
			return s.URL, s.Master.Kill, s.Master.Restart
		}},
		{"cluster", func(t *testing.T) (string, func(), func()) {
			c := redistest.StartCluster(t, 3)
			return c.URL, c.Kill, c.Restart
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, kill, restart := tc.start(t)
			const poolSize = 2
			rdb := envRedis(t, url+sep(url)+"pool_size=2")
			ctx := t.Context()
			if err := rdb.Set(ctx, "k", "before", 0).Err(); err != nil {
				t.Fatal(err)
			}
			kill()
			for i := range 3 * poolSize {
				err := rdb.Set(ctx, "k", "during", 0).Err()
				var dial *net.OpError
				if !errors.As(err, &dial) || dial.Op != "dial" {
					t.Fatalf("command %d with Redis down: err = %v, want the dial's *net.OpError", i, err)
				}
			}
			restart()
			if err := rdb.Set(ctx, "k", "after", 0).Err(); err != nil {
				t.Fatalf("the first command after Redis came back: %v", err)
			}
			if got, err := rdb.Get(ctx, "k").Result(); got != "after" || err != nil {
				t.Errorf("GET k = %q, %v", got, err)
			}
		})
	}
}

// sep is what joins a parameter to url: "?" or "&".
func sep(url string) string {
	if strings.Contains(url, "?") {
		return "&"
	}
	return "?"
}

// LogRedis says in one line whether Redis is in use and answered, and
// never shows the password.
func TestLogStatus(t *testing.T) {
	const password = "hunter2-secret"
	url, _ := startRedisIn(t, t.TempDir())
	sock := strings.TrimPrefix(url, "unix://")
	for _, tc := range []struct {
		name     string
		rdb      func(t *testing.T) redis.UniversalClient
		answered bool
		want     []string
	}{
		{"not in use", func(*testing.T) redis.UniversalClient { return nil }, false,
			[]string{"level=INFO msg=redis in_use=false state="}},
		{"in use and answering", func(t *testing.T) redis.UniversalClient { return envRedis(t, url) }, true,
			[]string{"level=INFO msg=redis in_use=true addr=" + sock + " db=0 answered=true"}},
		{"a cluster answering", func(t *testing.T) redis.UniversalClient { return envRedis(t, redistest.StartCluster(t, 3).URL) }, true,
			[]string{"level=INFO msg=redis in_use=true mode=cluster addrs=127.0.0.1:", ",127.0.0.1:", " answered=true"}},
		{"one node of a cluster, named alone", func(t *testing.T) redis.UniversalClient {
			return envRedis(t, "redis://"+redistest.StartCluster(t, 3).Addrs[0])
		}, true, []string{"level=WARN msg=redis in_use=true addr=127.0.0.1:", "answered=true warning=\"a node of a Redis Cluster", "?addr=node-2:6379"}},
		{"a Sentinel's master answering", func(t *testing.T) redis.UniversalClient { return envRedis(t, redistest.StartSentinel(t).URL) }, true,
			[]string{"level=INFO msg=redis in_use=true mode=sentinel db=0 answered=true"}},
		{"down", func(t *testing.T) redis.UniversalClient {
			return envRedis(t, "unix://:"+password+"@"+filepath.Join(t.TempDir(), "none.sock"))
		}, false, []string{"level=WARN msg=redis in_use=true", "answered=false error=", "none.sock"}},
		{"a wrong password", func(t *testing.T) redis.UniversalClient {
			url, _ := startRedisIn(t, t.TempDir())
			if err := envRedis(t, url).ConfigSet(t.Context(), "requirepass", "the-right-one").Err(); err != nil {
				t.Fatal(err)
			}
			return envRedis(t, "unix://:"+password+"@"+strings.TrimPrefix(url, "unix://"))
		}, false, []string{"level=WARN msg=redis in_use=true addr=", "db=0 answered=false error="}},
		{"an error that repeats the password", func(t *testing.T) redis.UniversalClient {
			return envRedis(t, "unix://:"+password+"@"+replyingServer(t, "-ERR AUTH failed for "+password+"\r\n"))
		}, false, []string{"level=WARN msg=redis in_use=true", `answered=false error="ERR AUTH failed for [password]"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			got := redisstore.LogStatus(t.Context(), slog.New(slog.NewTextHandler(&logs, nil)), tc.rdb(t))
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

// REDIS_URL's forms give go-redis's clients, each with Open's
// bounds (one dial retry, one command retry) and its dialer.
func TestRedisURLForms(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		check     func(rdb redis.UniversalClient) string // "" when right
	}{
		{"one node", "redis://:pw@redis:6379/2", func(rdb redis.UniversalClient) string {
			o := rdb.(*redis.Client).Options()
			if o.Addr != "redis:6379" || o.DB != 2 || o.Password != "pw" || o.TLSConfig != nil {
				return "not the node named"
			}
			return bounds(o.DialerRetries, o.MaxRetries, o.DialTimeout, o.ReadTimeout, o.Dialer != nil)
		}},
		{"one node over TLS, options kept", "rediss://redis:6380?read_timeout=3s&pool_size=7", func(rdb redis.UniversalClient) string {
			o := rdb.(*redis.Client).Options()
			if o.TLSConfig == nil || o.ReadTimeout != 3*time.Second || o.PoolSize != 7 {
				return "not TLS with the options set"
			}
			return ""
		}},
		{"a unix socket", "unix:///run/redis.sock?db=1", func(rdb redis.UniversalClient) string {
			o := rdb.(*redis.Client).Options()
			if o.Network != "unix" || o.Addr != "/run/redis.sock" || o.DB != 1 {
				return "not the socket named"
			}
			return bounds(o.DialerRetries, o.MaxRetries, o.DialTimeout, o.ReadTimeout, o.Dialer != nil)
		}},
		{"a cluster", "redis://:pw@node-1:6379?addr=node-2:6379&addr=node-3:6379", func(rdb redis.UniversalClient) string {
			o := rdb.(*redis.ClusterClient).Options()
			if strings.Join(o.Addrs, ",") != "node-1:6379,node-2:6379,node-3:6379" || o.Password != "pw" {
				return "not the nodes named: " + strings.Join(o.Addrs, ",")
			}
			return bounds(o.DialerRetries, o.MaxRetries, o.DialTimeout, o.ReadTimeout, o.Dialer != nil)
		}},
		{"a Sentinel's master", "redis://sentinel-1:26379/3?master_name=main&addr=sentinel-2:26379&password=pw", func(rdb redis.UniversalClient) string {
			o := rdb.(*redis.Client).Options()
			if o.Addr != "FailoverClient" || o.DB != 3 || o.Password != "pw" {
				return "not the Sentinels' master"
			}
			return bounds(o.DialerRetries, o.MaxRetries, o.DialTimeout, o.ReadTimeout, o.Dialer != nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb := envRedis(t, tc.url)
			if msg := tc.check(rdb); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// bounds checks Open's defaults on a client's options.
func bounds(dialerRetries, maxRetries int, dial, read time.Duration, dialer bool) string {
	if dialerRetries != 1 || maxRetries != 1 || dial != 2*time.Second || read != time.Second || !dialer {
		return fmt.Sprintf("bounds: dialer_retries=%d max_retries=%d dial=%v read=%v dialer=%v", dialerRetries, maxRetries, dial, read, dialer)
	}
	return ""
}

// A REDIS_URL that names no Redis is refused by Open, naming the
// variable, the forms and go-redis's reason, never the password.
func TestRedisURLRefused(t *testing.T) {
	const password = "hunter2-secret"
	for _, tc := range []struct{ name, url, reason string }{
		{"not a redis scheme", "http://:" + password + "@redis:6379", "invalid URL scheme: http"},
		{"not a URL", "redis://:" + password + "@redis:6379/%zz", ""},
		{"an unknown option", "redis://:" + password + "@redis:6379?pool=3", "unexpected option: pool"},
		{"a cluster node without a port", "redis://:" + password + "@node-1:6379?addr=node-2", "unable to parse addr param: node-2"},
		{"a cluster on a unix socket", "unix://:" + password + "@/run/redis.sock?addr=node-2:6379", "invalid URL scheme: unix"},
		{"a Sentinel's master, a wrong option", "redis://sentinel:26379?master_name=main&password=" + password + "&pool=3", "unexpected option: pool"},
		{"a password that the reason would repeat", "redis://redis:6379?master_name=main&addr=" + password + "&password=" + password, "unable to parse addr param: [password]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb, err := redisstore.Open(tc.url)
			if err == nil {
				rdb.Close()
				t.Fatal("Open accepted it")
			}
			for _, want := range []string{"REDIS_URL must be a redis:// URL", "master_name=NAME", "?addr=host2:port", tc.reason} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error lacks %q: %v", want, err)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// Without REDIS_URL there is no client and no error: the add-on keeps
// its state in memory.
func TestOpenWithoutURL(t *testing.T) {
	if rdb, err := redisstore.Open(""); rdb != nil || err != nil {
		t.Fatalf("Open(\"\") = %v, %v; want nil, nil", rdb, err)
	}
}
