// Command postlanding is a complete Kenar post add-on with the server-link
// flow: the init callback answers a landing URL that carries the callback's
// context (post, conversation, user, extra_data) in a sealed, expiring
// token; the landing page (Persian, RTL, phone-sized) shows it and sends the
// user back to Divar through the completion address. Any replica with the
// same SESSION_KEYS serves the page, unless the context was too long for a
// URL: this command keeps those in memory (see landing.Config.SessionStore).
//
// Run it (from the repository root):
//
//	KENAR_IDENTIFICATION_KEY=dev-key go run ./examples/postlanding
//
// Configuration: KENAR_IDENTIFICATION_KEY (required; comma-separated while
// rotating), PORT (default 8080), PUBLIC_URL (default
// http://localhost:$PORT), SESSION_KEYS (base64 32-byte keys,
// comma-separated, newest first; `openssl rand -base64 32`; default: a
// random key, with a warning), LOG_LEVEL (debug logs every request; info,
// the default, the refused ones and errors).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/kenarkit/kenarkit/examples/postlanding/landing"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/seal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	logs := addonenv.NewLogWriter(os.Stderr)
	level, _ := addonenv.LogLevel(os.Getenv) // LOG_LEVEL; one that is not a level stops run (addonenv.Load)
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	err := run(ctx, logger)
	stop()
	logs.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "postlanding:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then finishes in-flight requests.
func run(ctx context.Context, logger *slog.Logger) error {
	env, err := addonenv.Load(os.Getenv)
	if err != nil {
		return err
	}
	cfg := landing.Config{Keys: env.Keys, DrainDelay: env.DrainDelay, Logger: logger}
	if cfg.SessionKeys, err = seal.ParseKeys(os.Getenv("SESSION_KEYS")); err != nil {
		return fmt.Errorf("SESSION_KEYS: %w", err)
	}
	if len(cfg.SessionKeys) == 0 {
		logger.Warn("SESSION_KEYS is not set: landing links break on restart and across replicas")
	}
	ln, err := env.Listen()
	if err != nil {
		return err
	}
	cfg.PublicURL = env.PublicURL
	e, err := landing.NewServer(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	return env.Serve(ctx, ln, e, logger)
}
