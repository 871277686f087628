package divar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kenarkit/kenarkit/gen/kenarapi"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"golang.org/x/oauth2"
)

// DefaultBaseURL is Divar's open-platform API (kenar-docs
// docs/migrations/2025-04-27.md).
const DefaultBaseURL = "https://open-api.divar.ir"

// Config configures a [Client]. Only APIKey is required; zero fields
// take [DefaultConfig]'s values.
type Config struct {
	// APIKey is the app's API key from the Kenar panel, sent as X-API-Key.
	APIKey string
	// BaseURL is Divar's API: DefaultBaseURL, or a fake's in tests
	// (divartest.NewAPI).
	BaseURL string
	// HTTPClient sends the requests. Its Timeout, if any, also applies; the
	// default keeps up to 32 idle connections to Divar for reuse.
	HTTPClient *http.Client
	// Timeout bounds each attempt of a call, from sending the request to
	// reading the whole answer; the call's context bounds it all.
	Timeout time.Duration
	// MaxRetries is how many times a call is sent again after a failure
	// that is safe to retry: a 429 for every operation; a 5xx, a timeout or
	// a lost connection only for idempotent ones (never a chat message); a
	// connection that could not be made, for every operation. Negative: no
	// retries.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// attempts, which is jittered. A Retry-After longer than MaxBackoff is
	// not waited for: the call returns its [ErrRateLimited] at once, with
	// APIError.RetryAfter set.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives a warning for each retry (operation, status, wait;
	// never a header). nil: no logging.
	Logger *slog.Logger
	// Observer, when set, is told of each call, its retries and its
	// outcome (sdk/metrics counts them, sdk/tracing gives each a span and
	// carries its trace context to Divar). nil: nothing is observed, at
	// no cost.
	Observer Observer
}

// DefaultConfig holds the values a zero [Config] field takes.
var DefaultConfig = Config{
	BaseURL:    DefaultBaseURL,
	Timeout:    10 * time.Second,
	MaxRetries: 3,
	MinBackoff: 200 * time.Millisecond,
	MaxBackoff: 20 * time.Second,
}

// maxAnswer bounds the answer read from Divar.
const maxAnswer = 4 << 20

// Client calls Divar's open-platform API for an add-on: post add-ons, chat
// and chat-bot messages, event subscriptions, the user and posts. Each
// method names its operation in api/kenar-api.yaml, which says once the
// permission the API key needs for it (x-kenar-permission) and the OAuth
// scopes the user's token may hold for it (x-kenar-scopes). Build one
// with [NewClient] and share it; it is safe for concurrent use.
//
// Calls made for a user take the user's OAuth token as an
// oauth2.TokenSource (from the add-on's oauth2.Config), sent as a bearer
// token. Every request is checked against Divar's documented limits before
// it is sent, and refused naming each failing field ([sdk.ErrInvalidAnswer]);
// Divar's refusals are [*APIError]s.
type Client struct {
	cfg  Config
	api  *kenarapi.Client
	log  *slog.Logger
	mu   sync.Mutex
	rate Rate
}

