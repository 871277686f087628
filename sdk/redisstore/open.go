package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// urlVar is the variable an add-on reads its Redis URL from
// (addonenv.RedisURLVar): [Open]'s errors and [LogStatus] name it.
const urlVar = "REDIS_URL"

// Open returns a client of the Redis that redisURL (an add-on's
// REDIS_URL, addonenv's Env.RedisURL) names, or nil when it is empty.
// It takes go-redis's own URL forms, told apart by their query:
//
//	redis://[[user]:password@]host:port[/db]        one node (redis.ParseURL);
//	rediss://…                                      the same over TLS;
//	unix://[[user]:password@]/path/redis.sock?db=0  one node on a unix socket;
//	redis://[[user]:password@]host1:port?addr=host2:port&addr=host3:port
//	                                                a Redis Cluster, through any two or
//	                                                more of its nodes (redis.ParseClusterURL);
//	redis://[[user]:password@]sentinel1:26379[/db]?master_name=NAME[&addr=sentinel2:26379…][&password=…]
//	                                                the master NAME that Sentinels watch
//	                                                (redis.ParseFailoverURL): the user
//	                                                information is the Sentinels', the
//	                                                master's password is the password
//	                                                parameter.
//
// Every form takes go-redis's other options as parameters (pool_size=20,
// dial_timeout=3s, skip_verify=true…). The client is a *redis.Client for
// one node or a Sentinel's master, a *redis.ClusterClient for a Cluster;
// the stores of this package work on each: no script or transaction of
// theirs spans two keys, so none crosses a cluster's slots.
//
// It does not connect: a Redis that is down is reported by each call,
// quickly (one dial retry, short timeouts), so that the add-on goes on
// answering what needs no Redis; and the first call after Redis comes
// back is served (see [Dialer]), on every form. [LogStatus] says at
// start-up whether it answered. A malformed URL is an error naming
// REDIS_URL and the forms, never the URL or its password.
//
// It lives here rather than in addonenv so that an add-on compiles
// go-redis's client into as few packages as it can: each package that
// imports go-redis compiles some 1,700 generic wrappers of its own.
func Open(redisURL string) (redis.UniversalClient, error) {
	if redisURL == "" {
		return nil, nil
	}
	u, err := url.Parse(redisURL)
	if err != nil {
		return nil, redisURLError(nil)
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		opt, err := redis.ParseFailoverURL(redisURL)
		if err != nil {
			return nil, redisURLError(scrub(err, u))
		}
		opt.Dialer = Dialer(redis.NewDialer(&redis.Options{DialTimeout: redisDialTimeout(&opt.DialTimeout), TLSConfig: opt.TLSConfig}))
		quick(&opt.ReadTimeout, &opt.WriteTimeout, &opt.DialerRetries, &opt.MaxRetries)
		return redis.NewFailoverClient(opt), nil
	case q.Has("addr"):
		opt, err := redis.ParseClusterURL(redisURL)
		if err != nil {
			return nil, redisURLError(scrub(err, u))
		}
		opt.Dialer = Dialer(redis.NewDialer(&redis.Options{DialTimeout: redisDialTimeout(&opt.DialTimeout), TLSConfig: opt.TLSConfig}))
		quick(&opt.ReadTimeout, &opt.WriteTimeout, &opt.DialerRetries, &opt.MaxRetries)
		return redis.NewClusterClient(opt), nil
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, redisURLError(scrub(err, u))
	}
	redisDialTimeout(&opt.DialTimeout)
	opt.Dialer = Dialer(redis.NewDialer(opt))
	quick(&opt.ReadTimeout, &opt.WriteTimeout, &opt.DialerRetries, &opt.MaxRetries)
	return redis.NewClient(opt), nil
}

// redisDialTimeout sets *d to 2s when the URL left it unset, and returns
// it.
func redisDialTimeout(d *time.Duration) time.Duration {
	if *d == 0 {
		*d = 2 * time.Second
	}
	return *d
}

// quick sets the bounds of [Open]'s clients: one dial retry and
// one command retry, and a second to read or write unless the URL says
// otherwise.
func quick(read, write *time.Duration, dialerRetries, maxRetries *int) {
	*dialerRetries, *maxRetries = 1, 1
	for _, d := range []*time.Duration{read, write} {
		if *d == 0 {
			*d = time.Second
		}
	}
}

// redisURLError is the error of a REDIS_URL that does not parse: the
// forms, and go-redis's reason (cause) when it holds no secret.
func redisURLError(cause error) error {
	const forms = " (rediss:// for TLS, or unix://): one node redis://[:password@]host:port/db, " +
		"a cluster's nodes redis://host1:port?addr=host2:port&addr=…, " +
		"or Sentinels redis://sentinel:26379?master_name=NAME&addr=…"
	if cause == nil {
		return fmt.Errorf("%s must be a redis:// URL%s", urlVar, forms)
	}
	return fmt.Errorf("%s must be a redis:// URL%s: %v", urlVar, forms, cause)
}

// scrub returns err's text without the passwords u holds (in its user
// information and its password parameters): go-redis's parse errors name
// options and addresses, and this makes sure they never show a secret.
func scrub(err error, u *url.URL) error {
	msg := err.Error()
	secrets := []string{u.Query().Get("password"), u.Query().Get("sentinel_password")}
	if p, ok := u.User.Password(); ok {
		secrets = append(secrets, p)
	}
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[password]")
		}
	}
	return fmt.Errorf("%s", msg)
}

