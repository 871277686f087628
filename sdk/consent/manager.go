package consent

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/internal/logsafe"
	"github.com/kenarkit/kenarkit/sdk/seal"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// DefaultAuthURL is Divar's consent page (docs/oauth/ReadMe.md).
const DefaultAuthURL = "https://oauth.divar.ir/oauth2/auth"

// Defaults of [Config].
const (
	// DefaultStateTTL is how long a user has to consent and come back.
	DefaultStateTTL = 15 * time.Minute
	// DefaultCookieName is the cookie binding a state to the browser.
	DefaultCookieName = "kenarkit_consent"
)

// Config configures a [Manager]. Tokens, RedirectURL and Sealer are
// required; zero fields otherwise take the defaults.
type Config struct {
	// Tokens keeps the grants: the app's OAuth client at Divar (its id,
	// secret and token endpoint), who owns a token, and the users'
	// tokens ([tokens.New]).
	Tokens *tokens.Keeper
	// RedirectURL is where Divar sends the user back, registered in the
	// Kenar panel and served by the Manager: absolute, https (http only
	// for a loopback host, in tests), with no query and no fragment, as
	// Divar requires. Carry values through [Request.Data] instead.
	RedirectURL string
	// AuthURL is Divar's consent page, [DefaultAuthURL] unless set
	// (divartest.OAuth's, in tests).
	AuthURL string

	// Sealer seals the states: give it the session keys, shared by every
	// replica.
	Sealer *seal.Sealer
	// UsedStates remembers the states that came back; a
	// [MemoryUsedStates] by default, a single replica only.
	UsedStates UsedStates

	// StateTTL is how long a consent may take; [DefaultStateTTL].
	StateTTL time.Duration
	// CookieName names the browser-binding cookie; [DefaultCookieName].
	CookieName string

	// OnGrant finishes a consent once the token is stored: create the post
	// add-on, subscribe to events, redirect to Divar's completion address.
	// It writes the answer; an error returned before writing anything
	// answers a 500 page ([ErrGrantHandler]) and is logged. Unset, the
	// user sees a page saying access was granted.
	OnGrant func(w http.ResponseWriter, r *http.Request, g *Grant) error
	// OnError answers a redirect that failed; by default a short page in
	// Persian and English with err.Status. It must not show err.Detail to
	// the user.
	OnError func(w http.ResponseWriter, r *http.Request, err *CallbackError)
	// Observer, when set, is told of each consent asked for and of how
	// each redirect back ended (sdk/metrics counts them). nil: nothing is
	// observed, at no cost.
	Observer Observer

	// Logger receives the failures (never a token); slog.Default() if nil.
	Logger *slog.Logger
	// Now is the clock the states expire on; time.Now if nil. Tests share
	// divartest.OAuth's.
	Now func() time.Time
}

// Request is one consent to ask for.
type Request struct {
	// UserID keys the user's tokens in the store: Divar's user_id from
	// the callback that brought the user, which USER_ACCESS_REVOCATION
	// also carries. After consent the Manager asks Divar who granted
	// ([tokens.Keeper.Owner], with the new token; every consent asks for
	// the [UserID] scope it needs) and refuses a grant made by another
	// user ([ErrWrongUser]): a landing link forwarded to someone else never
	// stores their token under the first user's id. Empty (the direct
	// link), the grant is stored under the user Divar names.
	UserID string
	// Scopes to ask for, at least one; add [OfflineAccess] for a refresh
	// token. [UserID] is added when missing: the Manager needs it to ask
	// Divar who granted.
	Scopes []Scope
	// Data travels, sealed, in the state and comes back in [Grant.Data]
	// (the post token, the completion address): the redirect address
	// itself may carry no query. Keep it small: the state is in a URL.
	Data map[string]string
}

// Grant is a consent given: what [Config.OnGrant] receives.
type Grant struct {
	UserID string
	// Scopes are those Divar granted.
	Scopes []string
	// Data is [Request.Data].
	Data map[string]string
	// TokenSource is the user's [tokens.Keeper.TokenSource].
	TokenSource oauth2.TokenSource
}

