// Command chatconfirm is a complete Kenar add-on for Divar's own scenario of
// the dynamic action: a chat message with two buttons, "yes" and "no".
//
// The buttons carry get_dynamic_action with data {"answer":"yes"} or
// {"answer":"no"}. When the user presses one, Divar calls the add-on's
// dynamic-action callback with that data as extra_data:
//
//   - "yes" answers open_server_link plus a text: Divar calls the init
//     callback, and opens the welcome page it answers;
//   - "no" answers only a text message;
//   - anything else gets a polite text, never an error to Divar.
//
// GET /buttons shows the chat message with its buttons, as the add-on sends
// it through Divar's chat API.
//
// Run it (from the repository root):
//
//	KENAR_IDENTIFICATION_KEY=dev-key go run ./examples/chatconfirm
//
// Configuration: KENAR_IDENTIFICATION_KEY (required; comma-separated while
// rotating), PORT (default 8080), PUBLIC_URL (default
// http://localhost:$PORT).
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
	"github.com/labstack/echo/v4"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatconfirm:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then finishes in-flight requests.
func run(ctx context.Context, logger *slog.Logger) error {
	env, err := addonenv.Load(os.Getenv)
	if err != nil {
		return err
	}
	ln, err := env.Listen()
	if err != nil {
		return err
	}
	e, err := newServer(env.Keys, env.PublicURL, logger)
	if err != nil {
		ln.Close()
		return err
	}
	return env.Serve(ctx, ln, e, logger, slog.String("buttons", env.PublicURL+"/buttons"))
}

// newServer wires the add-on behind kenarkit's validating server.
func newServer(keys []string, publicURL string, logger *slog.Logger) (*echo.Echo, error) {
	e, err := sdk.NewServer(sdk.ServerConfig{Spec: gen.GetSpec, Keys: keys, Logger: logger})
	if err != nil {
		return nil, err
	}
	a := &Addon{PublicURL: publicURL}
	gen.RegisterHandlers(e, gen.NewStrictHandler(a, nil))
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