// Dialer wraps a go-redis dialer (redis.NewDialer's, or an
// Options.Dialer) so that a client using it dials Redis for every command
// that needs a connection, and serves the first command after Redis comes
// back: set it as the client's Options.Dialer (ClusterOptions.Dialer,
// FailoverOptions.Dialer), as [Open] does.
//
// go-redis (v9, issue redis/go-redis#3062) counts the dials that fail
// and, once they reach the pool's size, answers every command with the
// last dial error without dialing, until a probe it runs once a second
// gets through: for up to a second after Redis returns, every request
// that needs Redis would fail. With Dialer a failed dial reaches the
// pool as a connection whose first use fails with the dial's error (so
// the command's error is the dial's, a *net.OpError, retried as one):
// the pool drops it and counts nothing. The price: while Redis is down,
// each command that needs a connection tries a dial (bounded by
// DialTimeout, at once when the connection is refused) where go-redis
// would have failed it without one. Behind Sentinels, the Sentinels'
// answer (where the master is) is go-redis's own, before any dial: a
// Sentinel set that is down fails each call with its error.
func Dialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return failedConn{err: dialError{err}}, nil
		}
		return conn, nil
	}
}

// failedConn is a connection whose dial failed: every read and write
// returns err.
type failedConn struct{ err error }

func (c failedConn) Read([]byte) (int, error)       { return 0, c.err }
func (c failedConn) Write([]byte) (int, error)      { return 0, c.err }
func (failedConn) Close() error                     { return nil }
func (failedConn) LocalAddr() net.Addr              { return failedAddr{} }
func (failedConn) RemoteAddr() net.Addr             { return failedAddr{} }
func (failedConn) SetDeadline(time.Time) error      { return nil }
func (failedConn) SetReadDeadline(time.Time) error  { return nil }
func (failedConn) SetWriteDeadline(time.Time) error { return nil }

type failedAddr struct{}

func (failedAddr) Network() string { return "" }
func (failedAddr) String() string  { return "" }

// dialError is the dial's error as the first use of a failedConn returns
// it: go-redis unwraps the error of a connection's handshake once, which
// leaves the dial's own error (and its text) for the command.
type dialError struct{ err error }

func (e dialError) Error() string { return e.err.Error() }
func (e dialError) Unwrap() error { return e.err }

// redisPingTimeout bounds [LogStatus]'s PING.
const redisPingTimeout = 5 * time.Second

// LogStatus writes one line at start-up saying whether the add-on keeps
// its state in Redis and, when it does, which and whether it answered a
// PING:
//
//	level=INFO msg=redis in_use=false state="in memory (REDIS_URL unset): one replica only"
//	level=INFO msg=redis in_use=true addr=redis:6379 db=0 answered=true
//	level=INFO msg=redis in_use=true mode=cluster addrs=redis-1:6379,redis-2:6379 answered=true
//	level=INFO msg=redis in_use=true mode=sentinel db=0 answered=true
//	level=WARN msg=redis in_use=true addr=redis:6379 db=0 answered=false error="dial tcp …: connection refused"
//	level=WARN msg=redis in_use=true addr=node-1:6379 db=0 answered=true warning="a node of a Redis Cluster, used as one Redis: …"
//
// rdb is [Open]'s client (nil without REDIS_URL). The line never
// holds the URL nor the password, even when an error repeats it. A Redis
// that does not answer is not fatal: the add-on answers what needs no
// Redis, and each call that needs it fails until Redis answers. It
// reports whether Redis answered (false when it is not in use).
func LogStatus(ctx context.Context, logger *slog.Logger, rdb redis.UniversalClient) (answered bool) {
	if rdb == nil {
		logger.LogAttrs(ctx, slog.LevelInfo, "redis", slog.Bool("in_use", false),
			slog.String("state", "in memory ("+urlVar+" unset): one replica only"))
		return false
	}
	attrs := []slog.Attr{slog.Bool("in_use", true)}
	var password string
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		opt := c.Options()
		password = opt.Password
		attrs = append(attrs, slog.String("mode", "cluster"), slog.String("addrs", strings.Join(opt.Addrs, ",")))
	case *redis.Client:
		opt := c.Options()
		password = opt.Password
		if opt.Addr == "FailoverClient" { // go-redis's name for a Sentinel's master, which moves
			attrs = append(attrs, slog.String("mode", "sentinel"))
		} else {
			attrs = append(attrs, slog.String("addr", opt.Addr))
		}
		attrs = append(attrs, slog.Int("db", opt.DB))
	}
	pingCtx, cancel := context.WithTimeout(ctx, redisPingTimeout)
	defer cancel()
	err := rdb.Ping(pingCtx).Err()
	if err == nil {
		if c, ok := rdb.(*redis.Client); ok && clusterNode(pingCtx, c) {
			logger.LogAttrs(ctx, slog.LevelWarn, "redis", append(attrs, slog.Bool("answered", true),
				slog.String("warning", "a node of a Redis Cluster, used as one Redis: keys on its other nodes fail (MOVED); name two or more nodes in "+urlVar+": redis://node-1:6379?addr=node-2:6379"))...)
			return true
		}
		logger.LogAttrs(ctx, slog.LevelInfo, "redis", append(attrs, slog.Bool("answered", true))...)
		return true
	}
	msg := err.Error()
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "[password]")
	}
	logger.LogAttrs(ctx, slog.LevelWarn, "redis", append(attrs, slog.Bool("answered", false), slog.String("error", msg))...)
	return false
}

// clusterNode reports whether the one Redis that c names is a node of a
// Redis Cluster, as REDIS_URL naming a single node of one would make it.
func clusterNode(ctx context.Context, c *redis.Client) bool {
	info, err := c.Info(ctx, "cluster").Result()
	return err == nil && strings.Contains(info, "cluster_enabled:1")
}
