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
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/labstack/echo/v4"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, logger); err != nil {
		fmt.Fprintln(os.Stderr, "chatconfirm:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, logger *slog.Logger) error {
	keys := sdk.SplitKeys(os.Getenv("KENAR_IDENTIFICATION_KEY"))
	if len(keys) == 0 {
		return errors.New("KENAR_IDENTIFICATION_KEY is not set: copy the identification key from the Kenar panel")
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	publicURL := strings.TrimRight(os.Getenv("PUBLIC_URL"), "/")
	if publicURL == "" {
		publicURL = "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}
	e, err := newServer(keys, publicURL, logger)
	if err != nil {
		ln.Close()
		return err
	}
	logger.Info("serving", "addr", ln.Addr().String(), "buttons", publicURL+"/buttons")
	return sdk.Serve(ctx, ln, e)
}

// newServer wires the add-on behind kenarkit's validating server.
func newServer(keys []string, publicURL string, logger *slog.Logger) (*echo.Echo, error) {
	e, err := sdk.NewServer(sdk.ServerConfig{Spec: gen.GetSwagger, Keys: keys, Logger: logger})
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