// NewClient returns a client for cfg. It fails without an API key or with
// a BaseURL that is not an absolute http(s) URL.
func NewClient(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, ErrNoAPIKey
	}
	d := DefaultConfig
	if cfg.BaseURL == "" {
		cfg.BaseURL = d.BaseURL
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("divar: the Divar API's base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = d.Timeout
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = d.MaxRetries
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = d.MinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = d.MaxBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32
		cfg.HTTPClient = &http.Client{Transport: t}
	}
	api, err := kenarapi.NewClient(cfg.BaseURL, kenarapi.WithHTTPClient(cfg.HTTPClient))
	if err != nil {
		return nil, fmt.Errorf("divar: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, api: api, log: log}, nil
}

// Rate returns the rate-limit state of Divar's last answer that reported
// one; a zero Rate when none did (Divar documents no such headers).
func (c *Client) Rate() Rate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate
}

// CreatePostAddon attaches a to the post, replacing the app's earlier
// add-on on it (operation createPostAddon, with a user's token). Divar attaches it
// shortly after answering. As it replaces, it is retried like an
// idempotent call.
func (c *Client) CreatePostAddon(ctx context.Context, user oauth2.TokenSource, postToken string, a sdk.PostAddon) error {
	const op = "createPostAddon"
	if err := errors.Join(checkPostToken(postToken), a.Validate()); err != nil {
		return notSent(op, err)
	}
	body, err := sdk.MarshalAnswer(a)
	if err != nil {
		return fmt.Errorf("divar: %s: %w", op, err)
	}
	rsp, err := c.do(ctx, request{op: op, idempotent: true, user: user, needsUser: true}, func(ctx context.Context, e ...kenarapi.RequestEditorFn) (*http.Response, error) {
		return c.api.CreatePostAddonWithBody(ctx, postToken, "application/json", bytes.NewReader(body), e...)
	})
	if err != nil {
		return err
	}
	_, err = parseAnswer(op, kenarapi.ParseCreatePostAddonResponse, rsp)
	return err
}

// DeletePostAddons removes every add-on the app attached to the post
// (operation deletePostAddons, no user token).
func (c *Client) DeletePostAddons(ctx context.Context, postToken string) error {
	const op = "deletePostAddons"
	if err := checkPostToken(postToken); err != nil {
		return notSent(op, err)
	}
	rsp, err := c.do(ctx, request{op: op, idempotent: true}, func(ctx context.Context, e ...kenarapi.RequestEditorFn) (*http.Response, error) {
		return c.api.DeletePostAddons(ctx, postToken, e...)
	})
	if err != nil {
		return err
	}
	_, err = parseAnswer(op, kenarapi.ParseDeletePostAddonsResponse, rsp)
	return err
}

// SendMessage sends m into the conversation as the user who granted the
// token (operation sendConversationMessage). A message is never sent
// twice: only a 429 or a connection never made is retried, and within an
// [sdk.EventMux] handler with a deduper it is sent at most once per event,
// however often Divar delivers it (dedupe.Once). A recipient who blocked
// the sender gives [ErrRecipientBlocked]. An error after which nothing can
// have reached Divar is dedupe.ErrNotSent (errors.Is).
func (c *Client) SendMessage(ctx context.Context, user oauth2.TokenSource, conversationID string, m sdk.ConversationMessage) error {
	const op = "sendConversationMessage"
	if err := errors.Join(checkID("conversation_id", conversationID, 64), m.Validate()); err != nil {
		return notSent(op, err)
	}
	body, err := sdk.MarshalAnswer(m)
	if err != nil {
		return fmt.Errorf("divar: %s: %w", op, err)
	}
	rsp, err := c.do(ctx, request{op: op, user: user, needsUser: true, irreversible: true}, func(ctx context.Context, e ...kenarapi.RequestEditorFn) (*http.Response, error) {
		return c.api.SendConversationMessageWithBody(ctx, conversationID, "application/json", bytes.NewReader(body), e...)
	})
	if err != nil {
		return err
	}
	_, err = parseAnswer(op, kenarapi.ParseSendConversationMessageResponse, rsp)
	return err
}

// SendBotMessage sends m from the app's chat bot into a bot conversation,
// such as the conversation.id of a NEW_CHATBOT_MESSAGE event (operation
// sendBotMessage, no user token). It
// returns the conversation's id as Divar answers it. Never sent twice (see
// [Client.SendMessage]).
func (c *Client) SendBotMessage(ctx context.Context, conversationID string, m sdk.BotMessage) (string, error) {
	const op = "sendBotMessage"
	if err := errors.Join(checkID("conversation_id", conversationID, 64), m.Validate()); err != nil {
		return "", notSent(op, err)
	}
	m.UserID = ""
	body, err := sdk.MarshalAnswer(m)
	if err != nil {
		return "", fmt.Errorf("divar: %s: %w", op, err)
	}
	rsp, err := c.do(ctx, request{op: op, irreversible: true}, func(ctx context.Context, e ...kenarapi.RequestEditorFn) (*http.Response, error) {
		return c.api.SendBotMessageWithBody(ctx, conversationID, "application/json", bytes.NewReader(body), e...)
	})
	if err != nil {
		return "", err
	}
	v, err := parseAnswer(op, kenarapi.ParseSendBotMessageResponse, rsp)
	if err != nil {
		return "", err
	}
	return decodeBotSent(op, v.JSON200)
}

// SendBotMessageToUser sends m from the app's chat bot to the user, by the
// user id the app got from [Client.User], starting the bot's conversation
// if there is none (operation sendBotMessageToUser). It returns the
// conversation's id. Never sent twice (see [Client.SendMessage]).
func (c *Client) SendBotMessageToUser(ctx context.Context, user oauth2.TokenSource, userID string, m sdk.BotMessage) (string, error) {
	const op = "sendBotMessageToUser"
	if err := errors.Join(checkID("user_id", userID, 256), m.Validate()); err != nil {
		return "", notSent(op, err)
	}
	m.UserID = ""
	body, err := sdk.MarshalAnswer(m)
	if err != nil {
		return "", fmt.Errorf("divar: %s: %w", op, err)
	}
	rsp, err := c.do(ctx, request{op: op, user: user, needsUser: true, irreversible: true}, func(ctx context.Context, e ...kenarapi.RequestEditorFn) (*http.Response, error) {
		return c.api.SendBotMessageToUserWithBody(ctx, userID, "application/json", bytes.NewReader(body), e...)
	})
	if err != nil {
		return "", err
	}
	v, err := parseAnswer(op, kenarapi.ParseSendBotMessageToUserResponse, rsp)
	if err != nil {
		return "", err
	}
	return decodeBotSent(op, v.JSON200)
}

// Subscribe asks Divar to deliver events to the add-on's events URL
// (operation createEventSubscription). The
// subscription lasts as long as the user's token: subscribe again after a
// refresh. Divar does not say whether subscribing twice makes two
// subscriptions, so, like a message, it is retried only after a 429 or a
// connection never made.
func (c *Client) Subscribe(ctx context.Context, user oauth2.TokenSource, s sdk.EventSubscription) error {
	const op = "createEventSubscription"
	if err := s.Validate(); err != nil {
		return notSent(op, err)
	}
	body, err := sdk.MarshalAnswer(s)
	if err != nil {
		return fmt.Errorf("divar: %s: %w", op, err)
	}
	rsp, err := c.do(ctx, request{op: op, user: user, needsUser: true}, func(ctx context.Context, e ...kenarapi.RequestEditorFn) (*http.Response, error) {
		return c.api.CreateEventSubscriptionWithBody(ctx, "application/json", bytes.NewReader(body), e...)
	})
	if err != nil {
		return err
	}
	_, err = parseAnswer(op, kenarapi.ParseCreateEventSubscriptionResponse, rsp)
	return err
}

// User is the user who granted a token, as Divar gives it to this app.
type User struct {
	// ID is the user's id for this app (another app sees another id).
	ID string
	// PhoneNumber needs the USER_PHONE scope.
	PhoneNumber  string
	PhoneNumbers []string
}

// User returns the user who granted the token (operation getUser).
func (c *Client) User(ctx context.Context, user oauth2.TokenSource) (User, error) {
	const op = "getUser"
	rsp, err := c.do(ctx, request{op: op, idempotent: true, user: user, needsUser: true}, func(ctx context.Context, e ...kenarapi.RequestEditorFn) (*http.Response, error) {
		return c.api.GetUser(ctx, e...)
	})
	if err != nil {
		return User{}, err
	}
	return decodeUser(op, rsp)
}

// Post is a post as Divar's finder gives it.
type Post struct {
	Token, Category, City, District string
	// State is PUBLISHED, REVIEW_REQ, PAYMENT_REQ or RETIRED (more may come).
	State                        string
	ChatEnabled                  bool
	SupplierChatAssistantEnabled bool
	IsPhoneHidden                bool
	FirstPublishedAt             time.Time
	LastModifiedAt               time.Time
	// Data holds the post's fields, which depend on its category.
	Data                       map[string]any
	BusinessName, BusinessType string
}

// Post returns a post (operation getPost, no user token). A post that does not exist gives [ErrNotFound].
func (c *Client) Post(ctx context.Context, postToken string) (Post, error) {
	const op = "getPost"
	if err := checkPostToken(postToken); err != nil {
		return Post{}, notSent(op, err)
	}
	rsp, err := c.do(ctx, request{op: op, idempotent: true}, func(ctx context.Context, e ...kenarapi.RequestEditorFn) (*http.Response, error) {
		return c.api.GetPost(ctx, postToken, e...)
	})
	if err != nil {
		return Post{}, err
	}
	return decodePost(op, rsp)
}

// UserPost is one of the user's posts.
type UserPost struct {
	Token, Title, Category string
	Images                 []string
	IsPhoneHidden          bool
}

// UserPosts returns the posts of the user who granted the token (operation
// listUserPosts).
func (c *Client) UserPosts(ctx context.Context, user oauth2.TokenSource) ([]UserPost, error) {
	const op = "listUserPosts"
	rsp, err := c.do(ctx, request{op: op, idempotent: true, user: user, needsUser: true}, func(ctx context.Context, e ...kenarapi.RequestEditorFn) (*http.Response, error) {
		return c.api.ListUserPosts(ctx, e...)
	})
	if err != nil {
		return nil, err
	}
	return decodeUserPosts(op, rsp)
}

// request is one call to Divar.
type request struct {
	op         string
	idempotent bool // sending it twice leaves what sending it once does
	// irreversible: it cannot be taken back (a message). Within an event's
	// handler it is made at most once per event (dedupe.Once).
	irreversible bool
	user         oauth2.TokenSource
	needsUser    bool
}

// do sends a call, retrying what is safe, and returns Divar's 2xx answer
// with its body read (at most maxAnswer bytes) and the connection released.
// Any other answer is an *APIError. An error after which nothing can have
// reached Divar is marked dedupe.ErrNotSent. An irreversible call is made
// through dedupe.Once.
func (c *Client) do(ctx context.Context, r request, send func(context.Context, ...kenarapi.RequestEditorFn) (*http.Response, error)) (*http.Response, error) {
	if !r.irreversible {
		return c.call(ctx, r, send)
	}
	var rsp *http.Response
	err := dedupe.Once(ctx, func(ctx context.Context) (err error) {
		rsp, err = c.call(ctx, r, send)
		return err
	})
	return rsp, err
}

// call is do without dedupe.Once.
func (c *Client) call(ctx context.Context, r request, send func(context.Context, ...kenarapi.RequestEditorFn) (*http.Response, error)) (*http.Response, error) {
	if c.cfg.Observer == nil {
		return c.send(ctx, r, send, nil)
	}
	return c.observe(ctx, r, send)
}

// send is call, telling o (when not nil) of each attempt and retry.
func (c *Client) send(ctx context.Context, r request, send func(context.Context, ...kenarapi.RequestEditorFn) (*http.Response, error), o CallObserver) (*http.Response, error) {
	secrets := []string{c.cfg.APIKey}
	var bearer string
	if r.needsUser {
		if r.user == nil {
			return nil, dedupe.NotSent(fmt.Errorf("divar: %s: %w: pass the user's oauth2.TokenSource", r.op, ErrNoToken))
		}
		tok, err := r.user.Token()
		if err != nil {
			return nil, dedupe.NotSent(fmt.Errorf("divar: %s: getting the user's token: %w", r.op, redactErr(err, secrets)))
		}
		if tok == nil || tok.AccessToken == "" {
			return nil, dedupe.NotSent(fmt.Errorf("divar: %s: %w", r.op, ErrNoToken))
		}
		bearer = tok.AccessToken
		secrets = append(secrets, bearer)
	}
	headers := func(ctx context.Context, req *http.Request) error {
		if o != nil {
			o.Sending(ctx, req.Header)
		}
		req.Header.Set("X-API-Key", c.cfg.APIKey)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "kenarkit")
		return nil
	}
	// reached: an attempt may have reached Divar (an answer other than a
	// refusal, a connection lost after it was made); else a failure is
	// marked dedupe.NotSent.
	reached := false
	failed := func(err error) error {
		if reached {
			return err
		}
		return dedupe.NotSent(err)
	}
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil { // over before this attempt was sent
			return nil, failed(fmt.Errorf("divar: %s: %w", r.op, context.Cause(ctx)))
		}
		rsp, body, err := c.attempt(ctx, send, headers)
		if err != nil && !neverSent(err) {
			reached = true
		}
		if ctx.Err() != nil {
			return nil, failed(fmt.Errorf("divar: %s: %w", r.op, context.Cause(ctx)))
		}
		var (
			retry  bool
			wait   time.Duration
			status int
			fail   error
		)
		switch {
		case err != nil:
			// A connection never made sent nothing; anything later may
			// have reached Divar.
			retry = r.idempotent || neverSent(err)
			fail = fmt.Errorf("divar: %s: %w", r.op, redactErr(err, secrets))
		default:
			now := time.Now()
			if rate := parseRate(rsp.Header, now); rate != (Rate{}) {
				c.mu.Lock()
				c.rate = rate
				c.mu.Unlock()
			}
			if rsp.StatusCode/100 == 2 {
				rsp.Body = io.NopCloser(bytes.NewReader(body))
				return rsp, nil
			}
			e := newAPIError(r.op, rsp.StatusCode, rsp.Header, body, now, secrets)
			e.Attempts = attempt
			// A 4xx is Divar refusing the call, but for a 408 (its
			// timeout, after it may have acted); a 5xx may come after it
			// acted.
			if e.StatusCode >= 500 || e.StatusCode == http.StatusRequestTimeout || e.StatusCode < 400 {
				reached = true
			}
			status, fail, wait = e.StatusCode, e, e.RetryAfter
			retry = e.StatusCode == http.StatusTooManyRequests ||
				(r.idempotent && (e.StatusCode >= 500 || e.StatusCode == http.StatusRequestTimeout))
			if wait > c.cfg.MaxBackoff {
				retry = false // Divar asks for longer than the caller allows
			}
		}
		if !retry || attempt > c.cfg.MaxRetries {
			return nil, failed(fail)
		}
		if wait == 0 {
			wait = c.backoff(attempt)
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			return nil, failed(fail) // the wait would outlast the caller
		}
		if o != nil {
			o.Retrying(status, wait)
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "kenarkit: retrying a call to Divar",
			slog.String("operation", r.op), slog.Int("attempt", attempt), slog.Int("status", status),
			slog.Duration("wait", wait), slog.String("error", fail.Error()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, failed(fmt.Errorf("divar: %s: %w", r.op, context.Cause(ctx)))
		case <-t.C:
		}
	}
}

