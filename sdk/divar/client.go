package divar

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kenarkit/kenarkit/gen/divarapi"
	"github.com/kenarkit/kenarkit/internal/jsonscan"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/widget"
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
	// (divartest.NewAPI). A path in it is a prefix every operation's path
	// goes under, whether or not it ends in '/' (BaseURL
	// "https://proxy.example/divar" sends to
	// https://proxy.example/divar/v2/open-platform/…); a query or fragment
	// in it is dropped.
	BaseURL string
	// HTTPClient sends the requests; the default keeps up to 32 idle
	// connections to Divar for reuse. Its Timeout, if any, also bounds
	// each attempt. Redirects are not followed (Divar's API answers none,
	// and one would carry the API key wherever it points): a 3xx answer is
	// an [*APIError], unless the client's CheckRedirect follows it. A
	// client without a Jar or a CheckRedirect (and a BaseURL without a
	// user) is used through its Transport alone: http.Client.Do's
	// bookkeeping for redirects was a tenth of a send's instructions.
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
	// UploadURL is Divar's upload host for chat media: DefaultUploadURL,
	// or a fake's in tests.
	UploadURL string
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
	UploadURL:  DefaultUploadURL,
	Timeout:    10 * time.Second,
	MaxRetries: 3,
	MinBackoff: 200 * time.Millisecond,
	MaxBackoff: 20 * time.Second,
}

// maxAnswer bounds the answer read from Divar.
const maxAnswer = 4 << 20

