// Command starter is a Divar Kenar add-on: it answers Divar's callbacks
// (api/openapi.yaml) and serves the page users land on.
//
// Configuration, from the environment:
//
//	KENAR_IDENTIFICATION_KEY  required; the identification key from the Kenar
//	                          panel (several, comma-separated, while rotating)
//	PORT                      the port to listen on (default 8080)
//	PUBLIC_URL                the add-on's public base URL, as Divar and users
//	                          reach it (default http://localhost:$PORT)
//	SESSION_KEYS              base64 keys of 32 bytes sealing the landing
//	                          page's session, comma-separated, newest first;
//	                          give every replica the same (default: one
//	                          random key per process)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/session"
	"github.com/labstack/echo/v4"

	"github.com/kenarkit/kenarkit/cmd/scaffold/starter/gen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	err := run(ctx, os.Getenv, logger)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}

// run serves until ctx is done (SIGINT or SIGTERM), then finishes in-flight
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
	e, err := newServer(cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	return cfg.Serve(ctx, ln, e, logger, slog.String("landing", cfg.PublicURL+landingPath))
}

// config is the add-on's configuration: kenarkit's environment (keys,
// port, public URL) and the landing page's session keys.
type config struct {
	addonenv.Env
	SessionKeys [][]byte // nil: one random key
}

func loadConfig(getenv func(string) string) (config, error) {
	env, err := addonenv.Load(getenv)
	if err != nil {
		return config{}, err
	}
	keys, err := session.ParseKeys(getenv("SESSION_KEYS"))
	if err != nil {
		return config{}, fmt.Errorf("SESSION_KEYS: %w", err)
	}
	return config{Env: env, SessionKeys: keys}, nil
}

// newServer wires the add-on: Divar's callbacks, validated and behind the
// identification key, the landing page and a health check.
func newServer(cfg config, logger *slog.Logger) (*echo.Echo, error) {
	e, err := sdk.NewServer(sdk.ServerConfig{Spec: gen.GetSpec, Keys: cfg.Keys, Logger: logger})
	if err != nil {
		return nil, err
	}
	addon, err := NewAddon(cfg.PublicURL, cfg.SessionKeys)
	if err != nil {
		return nil, err
	}
	gen.RegisterHandlers(e, gen.NewStrictHandler(addon, nil))
	e.GET(landingPath, addon.Landing)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	return e, nil
}