// attempt sends once, within the per-attempt timeout, and reads the body.
func (c *Client) attempt(ctx context.Context, send func(context.Context, ...kenarapi.RequestEditorFn) (*http.Response, error), headers kenarapi.RequestEditorFn) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	rsp, err := send(ctx, headers)
	if err != nil {
		return nil, nil, err
	}
	defer rsp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(rsp.Body, maxAnswer+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading Divar's answer: %w", err)
	}
	if len(body) > maxAnswer {
		return nil, nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformedAnswer, maxAnswer)
	}
	return rsp, body, nil
}

// backoff is the jittered wait before the retry after attempt: between
// half and all of MinBackoff·2^(attempt-1), at most MaxBackoff.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.MaxBackoff
	if attempt < 32 {
		if e := c.cfg.MinBackoff << (attempt - 1); e > 0 && e < d {
			d = e
		}
	}
	return d/2 + rand.N(d/2+1)
}

// neverSent reports whether err is a connection that was never made, so
// that nothing reached Divar.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// redactErr returns err, or an error of the same text without the
// secrets should it contain one.
func redactErr(err error, secrets []string) error {
	msg := err.Error()
	if clean := cleanSecrets(msg, secrets); clean != msg {
		return errors.New(clean)
	}
	return err
}

func cleanSecrets(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

func notSent(op string, err error) error {
	return dedupe.NotSent(fmt.Errorf("divar: %s: not sent: %w", op, err))
}

func checkPostToken(t string) error { return checkID("token", t, 10) }

// checkID checks a path parameter: 1 to max characters, no white space
// or control character.
func checkID(name, v string, max int) error {
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0:
		return refuse(name, "is empty")
	case n > max:
		return refuse(name, "longer than %d characters", max)
	case !utf8.ValidString(v):
		return refuse(name, "is not valid UTF-8")
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f {
			return refuse(name, "contains white space or a control character")
		}
	}
	return nil
}