// Client calls Divar's open-platform API for an add-on: post, user and
// business add-ons, chat and chat-bot messages and chat media, event
// subscriptions, users, posts and their buttons, stats and semantic data;
// [Client.Do] sends any other request. Each method names its operationId
// in Divar's description (api/divar/openapi-v3.json with kenarkit's
// overlay, docs/DIVAR-API.md), which says once the permission the API key
// needs for it (x-kenarkit-api-key-permissions) and the OAuth scopes the
// user's token may hold for it (security). Build one with [NewClient] and
// share it; it is safe for concurrent use.
//
// Calls made for a user take the user's OAuth token as an
// oauth2.TokenSource (from the add-on's oauth2.Config), sent as a bearer
// token. Every request is checked against the description and Divar's
// documented limits before it is sent, and refused naming each failing
// field ([sdk.ErrInvalidAnswer]); Divar's refusals are [*APIError]s.
type Client struct {
	cfg Config
	// transport sends the requests when cfg.HTTPClient needs nothing of
	// its Do (NewClient); nil: cfg.HTTPClient.Do.
	transport http.RoundTripper
	base      string   // the path of cfg.BaseURL, stripped before a request is checked
	apiKey    []string // the X-Api-Key header's value
	// server is cfg.BaseURL as a directory: without its query and
	// fragment, ending in '/', so that an operation's path resolves under
	// the base's whole path, prefix included ("https://proxy/divar" and
	// "https://proxy/divar/" both send to https://proxy/divar/v2/…).
	// gen/divarapi's builders are given server; newRequest puts the same
	// URL together from baseURL (server parsed), host (its Host as
	// http.NewRequest sets it) and dir (its escaped path without the last
	// '/').
	server    string
	baseURL   *url.URL
	host, dir string
	log       *slog.Logger
	mu        sync.Mutex
	rate      Rate
	// deadlines bounds each attempt by cfg.Timeout.
	deadlines *deadlines

	media mediaCache // Assets_GetMediaUploadURLs, kept for a day
	now   func() time.Time
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
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("divar: the Divar API's base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if _, err := description(); err != nil {
		return nil, err
	}
	if cfg.UploadURL == "" {
		cfg.UploadURL = d.UploadURL
	}
	cfg.UploadURL = strings.TrimRight(cfg.UploadURL, "/")
	if u, err := url.Parse(cfg.UploadURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("divar: the upload URL %q is not an absolute http(s) URL", cfg.UploadURL)
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
	var transport http.RoundTripper
	switch hc := cfg.HTTPClient; {
	case hc.Jar == nil && hc.CheckRedirect == nil && u.User == nil:
		// Nothing of Do's is needed: no cookies, no redirects, no
		// credentials in the URL; its Timeout is the attempt's.
		if transport = hc.Transport; transport == nil {
			transport = http.DefaultTransport
		}
		if hc.Timeout > 0 && hc.Timeout < cfg.Timeout {
			cfg.Timeout = hc.Timeout
		}
	case hc.CheckRedirect == nil:
		noRedirects := *hc
		noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		cfg.HTTPClient = &noRedirects
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", false
	if !strings.HasSuffix(u.Path, "/") {
		// A base without its last '/' is a directory all the same: the
		// URL a reference resolves against would drop its last segment.
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	server := u.String()
	host, err := http.NewRequest(http.MethodGet, server, nil)
	if err != nil {
		return nil, fmt.Errorf("divar: the Divar API's base URL %q: %w", cfg.BaseURL, err)
	}
	return &Client{cfg: cfg, transport: transport, base: u.Path, apiKey: []string{cfg.APIKey}, server: server, baseURL: u, host: host.Host,
		dir: strings.TrimSuffix(u.EscapedPath(), "/"), log: log, now: time.Now, deadlines: newDeadlines(cfg.Timeout)}, nil
}

// Rate returns the rate-limit state of Divar's last answer that reported
// one; a zero Rate when none did (Divar documents no such headers).
func (c *Client) Rate() Rate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate
}

// CreatePostAddon attaches a to the post, replacing the app's earlier
// add-on on it (operation Addons_CreatePostAddonV2, with a user's token).
// Divar attaches it shortly after answering. As it replaces, it is retried
// like an idempotent call.
func (c *Client) CreatePostAddon(ctx context.Context, user oauth2.TokenSource, postToken string, a widget.PostAddon) error {
	const op = "Addons_CreatePostAddonV2"
	if err := errors.Join(checkPostToken(postToken), a.Validate()); err != nil {
		return notSent(op, err)
	}
	_, err := c.sendJSON(ctx, request{op: op, idempotent: true, user: user, params: []string{postToken}}, &a)
	return err
}

// DeletePostAddons removes every add-on the app attached to the post
// (operation Addons_DeletePostAddon, no user token).
func (c *Client) DeletePostAddons(ctx context.Context, postToken string) error {
	const op = "Addons_DeletePostAddon"
	if err := checkPostToken(postToken); err != nil {
		return notSent(op, err)
	}
	_, err := c.send(ctx, request{op: op, idempotent: true, params: []string{postToken}})
	return err
}

// SendMessage sends m into the conversation as the user who granted the
// token (operation ChatAPI_ConversationSendMessage). A message carries a
// text or a media token ([Client.UploadChatMedia]), not both. It is never
// sent twice: only a 429 or a connection never made is retried, and within
// an [event.Mux] handler with a deduper it is sent at most once per
// event, however often Divar delivers it (dedupe.Once). A recipient who
// blocked the sender gives [ErrRecipientBlocked]. An error after which
// nothing can have reached Divar is dedupe.ErrNotSent (errors.Is).
func (c *Client) SendMessage(ctx context.Context, user oauth2.TokenSource, conversationID string, m sdk.ConversationMessage) error {
	const op = "ChatAPI_ConversationSendMessage"
	if err := errors.Join(checkID("conversation_id", conversationID, 64), m.Validate()); err != nil {
		return notSent(op, err)
	}
	_, err := c.sendJSON(ctx, request{op: op, user: user, irreversible: true, params: []string{conversationID}}, &m)
	return err
}

// SendBotMessage sends m from the app's chat bot into an existing bot
// conversation, such as the conversation.id of a NEW_CHATBOT_MESSAGE event
// (operation ChatAPI_ChatBotSendMessage). It needs only the API key, with
// the permission CHAT_BOT_SEND_MESSAGE (docs/chat/chatbot_conversations.md;
// the overlay corrects the description, which also lists OAuth). It
// returns the conversation's id as Divar answers it. Never sent twice (see
// [Client.SendMessage]).
func (c *Client) SendBotMessage(ctx context.Context, conversationID string, m sdk.BotMessage) (string, error) {
	const op = "ChatAPI_ChatBotSendMessage"
	if err := errors.Join(checkID("conversation_id", conversationID, 64), m.Validate()); err != nil {
		return "", notSent(op, err)
	}
	m.UserID = ""
	v, err := sendJSONAs[divarapi.ChatapiChatBotSendMessageResponse](ctx, c, request{op: op, irreversible: true, params: []string{conversationID}}, &m)
	return deref(v.ConversationId), err
}

// SendBotMessageToUser sends m from the app's chat bot to the user, by the
// user id the app got from [Client.User], starting the bot's conversation
// if there is none (operation ChatAPI_ChatBotSendMessage2). It needs the
// user's own OAuth token with CHAT_BOT_USER_MESSAGE_SEND: Divar delivers it
// only to the user who granted the token. It returns the conversation's
// id. Never sent twice (see [Client.SendMessage]).
func (c *Client) SendBotMessageToUser(ctx context.Context, user oauth2.TokenSource, userID string, m sdk.BotMessage) (string, error) {
	const op = "ChatAPI_ChatBotSendMessage2"
	if err := errors.Join(checkID("user_id", userID, 256), m.Validate()); err != nil {
		return "", notSent(op, err)
	}
	m.UserID = ""
	v, err := sendJSONAs[divarapi.ChatapiChatBotSendMessageResponse](ctx, c, request{op: op, user: user, irreversible: true, params: []string{userID}}, &m)
	return deref(v.ConversationId), err
}

// Subscribe asks Divar to deliver events to the add-on's events URL
// (operation Events_RegisterEventSubscription). The subscription lasts as
// long as the user's token: subscribe again after a refresh. Divar does not
// say whether subscribing twice makes two subscriptions, so, like a
// message, it is retried only after a 429 or a connection never made.
func (c *Client) Subscribe(ctx context.Context, user oauth2.TokenSource, s sdk.EventSubscription) error {
	const op = "Events_RegisterEventSubscription"
	if err := s.Validate(); err != nil {
		return notSent(op, err)
	}
	_, err := c.sendJSON(ctx, request{op: op, user: user}, &s)
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

// User returns the user who granted the token (operation Finder_GetUser).
func (c *Client) User(ctx context.Context, user oauth2.TokenSource) (User, error) {
	v, err := get[divarapi.FinderUser](ctx, c, "Finder_GetUser", user)
	u := User{ID: deref(v.UserId), PhoneNumber: deref(v.PhoneNumber)}
	if v.PhoneNumbers != nil {
		u.PhoneNumbers = *v.PhoneNumbers
	}
	return u, err
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

// Post returns a post (operation Finder_GetPost, no user token). A post
// that does not exist gives [ErrNotFound].
func (c *Client) Post(ctx context.Context, postToken string) (Post, error) {
	const op = "Finder_GetPost"
	if err := checkPostToken(postToken); err != nil {
		return Post{}, notSent(op, err)
	}
	p, err := get[divarapi.FinderGetPostResponse](ctx, c, op, nil, postToken)
	post := Post{
		Token: deref(p.Token), Category: deref(p.Category), City: deref(p.City), District: deref(p.District),
		State: string(deref(p.State)), ChatEnabled: deref(p.ChatEnabled), IsPhoneHidden: deref(p.IsPhoneHidden),
		SupplierChatAssistantEnabled: deref(p.SupplierChatAssistantEnabled),
		FirstPublishedAt:             deref(p.FirstPublishedAt), LastModifiedAt: deref(p.LastModifiedAt),
	}
	if p.Data != nil {
		post.Data = *p.Data
	}
	if b := p.BusinessData; b != nil {
		post.BusinessName, post.BusinessType = deref(b.BusinessName), string(deref(b.BusinessType))
	}
	return post, err
}

// UserPost is one of the user's posts.
type UserPost struct {
	Token, Title, Category string
	Images                 []string
	IsPhoneHidden          bool
}

// UserPosts returns the posts of the user who granted the token (operation
// Finder_GetUserPosts).
func (c *Client) UserPosts(ctx context.Context, user oauth2.TokenSource) ([]UserPost, error) {
	v, err := get[divarapi.FinderGetUserPostsResponse](ctx, c, "Finder_GetUserPosts", user)
	var posts []UserPost
	if v.Posts != nil {
		for _, p := range *v.Posts {
			up := UserPost{Token: deref(p.Token), Title: deref(p.Title), Category: deref(p.Category), IsPhoneHidden: deref(p.IsPhoneHidden)}
			if p.Images != nil {
				up.Images = *p.Images
			}
			posts = append(posts, up)
		}
	}
	return posts, err
}

// request is one call to Divar.
type request struct {
	op         string
	idempotent bool // sending it twice leaves what sending it once does
	// irreversible: it cannot be taken back (a message). Within an event's
	// handler it is made at most once per event (dedupe.Once).
	irreversible bool
	// user's token is sent as a bearer token; it is required when every
	// security requirement of the operation in Divar's description (with
	// the overlay) has OAuth, else sent only when given.
	user oauth2.TokenSource
	// needsUser requires the user's token even where the description
	// does not.
	needsUser bool
	// build makes the request afresh for each attempt, its body included;
	// nil: the description's path of op with params (newRequest).
	build  func() (*http.Request, error)
	params []string
	body   []byte // the JSON body build sends, checked against the description
	// foreign: not Divar's open-platform API (its upload host): neither
	// checked against the description nor given the API key.
	foreign bool
	bearer  string // foreign: the bearer token to send
}

const jsonType = "application/json"

// The values of the headers every request carries, made once. No Accept:
// Divar's reference asks for none, and it answers JSON without one.
var (
	jsonTypes = []string{jsonType}
	userAgent = []string{"kenarkit"}
)

// sendJSON marshals in and sends it; it returns Divar's 2xx answer.
func (c *Client) sendJSON(ctx context.Context, r request, in any) ([]byte, error) {
	body, err := marshal(in)
	if err != nil {
		return nil, notSent(r.op, err)
	}
	r.body = body
	return c.send(ctx, r)
}

// marshal is the JSON of in: the vocabulary's exact bytes for the sdk's
// types, encoding/json's for the generated models. The calls pass the
// sdk's values by pointer, which json v2 then reads without copying them.
func marshal(in any) ([]byte, error) {
	switch in.(type) {
	case *widget.PostAddon, *sdk.ConversationMessage, *sdk.BotMessage, *sdk.EventSubscription,
		widget.PostAddon, sdk.ConversationMessage, sdk.BotMessage, sdk.EventSubscription:
		return sdk.MarshalAnswer(in)
	}
	return stdjson.Marshal(in)
}

// sendJSONAs is sendJSON decoding the answer as T.
func sendJSONAs[T any](ctx context.Context, c *Client, r request, in any) (T, error) {
	body, err := c.sendJSON(ctx, r, in)
	return decode[T](r.op, body, err)
}

// get sends an idempotent request without a body, params in its path, and
// decodes the answer.
func get[T any](ctx context.Context, c *Client, op string, user oauth2.TokenSource, params ...string) (T, error) {
	body, err := c.send(ctx, request{op: op, idempotent: true, user: user, params: params})
	return decode[T](op, body, err)
}

// build makes r's request afresh: with r.build, else newRequest.
func (c *Client) build(r *request) (*http.Request, error) {
	if r.build != nil {
		return r.build()
	}
	return c.newRequest(r)
}

// newRequest is r's request when r has no build of its own: r's operation
// in Divar's description, r.params in its path in order, each escaped
// as gen/divarapi escapes a path parameter (url.PathEscape), resolved
// against the base URL as gen/divarapi resolves its paths, and r.body as
// JSON. The URL is put together, not parsed.
func (c *Client) newRequest(r *request) (*http.Request, error) {
	d := operationByID(r.op)
	if d == nil || !d.compiled {
		return nil, fmt.Errorf("divar: %s: not an operation of Divar's description with its parameters in the path", r.op)
	}
	if len(r.params) != len(d.names) {
		return nil, fmt.Errorf("divar: %s: %d path parameters, want %d", r.op, len(r.params), len(d.names))
	}
	var b strings.Builder
	n := len(c.dir)
	for _, p := range d.pieces {
		n += len(p)
	}
	for _, p := range r.params {
		n += 3 * len(p)
	}
	b.Grow(n)
	b.WriteString(c.dir)
	for i, piece := range d.pieces {
		if i > 0 {
			p := r.params[i-1]
			if p == "." || p == ".." {
				return nil, refuse(d.names[i-1], "is a dot segment")
			}
			if unreserved(p) {
				b.WriteString(p) // what url.PathEscape would return
			} else {
				b.WriteString(url.PathEscape(p))
			}
		}
		b.WriteString(piece)
	}
	raw := b.String()
	u := *c.baseURL
	// Without a '%', nothing to unescape (the usual ids), and the path is
	// its own escaping (what url.PathEscape leaves, url.URL's EscapedPath
	// leaves too): no RawPath for net/http to check on every request.
	u.Path, u.RawPath = raw, ""
	if strings.IndexByte(raw, '%') >= 0 {
		var err error
		if u.Path, err = url.PathUnescape(raw); err != nil {
			return nil, err
		}
		u.RawPath = raw
	}
	req := &http.Request{
		Method: d.method, URL: &u, Host: c.host,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header, 6),
	}
	// io.NopCloser of a *bytes.Reader, not a type of our own: net/http
	// knows it is in memory, and writes the headers and the body at once.
	if body := r.body; body != nil {
		req.Header["Content-Type"] = jsonTypes
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return req, nil
}

// unreserved reports whether s has only RFC 3986's unreserved characters
// (letters, digits, '-', '.', '_', '~'), which url.PathEscape leaves as
// they are: the usual ids, looked at in one pass instead of its two.
func unreserved(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// decode reads Divar's 2xx answer as T; an empty answer is T's zero.
func decode[T any](op string, body []byte, err error) (T, error) {
	var v T
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return v, err
	}
	if err := stdjson.Unmarshal(body, &v); err != nil {
		return v, malformed(op, err.Error())
	}
	return v, nil
}

// send sends a call, retrying what is safe, and returns Divar's 2xx
// answer, read whole (at most maxAnswer bytes). Any other answer is an
// *APIError. An error after which nothing can have reached Divar is marked
// dedupe.ErrNotSent. An irreversible call is made through dedupe.Once.
func (c *Client) send(ctx context.Context, r request) ([]byte, error) {
	if !r.irreversible {
		return c.call(ctx, r)
	}
	var body []byte
	err := dedupe.Once(ctx, func(ctx context.Context) (err error) {
		body, err = c.call(ctx, r)
		return err
	})
	return body, err
}

// call is send without dedupe.Once, observed when Config.Observer is set.
func (c *Client) call(ctx context.Context, r request) ([]byte, error) {
	var last int // the status of Divar's last answer, 0 when none came
	if c.cfg.Observer == nil {
		return c.attempts(ctx, r, nil, &last)
	}
	ctx, o := c.cfg.Observer.ObserveCall(ctx, r.op)
	body, err := c.attempts(ctx, r, o, &last)
	o.Done(last, err)
	return body, err
}

// attempts makes the call's attempts, telling o (when not nil) of each
// attempt and retry, and keeping in last the status of Divar's last answer.
func (c *Client) attempts(ctx context.Context, r request, o CallObserver, last *int) ([]byte, error) {
	held := [3]string{c.cfg.APIKey, r.bearer} // and the user's token
	secrets := held[:2]
	first, err := c.build(&r)
	if err != nil {
		return nil, notSent(r.op, err)
	}
	needsUser := r.needsUser
	if !r.foreign {
		// A typed call knows its operation; any other is routed.
		var described bool
		if d := operationByID(r.op); d != nil {
			described, err = d.needsUser, d.check(first, c.base, r.body, nil)
		} else {
			described, err = checkRequest(first, c.base, r.body)
		}
		if err != nil {
			return nil, notSent(r.op, err)
		}
		needsUser = needsUser || described
	}
	bearer := r.bearer
	if r.user != nil || needsUser {
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
	var authorization []string
	if bearer != "" {
		authorization = []string{"Bearer " + bearer}
	}
	build := func() (*http.Request, error) {
		req := first // the request checked is the first one sent
		if req == nil {
			var err error
			if req, err = c.build(&r); err != nil {
				return nil, err
			}
		}
		first = nil
		if o != nil {
			o.Sending(ctx, req.Header)
		}
		// Canonical names, values made once (a RoundTripper does not
		// modify the request).
		if !r.foreign {
			req.Header["X-Api-Key"] = c.apiKey
		}
		if authorization != nil {
			req.Header["Authorization"] = authorization
		}
		req.Header["User-Agent"] = userAgent
		return req, nil
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
		rsp, body, err := c.attempt(ctx, build)
		if rsp != nil {
			*last = rsp.StatusCode
		}
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
			if neverSent(err) {
				fail = fmt.Errorf("divar: %s: never sent, no connection to Divar: %w", r.op, redactErr(err, secrets))
			}
		default:
			now := time.Now()
			if rate := parseRate(rsp.Header, now); rate != (Rate{}) {
				c.mu.Lock()
				c.rate = rate
				c.mu.Unlock()
			}
			if rsp.StatusCode/100 == 2 {
				return body, nil
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
		msg := "kenarkit: retrying a call to Divar"
		if err != nil && neverSent(err) {
			msg = "kenarkit: a call to Divar was never sent (no connection): trying again"
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, msg,
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
func (c *Client) attempt(ctx context.Context, build func() (*http.Request, error)) (*http.Response, []byte, error) {
	ctx, a := c.deadlines.start(ctx)
	defer c.deadlines.end(a)
	req, err := build()
	if err != nil {
		return nil, nil, err
	}
	rsp, err := c.do(req.WithContext(ctx))
	if err != nil {
		return nil, nil, timedOut(ctx, err)
	}
	defer rsp.Body.Close()
	body, err := readAnswer(rsp.Body, rsp.ContentLength)
	if err != nil {
		return nil, nil, fmt.Errorf("reading Divar's answer: %w", timedOut(ctx, err))
	}
	if len(body) > maxAnswer {
		return nil, nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformedAnswer, maxAnswer)
	}
	return rsp, body, nil
}

// timedOut returns err, or context.DeadlineExceeded when err is a
// context.Canceled and the attempt's context ctx is past its deadline: a
// context a RoundTripper derives from the attempt's says Canceled then (its
// cause says DeadlineExceeded), where one derived from a
// context.WithTimeout said DeadlineExceeded, and the call is to say that
// its time ran out rather than that it was cancelled.
func timedOut(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the attempt's time ran out: %w", context.DeadlineExceeded)
	}
	return err
}

// readAnswer reads r to its end, or to its first byte past maxAnswer, into
// one buffer sized by the answer's length when it is given (size, -1
// when not): io.ReadAll of an io.LimitReader allocated the limit and a
// first 512 bytes whatever the length. A length that is wrong (a
// RoundTripper's answer with none set, 0) costs a buffer grown as
// io.ReadAll grows it.
func readAnswer(r io.Reader, size int64) ([]byte, error) {
	const least = 512
	n := int64(least)
	if size > 0 && size <= maxAnswer {
		n = size + 1 // the last read, which finds the end, has room
	}
	b := make([]byte, 0, n)
	for len(b) <= maxAnswer {
		if len(b) == cap(b) {
			b = slices.Grow(b, min(max(cap(b), least), maxAnswer+1-len(b)))
		}
		m, err := r.Read(b[len(b):min(cap(b), maxAnswer+1)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// do sends req through c.transport, or cfg.HTTPClient.Do without one;
// a RoundTripper's answer is held to what Do would give.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	if c.transport == nil {
		return c.cfg.HTTPClient.Do(req)
	}
	rsp, err := c.transport.RoundTrip(req)
	switch {
	case err != nil:
		return nil, err
	case rsp == nil:
		return nil, errors.New("the HTTP client's RoundTripper returned neither an answer nor an error")
	case rsp.Body == nil:
		rsp.Body = http.NoBody
	}
	return rsp, nil
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

// notSent is a call the client refused to send: err says why.
func notSent(op string, err error) error {
	return dedupe.NotSent(fmt.Errorf("divar: %s: not sent: %w", op, requestRefused{err}))
}

// requestRefused words the validation of a call the client refused to
// send as what it is, a request Divar would refuse, not an answer. It is
// still [sdk.ErrInvalidAnswer].
type requestRefused struct{ err error }

func (e requestRefused) Error() string {
	return strings.ReplaceAll(e.err.Error(), sdk.ErrInvalidAnswer.Error(), "a request Divar would refuse")
}

func (e requestRefused) Unwrap() error { return e.err }

func checkPostToken(t string) error { return checkID("token", t, 10) }

// checkID checks a path parameter: 1 to max characters, no white space
// or control character.
func checkID(name, v string, max int) error {
	// One pass: its characters counted as utf8.RuneCountInString does,
	// eight at a time while they are printable ASCII (the usual ids).
	n, valid, space := 0, true, false
	i := 0
	for ; i+8 <= len(v) && printable8(v[i:i+8]); i += 8 {
		n += 8
	}
	for i < len(v) {
		n++
		if c := v[i]; c < utf8.RuneSelf {
			space = space || c <= ' ' || c == 0x7f
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			valid = false
		}
		i += size
	}
	switch {
	case n == 0:
		return refuse(name, "is empty")
	case n > max:
		return refuse(name, "longer than %d characters", max)
	case !valid:
		return refuse(name, "is not valid UTF-8")
	case space:
		return refuse(name, "contains white space or a control character")
	}
	return nil
}

// printable8 reports whether the eight bytes of s are all printable
// ASCII: none below '!', none 0x7f (DEL), none past ASCII. SWAR: a byte
// below 0x21 borrows, setting its high bit (and maybe the next bytes',
// which only matters once one is marked already); DEL is the byte that
// x^0x7f makes zero.
func printable8(s string) bool {
	const ones = jsonscan.Ones
	x := jsonscan.Word(s)
	del := x ^ 0x7f*ones
	return (x|(x-0x21*ones)|((del-ones)&^del))&jsonscan.Highs == 0
}

func malformed(op, why string) error {
	return fmt.Errorf("divar: %s: %w: %s", op, ErrMalformedAnswer, why)
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
