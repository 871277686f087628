package consent

import (
	"context"
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
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/seal"
)

// Divar's OAuth endpoints (docs/oauth/ReadMe.md).
const (
	DefaultAuthURL  = "https://oauth.divar.ir/oauth2/auth"
	DefaultTokenURL = "https://oauth.divar.ir/oauth2/token"
)

// Defaults of [Config]'s durations.
const (
	// DefaultStateTTL is how long a user has to consent and come back.
	DefaultStateTTL = 15 * time.Minute
	// DefaultRefreshBefore is how long before its expiry a token is
	// refreshed.
	DefaultRefreshBefore = 5 * time.Minute
	// DefaultRefreshTokenTTL is how long Divar's refresh token lasts, and
	// so how long a stored token is kept.
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
	// DefaultLockTTL bounds one replica's refresh; it must outlast the
	// HTTP client's timeout.
	DefaultLockTTL = 30 * time.Second
	// DefaultCookieName is the cookie binding a state to the browser.
	DefaultCookieName = "kenarkit_consent"
)

// Config configures a [Manager]. ClientID, ClientSecret, RedirectURL and
// Sealer are required; zero fields otherwise take the defaults.
type Config struct {
	// ClientID is the app's slug in the Kenar panel.
	ClientID string
	// ClientSecret is the OAuth secret the Kenar panel gave the app.
	ClientSecret string
	// RedirectURL is where Divar sends the user back, registered in the
	// Kenar panel and served by the Manager: absolute, https (http only
	// for a loopback host, in tests), with no query and no fragment, as
	// Divar requires. Carry values through [Request.Data] instead.
	RedirectURL string
	// AuthURL and TokenURL are Divar's endpoints, [DefaultAuthURL] and
	// [DefaultTokenURL] unless set (divartest.OAuth's, in tests).
	AuthURL, TokenURL string

	// Sealer seals the states and, at rest, the tokens: give it the
	// session keys, shared by every replica.
	Sealer *seal.Sealer
	// Tokens stores the users' tokens; [NewMemoryTokenStore] by default,
	// which serves a single replica only.
	Tokens TokenStore
	// UsedStates remembers the states that came back;
	// [NewMemoryUsedStates] by default, a single replica only.
	UsedStates UsedStates
	// HTTPClient calls Divar's token endpoint; by default one with a
	// 10-second timeout.
	HTTPClient *http.Client

	// StateTTL is how long a consent may take; [DefaultStateTTL].
	StateTTL time.Duration
	// RefreshBefore is how long before expiry a token is refreshed;
	// [DefaultRefreshBefore].
	RefreshBefore time.Duration
	// RefreshTokenTTL is how long a refresh token lasts;
	// [DefaultRefreshTokenTTL] (Divar's 30 days).
	RefreshTokenTTL time.Duration
	// LockTTL bounds a refresh holding the user's lock; [DefaultLockTTL].
	LockTTL time.Duration
	// CookieName names the browser-binding cookie; [DefaultCookieName].
	CookieName string

	// API is Divar's open-platform API ([sdk.NewClient] with the app's API
	// key and Divar's URL; divartest.NewAPI's in tests). After each code
	// exchange the Manager asks it who granted (GET /v1/open-platform/users
	// with the new token, [sdk.Client.User]; every consent asks for the
	// [UserID] scope it needs) and refuses a grant made by another user
	// than the one the consent was asked for ([ErrWrongUser]): a landing
	// link forwarded to someone else never stores their token under the
	// first user's id. A consent asked with no user id (the direct link) is
	// stored under the user Divar names.
	API *sdk.Client
	// Identify, if set, is asked instead of API who owns the token ts (the
	// new grant's): it returns Divar's user id for the app, or an error.
	// With neither API nor Identify, every consent is refused
	// ([ErrNoUser]): no grant is stored under a user nobody checked.
	Identify func(ctx context.Context, ts oauth2.TokenSource) (userID string, err error)
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
	// OnRefresh runs after each refresh, on the replica that refreshed,
	// with the user's new token source: re-create the user's event
	// subscriptions there (idempotently), as they lapse with the old
	// token. The consent itself does not call it: subscribe in OnGrant.
	// It runs in the background; an error is logged and the call
	// retried with exponential backoff ([Config.OnRefreshRetry]), and the
	// last failure is logged at error level. [Manager.Close] stops it.
	OnRefresh func(ctx context.Context, userID string, ts oauth2.TokenSource) error
	// OnRefreshRetry paces OnRefresh's retries; see [Backoff].
	OnRefreshRetry Backoff
	// SaveRetry paces the writes of a refreshed token the store refused
	// (see [Manager.TokenSource]): from 100 ms up to 5 s by default. They
	// go on until the store takes it or [Manager.Close]; Attempts is
	// unused.
	SaveRetry Backoff

	// Logger receives the failures (never a token); slog.Default() if nil.
	Logger *slog.Logger
	// Now is the clock; time.Now if nil. Tests share divartest.OAuth's.
	Now func() time.Time
}

