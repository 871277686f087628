package tokens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/kenarkit/kenarkit/sdk/divar"

	"golang.org/x/oauth2"

	"github.com/kenarkit/kenarkit/internal/logsafe"
	"github.com/kenarkit/kenarkit/sdk/seal"
)

// DefaultTokenURL is Divar's OAuth token endpoint (docs/oauth/ReadMe.md).
const DefaultTokenURL = "https://oauth.divar.ir/oauth2/token"

// Defaults of [Config]'s durations.
const (
	// DefaultRefreshBefore is how long before its expiry a token is
	// refreshed.
	DefaultRefreshBefore = 5 * time.Minute
	// DefaultRefreshTokenTTL is how long Divar's refresh token lasts, and
	// so how long a stored token is kept.
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
	// DefaultLockTTL bounds one replica's refresh; it must outlast the
	// HTTP client's timeout.
	DefaultLockTTL = 30 * time.Second
)

// Config configures a [Keeper]. ClientID, ClientSecret and Sealer are
// required; zero fields otherwise take the defaults.
type Config struct {
	// ClientID is the app's slug in the Kenar panel.
	ClientID string
	// ClientSecret is the OAuth secret the Kenar panel gave the app.
	ClientSecret string
	// TokenURL is Divar's token endpoint, [DefaultTokenURL] unless set
	// (divartest.OAuth's, in tests).
	TokenURL string
	// HTTPClient calls Divar's token endpoint; by default one with a
	// 10-second timeout.
	HTTPClient *http.Client

	// Sealer seals the tokens at rest: give it the session keys, shared
	// by every replica.
	Sealer *seal.Sealer
	// Store keeps the users' tokens; [NewMemoryStore] by default, which
	// serves a single replica only.
	Store Store

	// API is Divar's open-platform API ([divar.NewClient] with the app's API
	// key; divartest.NewAPI's in tests), asked who owns a token
	// ([Keeper.Owner], GET /v1/open-platform/users, which needs the
	// USER_ID scope): by sdk/consent after each consent, and by the Keeper
	// for a token stored before tokens were bound to their user.
	API *divar.Client
	// Identify, if set, is asked instead of API who owns the token ts: it
	// returns Divar's user id for the app, or an error.
	Identify func(ctx context.Context, ts oauth2.TokenSource) (userID string, err error)

	// RefreshBefore is how long before expiry a token is refreshed;
	// [DefaultRefreshBefore].
	RefreshBefore time.Duration
	// RefreshTokenTTL is how long a refresh token lasts;
	// [DefaultRefreshTokenTTL] (Divar's 30 days).
	RefreshTokenTTL time.Duration
	// LockTTL bounds a refresh holding the user's lock; [DefaultLockTTL].
	LockTTL time.Duration

	// OnRefresh runs after each refresh, on the replica that refreshed,
	// with the user's new token source: re-create the user's event
	// subscriptions there (idempotently), as they lapse with the old
	// token. A consent does not call it: subscribe in consent's OnGrant.
	// It runs in the background; an error is logged and the call
	// retried with exponential backoff ([Config.OnRefreshRetry]), and the
	// last failure is logged at error level. [Keeper.Close] stops it.
	OnRefresh func(ctx context.Context, userID string, ts oauth2.TokenSource) error
	// OnRefreshRetry paces OnRefresh's retries; see [Backoff].
	OnRefreshRetry Backoff
	// SaveRetry paces the writes of a refreshed token the store refused
	// (see [Keeper.TokenSource]): from 100 ms up to 5 s by default. They
	// go on until the store takes it or [Keeper.Close]; Attempts is
	// unused.
	SaveRetry Backoff

	// Logger receives the failures (never a token); slog.Default() if nil.
	Logger *slog.Logger
	// Observer, when set, is told of each refresh and its outcome, each
	// user who must consent again and each revocation (sdk/metrics counts
	// them, sdk/tracing gives each refresh a span). nil: nothing is
	// observed, at no cost.
	Observer Observer
	// Now is the clock; time.Now if nil. Tests share divartest.OAuth's.
	Now func() time.Time
}

// Backoff paces retries: the first after Initial (1 s by default), each
// next twice as late up to Max (5 min), Attempts calls in all (8).
type Backoff struct {
	Initial, Max time.Duration
	Attempts     int
}

// Keeper keeps the users' tokens usable: stored sealed, refreshed once
// across replicas, kept when the store refuses a refreshed pair, deleted
// on revocation. It is safe for concurrent use.
type Keeper struct {
	cfg    Config
	oauth  oauth2.Config
	logger *slog.Logger
	now    func() time.Time
	ctx    context.Context // cancelled by Close: OnRefresh's retries, the unsaved pairs' writers
	cancel context.CancelFunc
	hooks  sync.WaitGroup
	keep   keeping // tokens the store refused, and readiness
}

