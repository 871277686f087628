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
// Configuration, from the environment:
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
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/labstack/echo/v4"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatconfirm:", err)
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
	e, err := newServer(cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	return cfg.Serve(ctx, ln, e, logger, slog.String("buttons", cfg.PublicURL+"/buttons"),
		slog.Bool("sends", cfg.APIKey != ""))
}

// The variables of Divar's API that loadConfig reads besides addonenv's.
const (
	APIKeyVar = "KENAR_API_KEY"
	APIURLVar = "KENAR_API_URL"
)

// config is the add-on's configuration: kenarkit's environment (keys, port,
// public URL) and Divar's API.
type config struct {
	addonenv.Env
	APIKey string // "": the add-on cannot send
	APIURL string // sdk.DefaultBaseURL when unset
}

// loadConfig reads the configuration through getenv. Its errors name the
// variable at fault, never its value.
func loadConfig(getenv func(string) string) (config, error) {
	env, err := addonenv.Load(getenv)
	if err != nil {
		return config{}, err
	}
	cfg := config{Env: env, APIKey: strings.TrimSpace(getenv(APIKeyVar)), APIURL: getenv(APIURLVar)}
	if cfg.APIKey == "" && getenv(APIKeyVar) != "" {
		return config{}, errors.New(APIKeyVar + " holds only white space: set the API key from the Kenar panel, or unset it")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = sdk.DefaultBaseURL
	}
	if u, err := url.Parse(cfg.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return config{}, fmt.Errorf("%s must be an absolute http(s) URL, such as %s", APIURLVar, sdk.DefaultBaseURL)
	}
	return cfg, nil
}

// newServer wires the add-on behind kenarkit's validating server, with a
// client of Divar's API when there is an API key.
func newServer(cfg config, logger *slog.Logger) (*echo.Echo, error) {
	var client *sdk.Client
	if cfg.APIKey != "" {
		var err error
		client, err = sdk.NewClient(sdk.ClientConfig{APIKey: cfg.APIKey, BaseURL: cfg.APIURL, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", APIKeyVar, APIURLVar, err)
		}
	}
	e, err := sdk.NewServer(sdk.ServerConfig{Spec: gen.GetSpec, Keys: cfg.Keys, Logger: logger})
	if err != nil {
		return nil, err
	}
	a := NewAddon(cfg.PublicURL, cfg.Keys, client, logger)
	gen.RegisterHandlers(e, gen.NewStrictHandler(a, nil))
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
