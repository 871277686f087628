// Package addonenv is the wiring every add-on's main shares: it reads the
// configuration Divar's add-ons need from the environment, listens where
// it says, and serves with a log line naming the URLs to paste into the
// Kenar panel. The scaffold's starter and the examples use it, so that a
// fix here reaches them all.
//
//	env, err := addonenv.Load(os.Getenv)
//	rdb, err := redisstore.Open(env.RedisURL) // nil without REDIS_URL
//	redisstore.LogStatus(ctx, logger, rdb)    // in use or not, answered or why not
//	ln, err := env.Listen()                   // fills env.PublicURL when PUBLIC_URL is unset
//	s, err := server.New(env.ServerConfig(gen.GetSpec, logger), gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(addon, nil))
//	err = env.Serve(ctx, ln, s, logger)
//
// Besides the callbacks' settings it reads those of the calls an add-on
// makes to Divar (the API key and URL, the OAuth client), of the Redis the
// replicas share, and of a rolling deploy's drain; each is optional, and
// an add-on without one still answers Divar's callbacks.
//
// Like the rest of kenarkit it never owns the process: it returns errors,
// and main keeps the signal handling (signal.NotifyContext) and the exit.
package addonenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/server"
)

// The variables [Load] reads.
const (
	// KeyVar holds the identification keys from the Kenar panel,
	// comma-separated while one is rotated (newest first). Required.
	KeyVar = "KENAR_IDENTIFICATION_KEY"
	// PortVar is the port to listen on; [DefaultPort] when unset.
	PortVar = "PORT"
	// PublicURLVar is the add-on's public base URL, as Divar and users
	// reach it; http://localhost:PORT when unset.
	PublicURLVar = "PUBLIC_URL"

	// APIKeyVar is the app's API key from the Kenar panel, for the calls
	// the add-on makes to Divar (divar.Client). Optional: without it the
	// add-on answers callbacks and cannot send.
	APIKeyVar = "KENAR_API_KEY"
	// APIURLVar is Divar's API; [divar.DefaultBaseURL] when unset.
	APIURLVar = "KENAR_API_URL"
	// AppSlugVar is the app's slug in the Kenar panel: the OAuth client id.
	AppSlugVar = "KENAR_APP_SLUG"
	// OAuthSecretVar is the OAuth secret the Kenar panel gave the app.
	OAuthSecretVar = "KENAR_OAUTH_SECRET"
	// OAuthURLVar is Divar's OAuth server; [DefaultOAuthURL] when unset.
	// Its consent page is $KENAR_OAUTH_URL/oauth2/auth, its token endpoint
	// $KENAR_OAUTH_URL/oauth2/token.
	OAuthURLVar = "KENAR_OAUTH_URL"
	// RedisURLVar is the Redis the replicas share: one node
	// (redis://[:password@]host:port/db, rediss:// for TLS), a master
	// behind Sentinels (…?master_name=NAME) or a Cluster (…?addr=host2:port
	// for each further node); redisstore.Open lists the forms and makes
	// the client. Optional: the
	// add-on keeps its state in memory when unset.
	RedisURLVar = "REDIS_URL"
	// DrainDelayVar is how long the add-on goes on serving after SIGTERM
	// while its readiness endpoint answers 503 (a Go duration: "5s"); 0
	// when unset.
	DrainDelayVar = "DRAIN_DELAY"
	// LogLevelVar is the least level of the add-on's log: debug, info,
	// warn or error; info when unset ([LogLevel]). At info the server logs
	// the requests it refuses (4xx) and its errors (5xx), not those it
	// serves: debug logs every request.
	LogLevelVar = "LOG_LEVEL"
)

// DefaultPort is the port an add-on listens on when PORT is unset.
const DefaultPort = "8080"

// DefaultOAuthURL is Divar's OAuth server (kenar-docs docs/oauth/ReadMe.md).
const DefaultOAuthURL = "https://oauth.divar.ir"

