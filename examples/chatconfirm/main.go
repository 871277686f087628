// Command chatconfirm is a complete Kenar add-on for Divar's own scenario of
// the dynamic action, end to end: a chat message with two buttons, "yes"
// and "no".
//
// When a user starts the add-on's chat bot (Divar sends the event
// NEW_CHATBOT_MESSAGE with the text "/start …"), the add-on sends the
// question into that conversation through Divar's chat-bot API. Its
// buttons carry get_dynamic_action with data {"answer":"yes"} or
// {"answer":"no"}. When the user taps one, Divar calls the add-on's
// dynamic-action callback with that data as extra_data:
//
//   - "yes" answers open_server_link plus a text: Divar calls the init
//     callback, and opens the welcome page it answers;
//   - "no" answers only a text message;
//   - anything else gets a polite text, never an error to Divar.
//
// POST /ask?conversation_id=… (with the identification key in
// Authorization) sends the question into a conversation on demand; GET
// /buttons shows the message as the add-on sends it.
//
// Run it (from the repository root):
//
//	KENAR_IDENTIFICATION_KEY=dev-key KENAR_API_KEY=… go run ./examples/chatconfirm
//
// Configuration, from the environment (read by sdk/addonenv):
//
//	KENAR_IDENTIFICATION_KEY  required; the identification key from the Kenar
//	                          panel (several, comma-separated, while rotating)
//	KENAR_API_KEY             the app's API key from the Kenar panel, with the
//	                          permission CHAT_BOT_SEND_MESSAGE; unset, the
//	                          add-on answers Divar's calls but sends nothing,
//	                          and logs once why
//	KENAR_API_URL             Divar's API (default https://open-api.divar.ir)
//	PORT                      the port to listen on (default 8080)
//	PUBLIC_URL                the add-on's public base URL (default
//	                          http://localhost:$PORT)
//	LOG_LEVEL                 debug logs every request; info (the default),
//	                          the refused ones and errors
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/labstack/echo/v4"
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
		fmt.Fprintln(os.Stderr, "chatconfirm:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then finishes in-flight requests.
func run(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	cfg, err := addonenv.Load(getenv)
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
	return cfg.Serve(ctx, ln, e, logger, slog.String("buttons", cfg.PublicURL+"/buttons"),
		slog.Bool("sends", cfg.APIKey != ""))
}

// newServer wires the add-on behind kenarkit's validating server, with a
// client of Divar's API when there is an API key.
func newServer(cfg addonenv.Env, logger *slog.Logger) (*server.Server, error) {
	var client *divar.Client
	if cfg.APIKey != "" {
		var err error
		client, err = divar.NewClient(divar.Config{APIKey: cfg.APIKey, BaseURL: cfg.APIURL, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", addonenv.APIKeyVar, addonenv.APIURLVar, err)
		}
	}
	a := NewAddon(cfg.PublicURL, cfg.Keys, client, logger)
	e, err := server.New(cfg.ServerConfig(gen.GetSpec, logger), gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(a, nil))
	if err != nil {
		return nil, err
	}
	e.POST("/ask", a.Ask)
	e.GET("/buttons", func(c echo.Context) error {
		b, err := sdk.MarshalAnswer(ConfirmMessage())
		if err != nil {
			return err
		}
		return c.JSONBlob(http.StatusOK, b)
	})
	e.GET("/welcome", a.Welcome)
	return e, nil
}