// Backoff paces retries: the first after Initial (1 s by default), each
// next twice as late up to Max (5 min), Attempts calls in all (8).
type Backoff struct {
	Initial, Max time.Duration
	Attempts     int
}

// Request is one consent to ask for.
type Request struct {
	// UserID keys the user's tokens in the store: Divar's user_id from
	// the callback that brought the user, which USER_ACCESS_REVOCATION
	// also carries. After consent the Manager asks Divar who granted and
	// refuses another user ([ErrWrongUser]). Empty (the direct link), the
	// grant is stored under the user Divar names.
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
	// TokenSource is [Manager.TokenSource] for the user.
	TokenSource oauth2.TokenSource
}

// Manager asks for consent, handles the redirect back, and keeps the
// tokens. It is an http.Handler: serve it at [Config.RedirectURL]'s path.
// It is safe for concurrent use.
type Manager struct {
	cfg      Config
	oauth    oauth2.Config
	secure   bool
	path     string
	logger   *slog.Logger
	now      func() time.Time
	ctx      context.Context // cancelled by Close: OnRefresh's retries
	cancel   context.CancelFunc
	hooks    sync.WaitGroup
	keep     keeping // tokens the store refused, and readiness
	redirect *url.URL
}

// New returns a Manager, or an [ErrConfig] naming what is wrong with cfg.
func New(cfg Config) (*Manager, error) {
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("%w: ClientID (the app's slug) is empty", ErrConfig)
	}
	if cfg.ClientSecret == "" {
		return nil, fmt.Errorf("%w: ClientSecret is empty", ErrConfig)
	}
	if cfg.Sealer == nil {
		return nil, fmt.Errorf("%w: Sealer is nil (give it the session keys)", ErrConfig)
	}
	ru, err := checkRedirectURL(cfg.RedirectURL)
	if err != nil {
		return nil, err
	}
	cfg.AuthURL = orString(cfg.AuthURL, DefaultAuthURL)
	cfg.TokenURL = orString(cfg.TokenURL, DefaultTokenURL)
	for name, u := range map[string]string{"AuthURL": cfg.AuthURL, "TokenURL": cfg.TokenURL} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, fmt.Errorf("%w: %s %q is not an absolute http(s) URL", ErrConfig, name, u)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Tokens == nil {
		cfg.Tokens = NewMemoryTokenStore(cfg.Now)
	}
	if cfg.UsedStates == nil {
		cfg.UsedStates = NewMemoryUsedStates(cfg.Now)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	cfg.StateTTL = orDuration(cfg.StateTTL, DefaultStateTTL)
	cfg.RefreshBefore = orDuration(cfg.RefreshBefore, DefaultRefreshBefore)
	cfg.RefreshTokenTTL = orDuration(cfg.RefreshTokenTTL, DefaultRefreshTokenTTL)
	cfg.LockTTL = orDuration(cfg.LockTTL, DefaultLockTTL)
	cfg.CookieName = orString(cfg.CookieName, DefaultCookieName)
	cfg.OnRefreshRetry.Initial = orDuration(cfg.OnRefreshRetry.Initial, time.Second)
	cfg.OnRefreshRetry.Max = orDuration(cfg.OnRefreshRetry.Max, 5*time.Minute)
	cfg.SaveRetry.Initial = orDuration(cfg.SaveRetry.Initial, 100*time.Millisecond)
	cfg.SaveRetry.Max = orDuration(cfg.SaveRetry.Max, 5*time.Second)
	if cfg.OnRefreshRetry.Attempts <= 0 {
		cfg.OnRefreshRetry.Attempts = 8
	}
	if cfg.OnError == nil {
		cfg.OnError = ErrorPage
	}
	if cfg.Identify == nil && cfg.API != nil {
		api := cfg.API
		cfg.Identify = func(ctx context.Context, ts oauth2.TokenSource) (string, error) {
			u, err := api.User(ctx, ts)
			return u.ID, err
		}
	}
	m := &Manager{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			// Divar documents the secret in the form (client_secret_post).
			Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		},
		secure:   ru.Scheme == "https",
		path:     ru.Path,
		logger:   cfg.Logger,
		now:      cfg.Now,
		redirect: ru,
	}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	if m.path == "" {
		m.path = "/"
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
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

// Close stops [Config.OnRefresh]'s pending retries and waits for the
// calls running; a refreshed token the store still refuses is tried once
// more, and logged at error level if lost. The Manager must not be used
// afterwards.
func (m *Manager) Close() error {
	m.cancel()
	m.hooks.Wait()
	return nil
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

func browserHash(nonce string) string {
	sum := sha256.Sum256([]byte("kenarkit consent browser\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// ServeHTTP handles Divar's redirect back to [Config.RedirectURL]: it
// checks the state, exchanges the code, stores the token and calls
// [Config.OnGrant]; a failure goes to [Config.OnError] as a
// [*CallbackError] and is logged (without the code or the state).
func (m *Manager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// GET only: a HEAD must not spend the state and the code.
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		m.fail(w, r, &CallbackError{Err: ErrNoCode, Status: http.StatusMethodNotAllowed, Detail: "method " + r.Method})
		return
	}
	// The code is in this page's URL: keep it out of Referer headers and
	// caches, whatever the page does next.
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	if err := m.callback(w, r); err != nil {
		m.fail(w, r, err)
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
		detail := "error=" + clip(e) + " " + clip(q.Get("error_description"))
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
	xctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, m.cfg.HTTPClient)
	tok, err := m.oauth.Exchange(xctx, code)
	if err != nil {
		return exchangeError(err)
	}
	rec := recordOf(tok, m.now())
	user, cerr := m.granter(xctx, rec)
	if cerr != nil {
		return cerr
	}
	if st.User != "" && user != st.User {
		return &CallbackError{Err: ErrWrongUser, Status: http.StatusForbidden,
			Detail: fmt.Sprintf("asked of user %q, granted by user %q", clip(st.User), clip(user))}
	}
	if err := m.put(xctx, user, rec); err != nil {
		return &CallbackError{Err: ErrStoreUnavailable, Status: http.StatusServiceUnavailable, Detail: err.Error()}
	}
	g := &Grant{UserID: user, Scopes: strings.Fields(rec.Scope), Data: st.Data, TokenSource: m.TokenSource(ctx, user)}
	if m.cfg.OnGrant == nil {
		writePage(w, http.StatusOK, pageGranted)
		return nil
	}
	if err := m.cfg.OnGrant(w, r, g); err != nil {
		return &CallbackError{Err: ErrGrantHandler, Status: http.StatusInternalServerError, Detail: err.Error()}
	}
	return nil
}

// granter asks Divar (Config.Identify) whose grant rec is.
func (m *Manager) granter(ctx context.Context, rec record) (string, *CallbackError) {
	if m.cfg.Identify == nil {
		return "", &CallbackError{Err: ErrNoUser, Status: http.StatusInternalServerError,
			Detail: "neither Config.API nor Config.Identify is set: the Manager cannot ask Divar who granted, and stores no grant unchecked"}
	}
	id, err := m.cfg.Identify(ctx, oauth2.StaticTokenSource(rec.token()))
	switch {
	case err != nil:
		return "", &CallbackError{Err: ErrNoUser, Status: http.StatusBadGateway, Detail: "asking Divar who granted: " + err.Error()}
	case id == "":
		return "", &CallbackError{Err: ErrNoUser, Status: http.StatusBadGateway, Detail: "Divar named no user for the grant"}
	}
	return id, nil
}

// exchangeError classifies a failed code exchange, keeping Divar's body
// (which may echo what was sent) out of the error.
func exchangeError(err error) *CallbackError {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code, detail := 0, "token endpoint refused"
		if re.Response != nil {
			code, detail = re.Response.StatusCode, "token endpoint answered "+re.Response.Status
		}
		if re.ErrorCode != "" {
			detail += ": " + clip(re.ErrorCode) + " " + clip(re.ErrorDescription)
		}
		switch {
		case re.ErrorCode == "invalid_grant":
			return &CallbackError{Err: ErrCodeRejected, Status: http.StatusBadRequest, Detail: detail}
		case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
			return &CallbackError{Err: ErrClientRejected, Status: http.StatusInternalServerError, Detail: detail}
		case code >= 500 || code == http.StatusTooManyRequests:
			return &CallbackError{Err: ErrDivarUnavailable, Status: http.StatusBadGateway, Detail: detail}
		}
		return &CallbackError{Err: ErrDivarRefused, Status: http.StatusBadGateway, Detail: detail}
	}
	status := http.StatusBadGateway
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		status = http.StatusGatewayTimeout
	}
	return &CallbackError{Err: ErrDivarUnavailable, Status: status, Detail: transportDetail(err)}
}

// transportDetail describes a failed call without its URL's query.
func transportDetail(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + " token endpoint: " + ue.Err.Error()
	}
	return err.Error()
}

// clip bounds a string from the network before it is logged.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
