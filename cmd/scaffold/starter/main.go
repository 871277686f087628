// Command starter is a Divar Kenar add-on: it answers Divar's callbacks
// (api/openapi.yaml), serves the page users land on, asks the seller's
// consent there, and then acts for them: it puts a post add-on on their
// post, follows the post's events (renewing the subscriptions as the
// tokens are refreshed) and greets users of its chat bot.
//
// Configuration, from the environment (only the first is required):
//
//	KENAR_IDENTIFICATION_KEY  the identification key from the Kenar panel
//	                          (several, comma-separated, while rotating)
//	PORT                      the port to listen on (default 8080)
//	PUBLIC_URL                the add-on's public base URL, as Divar and users
//	                          reach it (default http://localhost:$PORT)
//	SESSION_KEYS              base64 keys of 32 bytes sealing the landing
//	                          page's session and, at rest, the users' tokens,
//	                          comma-separated, newest first; give every
//	                          replica the same (default: one random key per
//	                          process)
//	KENAR_API_KEY             the app's API key from the Kenar panel; unset,
//	                          the add-on answers callbacks but sends nothing
//	                          (it logs so once)
//	KENAR_API_URL             Divar's API (default https://open-api.divar.ir)
//	KENAR_APP_SLUG            the app's slug: the OAuth client id
//	KENAR_OAUTH_SECRET        the app's OAuth secret; unset (or the slug
//	                          unset), the consent page names what is missing
//	KENAR_OAUTH_URL           Divar's OAuth server (default
//	                          https://oauth.divar.ir: /oauth2/auth, /oauth2/token)
//	REDIS_URL                 the Redis the replicas share
//	                          (redis://host:6379/0; a Cluster:
//	                          redis://node-1:6379?addr=node-2:6379&addr=…;
//	                          Sentinels: redis://sentinel:26379?master_name=NAME):
//	                          events handled once,
//	                          landing sessions, tokens, used OAuth states and
//	                          followed posts; unset, all in memory (one
//	                          replica). The add-on logs at start whether
//	                          Redis answered, and starts all the same
//	LOG_LEVEL                 the log's least level: debug, info, warn or
//	                          error (default info: the requests refused and
//	                          the errors, not each request served; debug
//	                          logs every request)
//	DRAIN_DELAY               how long to go on serving after SIGTERM, with
//	                          /readyz answering 503, before shutting down
//	                          (a Go duration; default 0)
//	KENAR_REFRESH_INTERVAL    how often the add-on checks its users' tokens
//	                          and refreshes those near expiry (a Go duration
//	                          under 5m; default 1m)
//	METRICS_ADDR              where to serve Prometheus metrics at /metrics
//	                          (:9090); never PORT, which Divar calls
//	                          (default: no metrics)
//	OTEL_EXPORTER_OTLP_ENDPOINT  the OpenTelemetry collector to send traces to
//	                          over OTLP/HTTP (http://otel-collector:4318), in
//	                          a build with traces (go build -tags otlp); the
//	                          other OTEL_* variables apply, and
//	                          OTEL_TRACES_SAMPLER unset keeps one trace in
//	                          twenty (parentbased_traceidratio 0.05) (default: no
//	                          traces)
//
// Run with the one argument `healthcheck`, it GETs /healthz on PORT on this
// host and exits 0 only if the add-on answers 200: the container's
// HEALTHCHECK (the image has no shell and no curl).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/redisstore"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/kenarkit/kenarkit/sdk/tokens"

	"github.com/kenarkit/kenarkit/cmd/scaffold/starter/gen"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == healthcheckArg { // the container's HEALTHCHECK
		if err := healthcheck(context.Background(), os.Getenv); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	logs := addonenv.NewLogWriter(os.Stderr) // log lines batched: one write every 100 ms, not one a request
	level, _ := addonenv.LogLevel(os.Getenv) // LOG_LEVEL; one that is not a level stops run (addonenv.Load)
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	redis.SetLogger(addonenv.RedisLogger(logger)) // go-redis's own messages as lines of this log
	err := run(ctx, os.Getenv, logger)
	stop()
	logs.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}

