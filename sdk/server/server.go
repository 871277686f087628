package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kenarkit/kenarkit/internal/validate"
	"github.com/kenarkit/kenarkit/sdk"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// Config configures [New].
type Config struct {
	// Spec returns the OpenAPI document the server validates against: pass
	// the generated package's GetSpec. Required.
	Spec func() (*openapi3.T, error)
	// Keys are the add-on's identification keys from the Kenar panel;
	// several while a key is rotated. Required: a server without a key
	// would answer anyone.
	Keys []string
	// BasePath is the prefix under which the server registers the spec's
	// operations (for example "/v1"). Empty: at the spec's own paths.
	BasePath string
	// BodyLimit is the largest request body, in bytes; DefaultBodyLimit if 0.
	// A larger body is answered 413 before the rest of it is read; then
	// the server reads and discards the rest (at most 16 MiB, for at most
	// 5 s) and closes the connection.
	BodyLimit int64
	// HandlerTimeout bounds each callback's handler (init callback, dynamic
	// action): its context ends then, and if it has not answered the client
	// gets a 503 problem and the late answer is discarded.
	// DefaultHandlerTimeout if 0; negative: no bound.
	HandlerTimeout time.Duration
	// EventTimeout is HandlerTimeout for event webhooks (operations marked
	// x-kenarkit-webhook); DefaultEventTimeout if 0; negative: no bound.
	EventTimeout time.Duration
	// DrainDelay is how long [Server.Serve] goes on serving once its
	// context is done, before it shuts down: time for a load balancer to
	// see the readiness endpoint ([Ready]) answer 503 and stop sending
	// requests. Meanwhile every answer carries "Connection: close", so that
	// no client holds a keep-alive connection the shutdown would cut. 0:
	// shut down at once.
	DrainDelay time.Duration
	// ShutdownTimeout is how long in-flight requests may take to finish once
	// shutdown starts; DefaultShutdownTimeout if 0.
	ShutdownTimeout time.Duration
	// Logger receives one line per request (method, route, the status
	// actually sent, latency, request id; never a header, a query or a
	// body) at a level that follows the status: Debug for an answer in
	// 2xx or 3xx, Info for 4xx (a refusal, with why), Error for 5xx (but
	// [Ready]'s 503 while draining, at Info); the
	// details of 5xx errors; and a line when draining and shutdown start
	// and end. A logger at Info (slog's default) logs the refusals and
	// errors and builds nothing for the requests served; at Debug it logs
	// every request. slog.Default() if nil.
	Logger *slog.Logger
	// IPAllowlist, when set, refuses the spec's operations (403) to
	// requests from outside its ranges (DivarIPRanges when Allowed is
	// empty). Off by default: Divar may change its addresses. Routes
	// outside the spec are never checked; its Skipper may exempt more.
	// Divar documents its addresses for event webhooks, so to check only
	// those:
	//
	//	Skipper: func(c echo.Context) bool { return c.Path() != "/divar/events" }
	IPAllowlist *IPAllowlistConfig
	// Observer, when set, is told of every request to the spec's
	// operations: its operation, status, latency, why it was refused, a
	// handler over its budget or panicking. sdk/metrics and sdk/tracing
	// implement it; [Observers] joins several. nil: nothing is observed,
	// at no cost.
	Observer Observer
}