// parseAnswer reads a 2xx answer with the generated parser.
func parseAnswer[T any](op string, parse func(*http.Response) (T, error), rsp *http.Response) (T, error) {
	v, err := parse(rsp)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("divar: %s: %w: %v", op, ErrMalformedAnswer, err)
	}
	return v, nil
}

func malformed(op, why string) error {
	return fmt.Errorf("divar: %s: %w: %s", op, ErrMalformedAnswer, why)
}

func decodeBotSent(op string, v *kenarapi.BotMessageSent) (string, error) {
	if v == nil {
		return "", malformed(op, "no JSON object")
	}
	return deref(v.ConversationId), nil
}

func decodeUser(op string, rsp *http.Response) (User, error) {
	v, err := parseAnswer(op, kenarapi.ParseGetUserResponse, rsp)
	if err != nil {
		return User{}, err
	}
	if v.JSON200 == nil {
		return User{}, malformed(op, "no JSON object")
	}
	u := User{ID: deref(v.JSON200.UserId), PhoneNumber: deref(v.JSON200.PhoneNumber)}
	if v.JSON200.PhoneNumbers != nil {
		u.PhoneNumbers = *v.JSON200.PhoneNumbers
	}
	return u, nil
}

func decodePost(op string, rsp *http.Response) (Post, error) {
	v, err := parseAnswer(op, kenarapi.ParseGetPostResponse, rsp)
	if err != nil {
		return Post{}, err
	}
	p := v.JSON200
	if p == nil {
		return Post{}, malformed(op, "no JSON object")
	}
	post := Post{
		Token: deref(p.Token), Category: deref(p.Category), City: deref(p.City), District: deref(p.District),
		State: deref(p.State), ChatEnabled: deref(p.ChatEnabled), IsPhoneHidden: deref(p.IsPhoneHidden),
		SupplierChatAssistantEnabled: deref(p.SupplierChatAssistantEnabled),
		FirstPublishedAt:             deref(p.FirstPublishedAt), LastModifiedAt: deref(p.LastModifiedAt),
	}
	if p.Data != nil {
		post.Data = *p.Data
	}
	if b := p.BusinessData; b != nil {
		post.BusinessName, post.BusinessType = deref(b.BusinessName), deref(b.BusinessType)
	}
	return post, nil
}

func decodeUserPosts(op string, rsp *http.Response) ([]UserPost, error) {
	v, err := parseAnswer(op, kenarapi.ParseListUserPostsResponse, rsp)
	if err != nil {
		return nil, err
	}
	if v.JSON200 == nil {
		return nil, malformed(op, "no JSON object")
	}
	var posts []UserPost
	if v.JSON200.Posts != nil {
		for _, p := range *v.JSON200.Posts {
			up := UserPost{Token: deref(p.Token), Title: deref(p.Title), Category: deref(p.Category), IsPhoneHidden: deref(p.IsPhoneHidden)}
			if p.Images != nil {
				up.Images = *p.Images
			}
			posts = append(posts, up)
		}
	}
	return posts, nil
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// refuse returns a path parameter's error, which is [sdk.ErrInvalidAnswer].
func refuse(name, format string, args ...any) error {
	return &sdk.InvalidAnswerError{Detail: name + ": " + fmt.Sprintf(format, args...)}
}