// run serves until ctx is done (SIGINT or SIGTERM), goes on serving
// DRAIN_DELAY with /readyz answering 503, then finishes in-flight
// requests.
func run(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	ln, err := cfg.Listen()
	if err != nil {
		return err
	}
	if cfg.obs, err = newObservability(cfg, logger); err != nil {
		ln.Close()
		return err
	}
	defer cfg.obs.close(context.WithoutCancel(ctx))
	e, addon, err := newServer(ctx, cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	cfg.obs.serve()
	// One line: state in memory, or in Redis and whether it answered. A
	// Redis down is no reason not to start: the callbacks need none.
	redisstore.LogStatus(ctx, logger, addon.rdb)
	freshCtx, stopFresh := context.WithCancel(ctx)
	fresh := make(chan struct{})
	go func() {
		defer close(fresh)
		addon.KeepFresh(freshCtx, cfg.RefreshInterval)
	}()
	err = cfg.Serve(ctx, ln, e, logger,
		slog.String("landing", cfg.PublicURL+landingPath),
		slog.String("direct_link", cfg.PublicURL+startPath),
		slog.String("oauth_redirect", cfg.PublicURL+callbackPath))
	stopFresh()
	<-fresh
	return errors.Join(err, addon.Close())
}

// refreshIntervalVar names how often the tokens are checked.
const refreshIntervalVar = "KENAR_REFRESH_INTERVAL"

// defaultRefreshInterval is KENAR_REFRESH_INTERVAL's default.
const defaultRefreshInterval = time.Minute

// config is the add-on's configuration: kenarkit's environment (keys,
// port, public URL, Divar's API and OAuth, Redis, drain), the session
// keys, and how often tokens are checked.
type config struct {
	addonenv.Env
	SessionKeys     [][]byte // nil: one random key
	RefreshInterval time.Duration
	// MetricsAddr (METRICS_ADDR) and OTLPEndpoint
	// (OTEL_EXPORTER_OTLP_ENDPOINT) switch metrics and traces on.
	MetricsAddr, OTLPEndpoint string
	// now is the clock of the consent and its token store; nil is
	// time.Now. Tests give the fake OAuth server's.
	now func() time.Time
	// refreshRetry paces the retries of a failed renewal of subscriptions
	// (tokens.Config.OnRefreshRetry); zero is tokens' default (from 1 s).
	// Tests retry at once.
	refreshRetry tokens.Backoff
	// obs tells the metrics and the tracer what the add-on does; nil
	// tells nothing.
	obs *observability
	// getenv is the environment the configuration was read from (the
	// traces read their sampler there).
	getenv func(string) string
}

func loadConfig(getenv func(string) string) (config, error) {
	env, err := addonenv.Load(getenv)
	if err != nil {
		return config{}, err
	}
	keys, err := seal.ParseKeys(getenv("SESSION_KEYS"))
	if err != nil {
		return config{}, fmt.Errorf("SESSION_KEYS: %w", err)
	}
	cfg := config{Env: env, SessionKeys: keys, RefreshInterval: defaultRefreshInterval, getenv: getenv}
	if v := strings.TrimSpace(getenv(refreshIntervalVar)); v != "" {
		d, err := time.ParseDuration(v)
		// A token is refreshed in its last tokens.DefaultRefreshBefore:
		// checking less often would let some expire, and their
		// subscriptions with them.
		if err != nil || d < time.Second || d >= tokens.DefaultRefreshBefore {
			return config{}, fmt.Errorf("%s must be a duration from 1s to under %v, such as 1m", refreshIntervalVar, tokens.DefaultRefreshBefore)
		}
		cfg.RefreshInterval = d
	}
	if err := loadObservability(&cfg, getenv); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// newServer wires the add-on: Divar's callbacks, validated and behind the
// identification key; the landing page, the direct link and the OAuth
// redirect; health and readiness (503 once ctx is done, or while the
// session keys open none of the stored tokens). Close the Addon
// once the server has stopped.
func newServer(ctx context.Context, cfg config, logger *slog.Logger) (*server.Server, *Addon, error) {
	addon, err := NewAddon(cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	scfg := cfg.ServerConfig(gen.GetSpec, logger)
	scfg.Observer = server.Observers(observers[server.Observer](cfg.obs)...)
	e, err := server.New(scfg, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(addon, nil))
	if err != nil {
		addon.Close()
		return nil, nil, err
	}
	e.GET(landingPath, addon.Landing)
	e.GET(startPath, addon.Start)
	e.GET(callbackPath, addon.OAuthCallback)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/readyz", addon.ready(server.Ready(ctx)))
	return e, addon, nil
}