// Router is where generated code registers its handlers: the EchoRouter
// of oapi-codegen's echo server, which the generated RegisterHandlers
// functions take.
type Router interface {
	CONNECT(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
	DELETE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
	GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
	HEAD(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
	OPTIONS(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
	PATCH(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
	POST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
	PUT(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
	TRACE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
}

// Server is an add-on's HTTP server: an echo server (embedded, for the
// add-on's own routes: a landing page, a health check) that serves the
// spec's operations through its guard, and serves itself ([Server.Serve]).
type Server struct {
	*echo.Echo
	g     *guard
	drain time.Duration
	stop  time.Duration
}

// New returns a server for the spec's operations, implemented by handlers
// and registered by register, the generated code's registration function,
// which New calls itself at [Config.BasePath]:
//
//	s, err := server.New(server.Config{Spec: gen.GetSpec, Keys: keys},
//		gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(addon, nil))
//	if err != nil { … }
//	s.GET("/landing", landing) // the add-on's own routes
//	err = s.ListenAndServe(ctx, ":8080")
//
// For every operation of the spec it checks the identification key (when
// the operation is secured) before reading the body, then validates the
// request against the spec, then runs the handler within its budget
// ([Config.HandlerTimeout]); routes that are not in the spec (a landing
// page, a health check) pass through. An event webhook whose body breaks
// the schema is delivered all the same, with a warning in the log: a
// refused event is lost. Every error is answered as an [sdk.Problem]; a
// panic in a handler is answered 500 and the server goes on serving; each
// answer carries an X-Request-Id, generated by the server.
//
// A spec operation registered anywhere else by hand (a route whose path
// ends with the operation's) is never served unchecked: [Server.Serve]
// refuses to start ([ErrUncheckedRoute]), and a request to it is answered
// 500.
//
// It fails with [ErrNoKeys] when cfg has no key, when the spec cannot be
// loaded or is invalid, and when register registers a route that is not
// an operation of the spec.
func New[R Router, H any](cfg Config, register func(router R, handlers H, basePath string), handlers H) (*Server, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	reg := &registrar{s: s}
	r, ok := any(reg).(R)
	if !ok {
		return nil, fmt.Errorf("server: register takes a %T, which is not a Router", *new(R))
	}
	register(r, handlers, cfg.BasePath)
	if err := errors.Join(reg.errs...); err != nil {
		return nil, err
	}
	return s, nil
}

func newServer(cfg Config) (*Server, error) {
	if err := checkKeysConfig(cfg.Keys); err != nil {
		return nil, err
	}
	if cfg.Spec == nil {
		return nil, errors.New("server: Config.Spec is required (pass the generated package's GetSpec)")
	}
	spec, err := cfg.Spec()
	if err != nil {
		return nil, fmt.Errorf("server: loading the spec: %w", err)
	}
	if cfg.BasePath != "" && (!strings.HasPrefix(cfg.BasePath, "/") || strings.HasSuffix(cfg.BasePath, "/")) {
		return nil, fmt.Errorf("server: Config.BasePath %q must start with / and not end with one", cfg.BasePath)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	v, err := validate.Compile(validate.ValidatorConfig{Spec: spec, BodyLimit: cfg.BodyLimit})
	if err != nil {
		return nil, err
	}
	g := &guard{
		v:        v,
		keys:     newKeySet(cfg.Keys),
		base:     cfg.BasePath,
		ops:      map[string][]routeOp{},
		handlers: map[string]string{},
		calls:    budgetWatch(cfg.HandlerTimeout, DefaultHandlerTimeout),
		events:   budgetWatch(cfg.EventTimeout, DefaultEventTimeout),
		logger:   logger,
		specOps:  specRoutes(spec),
		problem:  sdk.NewProblem(http.StatusInternalServerError, "this route is misconfigured"),
		obs:      cfg.Observer,
	}
	if cfg.IPAllowlist != nil {
		if g.ip, err = newIPCheck(*cfg.IPAllowlist); err != nil {
			return nil, err
		}
		g.ipSkip = cfg.IPAllowlist.Skipper
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.JSONSerializer = jsonSerializer{}
	e.Binder = binder{}
	e.HTTPErrorHandler = errorHandler(logger)
	e.Logger.SetOutput(io.Discard)
	setTimeouts(e.Server)

	e.Use(g.front) // request id, access log, recover and guard: one middleware, see front
	return &Server{Echo: e, g: g, drain: cfg.DrainDelay, stop: orDefault(cfg.ShutdownTimeout, DefaultShutdownTimeout)}, nil
}

// registrar is the [Router] New gives the generated registration: each
// route it registers is an operation of the spec, which the guard then
// finds by its route.
type registrar struct {
	s    *Server
	errs []error
}

func (r *registrar) add(method, path string, h echo.HandlerFunc, m []echo.MiddlewareFunc) *echo.Route {
	g := r.s.g
	rel, ok := strings.CutPrefix(path, g.base)
	op := g.v.Lookup(method, rel)
	if !ok || op == nil {
		r.errs = append(r.errs, fmt.Errorf("server: the generated code registers %s %s, which is not an operation of the spec at %q (is it the code generated from the same spec?)", method, path, g.base+"/"))
	}
	g.setOp(method, path, op)
	route := r.s.Add(method, path, h, m...)
	if op != nil {
		g.handlers[route.Name] = method + " " + rel
	}
	return route
}

func (r *registrar) CONNECT(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodConnect, p, h, m)
}
func (r *registrar) DELETE(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodDelete, p, h, m)
}
func (r *registrar) GET(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodGet, p, h, m)
}
func (r *registrar) HEAD(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodHead, p, h, m)
}
func (r *registrar) OPTIONS(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodOptions, p, h, m)
}
func (r *registrar) PATCH(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodPatch, p, h, m)
}
func (r *registrar) POST(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodPost, p, h, m)
}
func (r *registrar) PUT(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodPut, p, h, m)
}
func (r *registrar) TRACE(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodTrace, p, h, m)
}