// New returns a Keeper, or an [ErrConfig] naming what is wrong with cfg.
func New(cfg Config) (*Keeper, error) {
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("%w: ClientID (the app's slug) is empty", ErrConfig)
	}
	if cfg.ClientSecret == "" {
		return nil, fmt.Errorf("%w: ClientSecret is empty", ErrConfig)
	}
	if cfg.Sealer == nil {
		return nil, fmt.Errorf("%w: Sealer is nil (give it the session keys)", ErrConfig)
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if p, err := url.Parse(cfg.TokenURL); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return nil, fmt.Errorf("%w: TokenURL %q is not an absolute http(s) URL", ErrConfig, cfg.TokenURL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Store == nil {
		cfg.Store = newMemoryStore(cfg.Now)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	cfg.RefreshBefore = orDuration(cfg.RefreshBefore, DefaultRefreshBefore)
	cfg.RefreshTokenTTL = orDuration(cfg.RefreshTokenTTL, DefaultRefreshTokenTTL)
	cfg.LockTTL = orDuration(cfg.LockTTL, DefaultLockTTL)
	cfg.OnRefreshRetry.Initial = orDuration(cfg.OnRefreshRetry.Initial, time.Second)
	cfg.OnRefreshRetry.Max = orDuration(cfg.OnRefreshRetry.Max, 5*time.Minute)
	cfg.SaveRetry.Initial = orDuration(cfg.SaveRetry.Initial, 100*time.Millisecond)
	cfg.SaveRetry.Max = orDuration(cfg.SaveRetry.Max, 5*time.Second)
	if cfg.OnRefreshRetry.Attempts <= 0 {
		cfg.OnRefreshRetry.Attempts = 8
	}
	if cfg.Identify == nil && cfg.API != nil {
		api := cfg.API
		cfg.Identify = func(ctx context.Context, ts oauth2.TokenSource) (string, error) {
			u, err := api.User(ctx, ts)
			return u.ID, err
		}
	}
	k := &Keeper{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			// Divar documents the secret in the form (client_secret_post).
			Endpoint: oauth2.Endpoint{TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		},
		logger: cfg.Logger,
		now:    cfg.Now,
	}
	if k.logger == nil {
		k.logger = slog.Default()
	}
	k.ctx, k.cancel = context.WithCancel(context.Background())
	return k, nil
}

// Close stops [Config.OnRefresh]'s pending retries and waits for the
// calls running; a refreshed token the store still refuses is tried once
// more, and logged at error level if lost. The Keeper must not be used
// afterwards.
func (k *Keeper) Close() error {
	k.cancel()
	k.hooks.Wait()
	return nil
}

// ClientID is [Config.ClientID]: the app's slug, which the consent page
// is asked for.
func (k *Keeper) ClientID() string { return k.cfg.ClientID }

// Exchange trades an authorization code, sent back to redirectURL, for the
// user's first tokens at Divar's token endpoint, with the app's
// credentials: what sdk/consent does when Divar sends the user back. It
// stores nothing ([Keeper.Save] does). A refusal or failure matches, with
// errors.Is, [ErrGrantRefused] (the code is expired, used, or another
// client's), [ErrClientRejected], [ErrDivarUnavailable], or is another
// refusal by Divar; it never carries the code or Divar's answer body.
func (k *Keeper) Exchange(ctx context.Context, code, redirectURL string) (*oauth2.Token, error) {
	c := k.oauth
	c.RedirectURL = redirectURL
	tok, err := c.Exchange(context.WithValue(ctx, oauth2.HTTPClient, k.cfg.HTTPClient), code)
	if err != nil {
		return nil, oauthError(err)
	}
	return tok, nil
}

// Owner asks Divar ([Config.API] or [Config.Identify]) whose token tok
// is, and returns that user's id for the app. With neither set it is an
// [ErrConfig]: no token is taken for a user nobody checked.
func (k *Keeper) Owner(ctx context.Context, tok *oauth2.Token) (string, error) {
	if k.cfg.Identify == nil {
		return "", fmt.Errorf("%w: neither Config.API nor Config.Identify is set: the Keeper cannot ask Divar whose a token is", ErrConfig)
	}
	id, err := k.cfg.Identify(ctx, oauth2.StaticTokenSource(tok))
	switch {
	case err != nil:
		return "", fmt.Errorf("tokens: asking Divar whose a token is: %w", err)
	case id == "":
		return "", errors.New("tokens: Divar named no user for the token")
	}
	return id, nil
}

// oauthError classifies a failed call to Divar's token endpoint, keeping
// Divar's body (which may echo what was sent) out of the error.
func oauthError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code, detail := 0, "token endpoint refused"
		if re.Response != nil {
			code, detail = re.Response.StatusCode, "token endpoint answered "+re.Response.Status
		}
		if re.ErrorCode != "" {
			detail += ": " + logsafe.Clip(re.ErrorCode) + " " + logsafe.Clip(re.ErrorDescription)
		}
		switch {
		case re.ErrorCode == "invalid_grant":
			return fmt.Errorf("%w: %s", ErrGrantRefused, detail)
		case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
			return fmt.Errorf("%w: %s", ErrClientRejected, detail)
		case code >= 500 || code == http.StatusTooManyRequests:
			return fmt.Errorf("%w: %s", ErrDivarUnavailable, detail)
		}
		return errors.New("tokens: Divar refused: " + detail)
	}
	// Without its URL, and with the cause kept for errors.As (a timeout).
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%w: %s token endpoint: %w", ErrDivarUnavailable, ue.Op, ue.Err)
	}
	return fmt.Errorf("%w: %w", ErrDivarUnavailable, err)
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
