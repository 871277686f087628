package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kenarkit/kenarkit/sdk/addonenv"
)

// healthcheckArg is the argument that runs the binary as its own health
// check (`<binary> healthcheck`): the container image has no shell and no
// curl, so its HEALTHCHECK runs the add-on's binary this way.
const healthcheckArg = "healthcheck"

// healthcheckTimeout bounds the health check's request, under the
// Dockerfile's HEALTHCHECK --timeout.
const healthcheckTimeout = 2 * time.Second

// healthcheck GETs /healthz from the add-on listening on PORT on this
// host (127.0.0.1), and fails unless it answers 200. It reads PORT as the
// add-on does, so that the same environment checks the same port.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	port := strings.TrimSpace(getenv(addonenv.PortVar))
	if port == "" {
		port = addonenv.DefaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("health check: %s must be the port the add-on listens on (1 to 65535)", addonenv.PortVar)
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	u := "http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{}} // no proxy from the environment: the add-on is on this host
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: GET %s: %s", u, res.Status)
	}
	return nil
}