// budgetWatch is the watch of a budget configured as d (0: def; negative:
// none, nil).
func budgetWatch(d, def time.Duration) *watch {
	if d = orDefault(d, def); d <= 0 {
		return nil
	}
	return newWatch(d)
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// specRoutes lists the spec's operations at the paths the generated code
// registers them.
func specRoutes(spec *openapi3.T) []specRoute {
	var out []specRoute
	if spec.Paths == nil {
		return out
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			out = append(out, specRoute{method: method, path: validate.EchoPath(path), id: op.OperationID})
		}
	}
	return out
}

// The paths of Divar's callbacks, as kenarkit's spec declares them (and
// the scaffold's starter serves them): the URLs to give the Kenar panel are
// the add-on's public URL and these.
const (
	OpenServerLinkPath = "/divar/open-server-link"
	DynamicActionPath  = "/divar/dynamic-action"
	EventsPath         = "/divar/events"
)

// DefaultBodyLimit is the largest request body the server reads: 1 MiB.
const DefaultBodyLimit = validate.DefaultBodyLimit

// The timeouts [Server.Serve] sets on its http.Server. Divar expects an
// answer well within 2 s; these bound what a slow or hostile client can
// hold. (Variables for the tests.)
var (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
)

const (
	maxHeaderBytes = 64 << 10
	// DefaultShutdownTimeout is how long in-flight requests may take to
	// finish once shutdown starts.
	DefaultShutdownTimeout = 15 * time.Second
)

func setTimeouts(s *http.Server) {
	s.ReadHeaderTimeout = readHeaderTimeout
	s.ReadTimeout = readTimeout
	s.WriteTimeout = writeTimeout
	s.IdleTimeout = idleTimeout
	s.MaxHeaderBytes = maxHeaderBytes
}

// ListenAndServe listens on addr and calls [Server.Serve].
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves s on ln with kenarkit's server timeouts (a TCP connection's
// deadlines are kept as net/http asks, but armed only when they come due
// soon, instead of several times a request; a handler that hijacks a
// connection gets such a net.Conn, not a *net.TCPConn) until ctx is done,
// then for [Config.DrainDelay] more, then stops accepting connections and
// waits up to [Config.ShutdownTimeout] for in-flight requests to finish.
// It returns nil after a graceful shutdown. It does not watch signals: the
// program does, and cancels ctx:
//
//	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//	defer stop()
//	err := s.Serve(ctx, ln)
//
// It refuses to start, with [ErrUncheckedRoute], when a spec operation is
// registered on s where the guard does not check it.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := s.g.checkRoutes(s.Echo); err != nil {
		ln.Close()
		return err
	}
	logger := s.g.logger
	var draining atomic.Bool
	srv := &http.Server{Addr: ln.Addr().String(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Connection", "close")
		}
		s.ServeHTTP(w, r)
	})}
	setTimeouts(srv)
	errc := make(chan error, 1)
	// Deadlines armed lazily (see conn.go), by a sweeper that stops with Serve.
	sw, stopSweep := newSweeper(sweepTick()), make(chan struct{})
	go sw.run(stopSweep)
	defer close(stopSweep)
	go func() { errc <- srv.Serve(lazyListener{ln, sw}) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if s.drain > 0 {
		draining.Store(true)
		logger.Info("draining: still serving before shutdown", slog.Duration("drain_delay", s.drain))
		select {
		case <-time.After(s.drain):
		case err := <-errc:
			return err
		}
	}
	logger.Info("shutting down: waiting for requests in flight", slog.Duration("timeout", s.stop))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.stop)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("shut down")
	return nil
}

// drainingKey marks, in the echo context, [Ready]'s 503 while draining.
const drainingKey = "kenarkit/server.draining"

// Ready returns a readiness endpoint: 200 {"status":"ready"} until ctx is
// done, then 503 {"status":"draining"}, so that a load balancer stops
// sending requests during [Config.DrainDelay]. The access log has that 503
// at Info, not at Error as other 5xx answers. Pass the context given to
// [Server.Serve]:
//
//	s.GET("/readyz", server.Ready(ctx))
func Ready(ctx context.Context) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ctx.Err() != nil {
			c.Set(drainingKey, true) // logged at Info, not Error: see logRequest
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
	}
}
