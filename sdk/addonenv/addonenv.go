// Package addonenv is the wiring every add-on's main shares: it reads the
// configuration Divar's add-ons need from the environment, listens where
// it says, and serves with a log line naming the URLs to paste into the
// Kenar panel. The scaffold's starter and the examples use it, so that a
// fix here reaches them all.
//
//	env, err := addonenv.Load(os.Getenv)
//	ln, err := env.Listen() // fills env.PublicURL when PUBLIC_URL is unset
//	e, err := sdk.NewServer(sdk.ServerConfig{Spec: gen.GetSpec, Keys: env.Keys, Logger: logger})
//	err = env.Serve(ctx, ln, e, logger)
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
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"github.com/kenarkit/kenarkit/sdk"
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
)

// DefaultPort is the port an add-on listens on when PORT is unset.
const DefaultPort = "8080"

// The paths of Divar's callbacks, as kenarkit's spec declares them.
const (
	OpenServerLinkPath = "/divar/open-server-link"
	DynamicActionPath  = "/divar/dynamic-action"
	EventsPath         = "/divar/events"
)

// Env is an add-on's configuration from the environment.
type Env struct {
	Keys      []string // the identification keys, never empty after Load
	Port      string   // a port number; "0" picks a free one
	PublicURL string   // no trailing slash; "" until Listen fills it
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
	env := Env{Keys: sdk.SplitKeys(raw), Port: getenv(PortVar)}
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
	env.PublicURL = strings.TrimRight(getenv(PublicURLVar), "/")
	if env.PublicURL != "" {
		u, err := url.Parse(env.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return Env{}, fmt.Errorf("%s must be an absolute http(s) URL with no query, such as https://addon.example.com", PublicURLVar)
		}
	}
	return env, nil
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

// Serve logs where the add-on serves and the URL of each of Divar's
// callbacks under env.PublicURL, serves h on ln with [sdk.Serve] until ctx
// is done, and logs the shutdown. attrs are added to the serving line (a
// landing page's URL, say).
func (env Env) Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, attrs ...slog.Attr) error {
	logger.LogAttrs(ctx, slog.LevelInfo, "serving", append([]slog.Attr{
		slog.String("addr", ln.Addr().String()),
		slog.String("public_url", env.PublicURL),
		slog.String("init_callback", env.PublicURL+OpenServerLinkPath),
		slog.String("dynamic_action", env.PublicURL+DynamicActionPath),
		slog.String("events", env.PublicURL+EventsPath),
	}, attrs...)...)
	err := sdk.Serve(ctx, ln, h)
	if err != nil {
		return err
	}
	logger.LogAttrs(context.WithoutCancel(ctx), slog.LevelInfo, "shut down: in-flight requests finished")
	return nil
}