// Env is an add-on's configuration from the environment.
type Env struct {
	Keys      []string // the identification keys, never empty after Load
	Port      string   // a port number; "0" picks a free one
	PublicURL string   // no trailing slash; "" until Listen fills it

	APIKey string // the app's API key; "": the add-on cannot call Divar
	APIURL string // Divar's API, no trailing slash; divar.DefaultBaseURL after Load

	AppSlug     string // the OAuth client id; "": no consent
	OAuthSecret string // the OAuth client secret; "": no consent
	OAuthURL    string // Divar's OAuth server, no trailing slash; DefaultOAuthURL after Load

	RedisURL   string        // "": state in memory
	DrainDelay time.Duration // how long to serve after SIGTERM before shutting down

	LogLevel slog.Level // the log's least level; slog.LevelInfo when LOG_LEVEL is unset
}

// OAuthMissing names the variables consent needs that are unset, in the
// order a README lists them; none when the add-on can ask for consent.
func (env Env) OAuthMissing() []string {
	var missing []string
	if env.AppSlug == "" {
		missing = append(missing, AppSlugVar)
	}
	if env.OAuthSecret == "" {
		missing = append(missing, OAuthSecretVar)
	}
	return missing
}

// AuthURL is Divar's consent page under env.OAuthURL.
func (env Env) AuthURL() string { return env.oauthURL() + "/oauth2/auth" }

// TokenURL is Divar's token endpoint under env.OAuthURL.
func (env Env) TokenURL() string { return env.oauthURL() + "/oauth2/token" }

func (env Env) oauthURL() string {
	if env.OAuthURL == "" {
		return DefaultOAuthURL
	}
	return env.OAuthURL
}

// The errors of [Load] about the keys, wrapped with what to do. Compare
// with errors.Is.
var (
	// ErrNoKey: KENAR_IDENTIFICATION_KEY is unset or empty.
	ErrNoKey = errors.New(KeyVar + " is not set")
	// ErrOnlySeparators: KENAR_IDENTIFICATION_KEY holds commas and spaces
	// and no key.
	ErrOnlySeparators = errors.New(KeyVar + " holds only separators (commas, spaces) and no key")
)

// Load reads the configuration through getenv (os.Getenv, or a map's
// lookup in tests). Its errors name the variable at fault and never its
// value.
func Load(getenv func(string) string) (Env, error) {
	raw := getenv(KeyVar)
	env := Env{Keys: server.SplitKeys(raw), Port: getenv(PortVar)}
	if len(env.Keys) == 0 {
		cause := ErrNoKey
		if strings.TrimSpace(raw) != "" {
			cause = ErrOnlySeparators
		}
		return Env{}, fmt.Errorf("%w: copy the identification key from the Kenar panel (several keys, comma-separated, while rotating one)", cause)
	}
	if env.Port == "" {
		env.Port = DefaultPort
	}
	if n, err := strconv.Atoi(env.Port); err != nil || n < 0 || n > 65535 {
		return Env{}, fmt.Errorf("%s must be a port number (0 to 65535)", PortVar)
	}
	for _, v := range []struct {
		name, def, example string
		dst                *string
	}{
		{PublicURLVar, "", "https://addon.example.com", &env.PublicURL},
		{APIURLVar, divar.DefaultBaseURL, divar.DefaultBaseURL, &env.APIURL},
		{OAuthURLVar, DefaultOAuthURL, DefaultOAuthURL, &env.OAuthURL},
	} {
		*v.dst = strings.TrimRight(strings.TrimSpace(getenv(v.name)), "/")
		if *v.dst == "" {
			*v.dst = v.def
			continue
		}
		u, err := url.Parse(*v.dst)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return Env{}, fmt.Errorf("%s must be an absolute http(s) URL with no query, such as %s", v.name, v.example)
		}
	}
	env.APIKey = strings.TrimSpace(getenv(APIKeyVar))
	env.AppSlug = strings.TrimSpace(getenv(AppSlugVar))
	env.OAuthSecret = strings.TrimSpace(getenv(OAuthSecretVar))
	env.RedisURL = strings.TrimSpace(getenv(RedisURLVar))
	if err := checkRedisURL(env.RedisURL); err != nil {
		return Env{}, err
	}
	if d := strings.TrimSpace(getenv(DrainDelayVar)); d != "" {
		var err error
		if env.DrainDelay, err = time.ParseDuration(d); err != nil || env.DrainDelay < 0 {
			return Env{}, fmt.Errorf("%s must be a duration of 0 or more, such as 5s", DrainDelayVar)
		}
	}
	var err error
	if env.LogLevel, err = LogLevel(getenv); err != nil {
		return Env{}, err
	}
	return env, nil
}

