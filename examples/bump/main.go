// Command bump is a complete Kenar add-on that bumps (نردبان) a seller's
// post to the top of its list, paid from the app's wallet, once the
// seller consents.
//
// The seller taps the add-on's button on their post (or its touchpoint):
// Divar calls the init callback, which answers the add-on's start link.
// The start link asks the seller's consent on Divar's OAuth page for
// PAYMENT_ALL_POSTS_PRICING_READ and PAYMENT_ALL_POSTS_REORDER, carrying
// the post and a new payment id, sealed in the OAuth state. When the
// seller comes back, the add-on checks the post's price, bumps it with
// that id (divar.Client.Reorder: the id is reused on every retry, a lost
// answer is looked up, never paid again) and shows the outcome. Divar's
// PAYMENT_TRANSACTION events are matched to the bump they report by the
// payment id, and update it (a refund, say).
//
// Run it (from the repository root):
//
//	KENAR_IDENTIFICATION_KEY=dev-key KENAR_API_KEY=… KENAR_APP_SLUG=… KENAR_OAUTH_SECRET=… go run ./examples/bump
//
// Configuration, from the environment (read by sdk/addonenv):
//
//	KENAR_IDENTIFICATION_KEY  required; the identification key from the Kenar
//	                          panel (several, comma-separated, while rotating)
//	KENAR_API_KEY             required; the app's API key, with the permissions
//	                          POST_PRICING_RETRIEVE, POST_REORDER,
//	                          TRANSACTION_RETRIEVE and USER_RETRIEVE
//	KENAR_APP_SLUG,           required; the app's OAuth client, whose
//	KENAR_OAUTH_SECRET        redirect address is $PUBLIC_URL/divar/oauth/callback
//	SESSION_KEYS              the keys sealing the OAuth states and tokens
//	                          (base64, comma-separated, newest first); unset,
//	                          one random key (one replica, lost on restart)
//	BUMP_MAX_RIALS            the most a bump may cost, in rials; unset, any
//	                          price Divar's pricing gives
//	KENAR_API_URL, KENAR_OAUTH_URL, PORT, PUBLIC_URL  as sdk/addonenv says
//	LOG_LEVEL                 debug logs every request; info (the default),
//	                          the refused ones and errors
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	logs := addonenv.NewLogWriter(os.Stderr)
	level, _ := addonenv.LogLevel(os.Getenv) // LOG_LEVEL; one that is not a level stops run (addonenv.Load)
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	err := run(ctx, os.Getenv, logger)
	stop()
	logs.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bump:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then finishes in-flight requests.
func run(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	ln, err := cfg.Listen()
	if err != nil {
		return err
	}
	e, a, err := newServer(cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	return cfg.Serve(ctx, ln, e, logger, slog.String("start", cfg.PublicURL+startPath),
		slog.String("oauth_redirect", cfg.PublicURL+callbackPath))
}

// maxRialsVar names the most a bump may cost.
const maxRialsVar = "BUMP_MAX_RIALS"

// config is kenarkit's environment, the session keys and the price cap.
type config struct {
	addonenv.Env
	SessionKeys [][]byte // nil: one random key
	MaxRials    int64    // 0: any price
}

// loadConfig reads the environment and refuses to start without what a
// bump needs: an API key and an OAuth client.
func loadConfig(getenv func(string) string) (config, error) {
	env, err := addonenv.Load(getenv)
	if err != nil {
		return config{}, err
	}
	missing := env.OAuthMissing()
	if env.APIKey == "" {
		missing = append([]string{addonenv.APIKeyVar}, missing...)
	}
	if len(missing) > 0 {
		return config{}, errors.New("a bump needs the app's API key and OAuth client: set " + strings.Join(missing, ", "))
	}
	keys, err := seal.ParseKeys(getenv("SESSION_KEYS"))
	if err != nil {
		return config{}, fmt.Errorf("SESSION_KEYS: %w", err)
	}
	cfg := config{Env: env, SessionKeys: keys}
	if v := strings.TrimSpace(getenv(maxRialsVar)); v != "" {
		if cfg.MaxRials, err = strconv.ParseInt(v, 10, 64); err != nil || cfg.MaxRials <= 0 {
			return config{}, fmt.Errorf("%s must be a positive number of rials, not %q", maxRialsVar, v)
		}
	}
	return cfg, nil
}

// newServer wires the add-on behind kenarkit's validating server: Divar's
// callbacks, the start link, the OAuth redirect and the outcome page.
func newServer(cfg config, logger *slog.Logger) (*server.Server, *Addon, error) {
	a, err := NewAddon(cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	e, err := server.New(cfg.ServerConfig(gen.GetSpec, logger), gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(a, nil))
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	e.GET(startPath, a.Start)
	e.GET(callbackPath, a.OAuthCallback)
	e.GET(resultPath, a.Result)
	return e, a, nil
}