// Manager asks for consent and handles the redirect back, storing each
// grant in [Config.Tokens]. It is an http.Handler: serve it at
// [Config.RedirectURL]'s path. It is safe for concurrent use.
type Manager struct {
	cfg    Config
	oauth  oauth2.Config // for the consent address
	secure bool
	path   string
	logger *slog.Logger
	now    func() time.Time
}

// New returns a Manager, or an [ErrConfig] naming what is wrong with cfg.
func New(cfg Config) (*Manager, error) {
	if cfg.Tokens == nil {
		return nil, fmt.Errorf("%w: Tokens is nil (tokens.New keeps the grants)", ErrConfig)
	}
	if cfg.Sealer == nil {
		return nil, fmt.Errorf("%w: Sealer is nil (give it the session keys)", ErrConfig)
	}
	ru, err := checkRedirectURL(cfg.RedirectURL)
	if err != nil {
		return nil, err
	}
	if cfg.AuthURL == "" {
		cfg.AuthURL = DefaultAuthURL
	}
	if p, err := url.Parse(cfg.AuthURL); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return nil, fmt.Errorf("%w: AuthURL %q is not an absolute http(s) URL", ErrConfig, cfg.AuthURL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UsedStates == nil {
		cfg.UsedStates = &MemoryUsedStates{now: cfg.Now}
	}
	if cfg.StateTTL <= 0 {
		cfg.StateTTL = DefaultStateTTL
	}
	if cfg.CookieName == "" {
		cfg.CookieName = DefaultCookieName
	}
	if cfg.OnError == nil {
		cfg.OnError = ErrorPage
	}
	m := &Manager{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID:    cfg.Tokens.ClientID(),
			RedirectURL: cfg.RedirectURL,
			Endpoint:    oauth2.Endpoint{AuthURL: cfg.AuthURL},
		},
		secure: ru.Scheme == "https",
		path:   ru.Path,
		logger: cfg.Logger,
		now:    cfg.Now,
	}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	if m.path == "" {
		m.path = "/"
	}
	return m, nil
}

func checkRedirectURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: RedirectURL is empty", ErrConfig)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%w: RedirectURL %q is not an absolute http(s) URL", ErrConfig, s)
	}
	if u.RawQuery != "" || u.ForceQuery {
		return nil, fmt.Errorf("%w: RedirectURL %q has a query; Divar refuses a redirect_uri with query parameters: carry values in Request.Data", ErrConfig, s)
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return nil, fmt.Errorf("%w: RedirectURL %q has a fragment", ErrConfig, s)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: RedirectURL has user information", ErrConfig)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("%w: RedirectURL %q must be https (http only for a loopback host)", ErrConfig, s)
	}
	return u, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// state is what a state carries, sealed: the single-use id, the hash of
// the browser's cookie, its expiry by the Manager's clock, the request.
type state struct {
	ID      string            `json:"i"`
	Browser string            `json:"b"`
	Expires int64             `json:"e"` // Unix milliseconds
	User    string            `json:"u,omitempty"`
	Data    map[string]string `json:"d,omitempty"`
}