// LogLevel reads LOG_LEVEL through getenv: debug, info, warn or error, in
// any case; slog.LevelInfo when unset or empty. Anything else is an error
// naming the variable ([Load] returns it too), so that a typo stops the
// start instead of silencing the log. main reads it before [Load], to
// build its logger:
//
//	level, _ := addonenv.LogLevel(os.Getenv) // an invalid one: Load fails
//	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
func LogLevel(getenv func(string) string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(getenv(LogLevelVar))) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("%s must be debug, info, warn or error (debug logs every request; info, the default, the refused ones and errors)", LogLevelVar)
}

// checkRedisURL refuses a REDIS_URL that is no redis://, rediss:// or
// unix:// URL, naming the variable, never the URL or its password.
// go-redis's own parsers (redisstore.Open, which an add-on calls at
// start-up) check the rest: the options, a cluster's or Sentinels'
// addresses. They are not called here so that addonenv does not import
// go-redis, which each importing package compiles again in part (issue
// 23: the starter's cold build).
func checkRedisURL(raw string) error {
	if raw == "" {
		return nil
	}
	if u, err := url.Parse(raw); err == nil && (u.Scheme == "redis" || u.Scheme == "rediss" || u.Scheme == "unix") {
		return nil
	}
	return fmt.Errorf("%s must be a redis:// URL (rediss:// for TLS, or unix://); redisstore.Open lists the forms", RedisURLVar)
}

// Listen listens on env.Port on every interface and, when PUBLIC_URL was
// unset, sets env.PublicURL to http://localhost:<the port>. A port in use
// is reported naming PORT, the variable that changes it.
func (env *Env) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", ":"+env.Port)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("port %s is in use by another program: stop it, or set %s to another port: %w", env.Port, PortVar, err)
	}
	if err != nil {
		return nil, err
	}
	if env.PublicURL == "" {
		env.PublicURL = "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}
	return ln, nil
}

// ServerConfig returns the configuration of the add-on's [server.New]:
// spec, the identification keys, the drain delay and logger.
func (env Env) ServerConfig(spec func() (*openapi3.T, error), logger *slog.Logger) server.Config {
	return server.Config{Spec: spec, Keys: env.Keys, DrainDelay: env.DrainDelay, Logger: logger}
}

// Serve logs where the add-on serves and the URL of each of Divar's
// callbacks under env.PublicURL, serves s on ln ([server.Server.Serve])
// until ctx is done and its drain delay more (see [Env.ServerConfig];
// serve [server.Ready] with the same ctx, so that the load balancer sees
// the drain), and logs the shutdown. attrs are added to the serving line
// (a landing page's URL, say).
func (env Env) Serve(ctx context.Context, ln net.Listener, s *server.Server, logger *slog.Logger, attrs ...slog.Attr) error {
	logger.LogAttrs(ctx, slog.LevelInfo, "serving", append([]slog.Attr{
		slog.String("addr", ln.Addr().String()),
		slog.String("public_url", env.PublicURL),
		slog.String("init_callback", env.PublicURL+server.OpenServerLinkPath),
		slog.String("dynamic_action", env.PublicURL+server.DynamicActionPath),
		slog.String("events", env.PublicURL+server.EventsPath),
	}, attrs...)...)
	err := s.Serve(ctx, ln)
	if err != nil {
		return err
	}
	logger.LogAttrs(context.WithoutCancel(ctx), slog.LevelInfo, "shut down: in-flight requests finished")
	return nil
}
