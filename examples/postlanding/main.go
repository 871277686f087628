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
// random key, with a warning).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/kenarkit/kenarkit/examples/postlanding/landing"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/session"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(context.Background(), logger); err != nil {
		fmt.Fprintln(os.Stderr, "postlanding:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, logger *slog.Logger) error {
	cfg := landing.Config{Keys: sdk.SplitKeys(os.Getenv("KENAR_IDENTIFICATION_KEY")), Logger: logger}
	if len(cfg.Keys) == 0 {
		return errors.New("KENAR_IDENTIFICATION_KEY is not set: copy the identification key from the Kenar panel")
	}
	var err error
	if cfg.SessionKeys, err = session.ParseKeys(os.Getenv("SESSION_KEYS")); err != nil {
		return fmt.Errorf("SESSION_KEYS: %w", err)
	}
	if len(cfg.SessionKeys) == 0 {
		logger.Warn("SESSION_KEYS is not set: landing links break on restart and across replicas")
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	cfg.PublicURL = strings.TrimRight(os.Getenv("PUBLIC_URL"), "/")
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}
	e, err := landing.NewServer(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	logger.Info("serving", "addr", ln.Addr().String(), "init_callback", cfg.PublicURL+"/divar/open-server-link")
	return sdk.Serve(ctx, ln, e)
}