// AuthCodeURL returns the address of Divar's consent page for req, and
// sets on w the cookie that binds the state to this browser (so call it
// before writing w's header). The cookie is kept when the browser already
// has one, so consents in several tabs do not undo each other.
func (m *Manager) AuthCodeURL(w http.ResponseWriter, r *http.Request, req Request) (string, error) {
	scopes, err := scopeStrings(req.Scopes)
	if err != nil {
		return "", err
	}
	if !slices.Contains(scopes, string(UserID)) {
		scopes = append(scopes, string(UserID)) // to ask Divar who granted
	}
	nonce := ""
	if c, err := r.Cookie(m.cfg.CookieName); err == nil && validNonce(c.Value) {
		nonce = c.Value
	} else {
		nonce = randomID()
	}
	http.SetCookie(w, &http.Cookie{
		Name:     m.cfg.CookieName,
		Value:    nonce,
		Path:     m.path,
		MaxAge:   int((m.cfg.StateTTL + time.Minute) / time.Second),
		HttpOnly: true,
		Secure:   m.secure,
		// Lax: the cookie goes with Divar's top-level redirect back, and
		// with no cross-site subrequest.
		SameSite: http.SameSiteLaxMode,
	})
	st := state{
		ID:      randomID(),
		Browser: browserHash(nonce),
		Expires: m.now().Add(m.cfg.StateTTL).UnixMilli(),
		User:    req.UserID,
		Data:    req.Data,
	}
	// The Sealer's own expiry is a backstop by the wall clock; the
	// Manager's clock decides (Expires).
	sealed, err := m.cfg.Sealer.Seal(st, m.cfg.StateTTL+time.Hour)
	if err != nil {
		return "", fmt.Errorf("consent: sealing the state: %w", err)
	}
	c := m.oauth
	c.Scopes = scopes
	if m.cfg.Observer != nil {
		m.cfg.Observer.ConsentStarted(r.Context())
	}
	return c.AuthCodeURL(sealed), nil
}

// Redirect sends the user to Divar's consent page for req: 302 Found. A
// bad request (a bad scope) is an error, nothing written.
func (m *Manager) Redirect(w http.ResponseWriter, r *http.Request, req Request) error {
	u, err := m.AuthCodeURL(w, r, req)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusFound)
	return nil
}

func validNonce(s string) bool {
	if len(s) != 22 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// randomID returns 128 random bits, URL-safe.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func browserHash(nonce string) string {
	sum := sha256.Sum256([]byte("kenarkit consent browser\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// ServeHTTP handles Divar's redirect back to [Config.RedirectURL]: it
// checks the state, exchanges the code, stores the token and calls
// [Config.OnGrant]; a failure goes to [Config.OnError] as a
// [*CallbackError] and is logged (without the code or the state).
func (m *Manager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var err *CallbackError
	if r.Method != http.MethodGet {
		// GET only: a HEAD must not spend the state and the code.
		w.Header().Set("Allow", "GET")
		err = &CallbackError{Err: ErrNoCode, Status: http.StatusMethodNotAllowed, Detail: "method " + r.Method}
	} else {
		// The code is in this page's URL: keep it out of Referer headers
		// and caches, whatever the page does next.
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		err = m.callback(w, r)
	}
	if err != nil {
		m.fail(w, r, err)
	}
	if m.cfg.Observer != nil {
		m.cfg.Observer.ConsentEnded(r.Context(), err)
	}
}

func (m *Manager) fail(w http.ResponseWriter, r *http.Request, err *CallbackError) {
	level := slog.LevelInfo
	if err.Status >= 500 {
		level = slog.LevelError
	}
	m.logger.LogAttrs(r.Context(), level, "consent: redirect refused",
		slog.Int("status", err.Status), slog.String("error", err.Error()))
	m.cfg.OnError(w, r, err)
}

func (m *Manager) callback(w http.ResponseWriter, r *http.Request) *CallbackError {
	ctx := r.Context()
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		// Nothing is granted, so the state need not be checked first: the
		// user who declined after a long pause hears that they declined.
		detail := "error=" + logsafe.Clip(e) + " " + logsafe.Clip(q.Get("error_description"))
		if e == "access_denied" {
			return &CallbackError{Err: ErrDenied, Status: http.StatusForbidden, Detail: detail}
		}
		return &CallbackError{Err: ErrDivarRefused, Status: http.StatusBadGateway, Detail: detail}
	}
	var st state
	switch err := m.cfg.Sealer.Open(q.Get("state"), &st); {
	case errors.Is(err, seal.ErrExpired):
		return &CallbackError{Err: ErrStateExpired, Status: http.StatusBadRequest}
	case err != nil:
		return &CallbackError{Err: ErrStateInvalid, Status: http.StatusBadRequest}
	}
	expires := time.UnixMilli(st.Expires)
	if !m.now().Before(expires) {
		return &CallbackError{Err: ErrStateExpired, Status: http.StatusBadRequest}
	}
	c, err := r.Cookie(m.cfg.CookieName)
	if err != nil || subtle.ConstantTimeCompare([]byte(browserHash(c.Value)), []byte(st.Browser)) != 1 {
		return &CallbackError{Err: ErrStateForeign, Status: http.StatusForbidden}
	}
	switch err := m.cfg.UsedStates.Use(ctx, st.ID, expires); {
	case errors.Is(err, ErrStateUsed):
		return &CallbackError{Err: ErrStateReplayed, Status: http.StatusConflict}
	case errors.Is(err, ErrTooManyStates):
		// Nothing is spent: the code was not exchanged.
		w.Header().Set("Retry-After", "60")
		return &CallbackError{Err: ErrTooManyStates, Status: http.StatusTooManyRequests}
	case err != nil:
		return &CallbackError{Err: ErrStoreUnavailable, Status: http.StatusServiceUnavailable, Detail: "used states: " + err.Error()}
	}
	code := q.Get("code")
	if code == "" {
		return &CallbackError{Err: ErrNoCode, Status: http.StatusBadRequest}
	}
	// Once Divar has answered, finish even if the user has gone: the code
	// is spent either way.
	xctx := context.WithoutCancel(ctx)
	tok, err := m.cfg.Tokens.Exchange(xctx, code, m.cfg.RedirectURL)
	if err != nil {
		return exchangeError(err)
	}
	user, cerr := m.granter(xctx, tok)
	if cerr != nil {
		return cerr
	}
	if st.User != "" && user != st.User {
		return &CallbackError{Err: ErrWrongUser, Status: http.StatusForbidden,
			Detail: fmt.Sprintf("asked of user %q, granted by user %q", logsafe.Clip(st.User), logsafe.Clip(user))}
	}
	if err := m.cfg.Tokens.Save(xctx, user, tok); err != nil {
		return &CallbackError{Err: ErrStoreUnavailable, Status: http.StatusServiceUnavailable, Detail: err.Error()}
	}
	scope, _ := tok.Extra("scope").(string)
	g := &Grant{UserID: user, Scopes: strings.Fields(scope), Data: st.Data, TokenSource: m.cfg.Tokens.TokenSource(ctx, user)}
	if m.cfg.OnGrant == nil {
		writePage(w, http.StatusOK, pageGranted)
		return nil
	}
	if err := m.cfg.OnGrant(w, r, g); err != nil {
		return &CallbackError{Err: ErrGrantHandler, Status: http.StatusInternalServerError, Detail: err.Error()}
	}
	return nil
}

// granter asks Divar who granted tok.
func (m *Manager) granter(ctx context.Context, tok *oauth2.Token) (string, *CallbackError) {
	id, err := m.cfg.Tokens.Owner(ctx, tok)
	switch {
	case errors.Is(err, tokens.ErrConfig):
		return "", &CallbackError{Err: ErrNoUser, Status: http.StatusInternalServerError,
			Detail: err.Error() + "; no grant is stored unchecked"}
	case err != nil:
		return "", &CallbackError{Err: ErrNoUser, Status: http.StatusBadGateway, Detail: err.Error()}
	}
	return id, nil
}

// exchangeError is the verdict on a failed code exchange.
func exchangeError(err error) *CallbackError {
	e := &CallbackError{Err: ErrDivarRefused, Status: http.StatusBadGateway, Detail: err.Error()}
	var ne net.Error
	switch {
	case errors.Is(err, tokens.ErrGrantRefused):
		e.Err, e.Status = ErrCodeRejected, http.StatusBadRequest
	case errors.Is(err, tokens.ErrClientRejected):
		e.Err, e.Status = tokens.ErrClientRejected, http.StatusInternalServerError
	case errors.Is(err, tokens.ErrDivarUnavailable):
		e.Err = tokens.ErrDivarUnavailable
		if errors.As(err, &ne) && ne.Timeout() {
			e.Status = http.StatusGatewayTimeout
		}
	}
	return e
}
