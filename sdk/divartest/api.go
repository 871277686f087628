package divartest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/gen/kenarapi"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divar"
)

// APIKey is the API key a fake [API] accepts unless told another with
// [API.SetAPIKey].
const APIKey = "divartest-api-key"

// API plays Divar's open-platform API in a test: an httptest server on
// loopback that checks each call as Divar does (method and path, X-API-Key,
// the permission the key needs, the user's bearer token and the OAuth scope
// the operation needs, the body against Divar's schema and limits, button
// rows) and refuses the way Divar does, with its status and a
// {"code":…,"message":…} body whose message says what Divar would do.
// What it accepts is recorded for assertions. Make one with [NewAPI]; point
// divar.Config.BaseURL at [API.URL]. It is safe for concurrent use.
//
//	api := divartest.NewAPI(t)
//	api.Token("tok", "POST_ADDON_CREATE.gZd7omnS")
//	client, _ := divar.NewClient(divar.Config{APIKey: divartest.APIKey, BaseURL: api.URL()})
//	err := client.CreatePostAddon(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok"}), "gZd7omnS", addon)
//	// api.PostAddons("gZd7omnS") holds what Divar received
type API struct {
	tb     testing.TB
	srv    *httptest.Server
	router routers.Router

	mu            sync.Mutex
	key           string
	denied        map[string]bool       // permissions not granted to the key
	tokens        map[string][]string   // access token → scopes
	oauth         *OAuth                // trusted for the tokens it issued; nil: none
	users         map[string]divar.User // access token → user
	posts         map[string]apiPost
	conversations map[string]string // conversation id → post token
	faults        []Fault
	calls         []Call
	addons        map[string][]sdk.PostAddon
	current       map[string]*sdk.PostAddon
	messages      map[string][]sdk.ConversationMessage
	bot           map[string][]sdk.BotMessage
	subs          []Subscription
	rate          [2]int // limit, remaining reported in X-RateLimit-*; 0 limit: none
	pay           *payments
}

type apiPost struct {
	owner string // access token of the post's owner
	post  divar.Post
}

// Call is one request the fake API answered.
type Call struct {
	Operation string // the operationId in api/kenar-api.yaml, "" for no operation
	Method    string
	Path      string
	Status    int
}

// Subscription is an event subscription the fake API accepted, with the
// token it was made with (it lasts as long as that token, at Divar).
type Subscription struct {
	Token string
	sdk.EventSubscription
}

// Fault is an answer the fake API gives instead of doing the call: a
// status with Divar's error body, or a delay before answering normally.
// Build one with [TooManyRequests], [RecipientBlocked], [ServerError] or
// [Slow].
type Fault struct {
	Status     int
	Code       int
	Message    string
	RetryAfter string        // the Retry-After header, if any
	Delay      time.Duration // wait this long (or until the caller gives up) first
	Operation  string        // only calls of this operationId; "" for any
	Lose       bool          // do the call, then close the connection unanswered ([LostAnswer])
}

// TooManyRequests is Divar's 429, with Retry-After in whole seconds when
// retryAfter is positive.
func TooManyRequests(retryAfter time.Duration) Fault {
	f := Fault{Status: http.StatusTooManyRequests, Code: 8, Message: "rate limit exceeded"}
	if retryAfter > 0 {
		f.RetryAfter = strconv.Itoa(int((retryAfter + time.Second - 1) / time.Second))
	}
	return f
}

// RecipientBlocked is Divar's 412 code 9 to a chat message whose recipient
// blocked the sender (kenar-docs docs/chat/users_conversations.md).
func RecipientBlocked() Fault {
	return Fault{Status: http.StatusPreconditionFailed, Code: 9, Message: "message delivery failed due to recipient's restriction"}
}

// ServerError is a failure of Divar's own: status 5xx.
func ServerError(status int) Fault {
	return Fault{Status: status, Code: 13, Message: "internal error"}
}

// Slow makes Divar take d before answering normally (or stop when the
// caller gives up).
func Slow(d time.Duration) Fault { return Fault{Delay: d} }

// On returns f limited to calls of the operationId op ("sendConversationMessage").
func (f Fault) On(op string) Fault {
	f.Operation = op
	return f
}

// NewAPI starts a fake Divar API for the test, closed when the test ends.
// The key [APIKey] holds every permission; give users' tokens with
// [API.Token].
func NewAPI(tb testing.TB) *API {
	tb.Helper()
	doc, err := kenarapi.GetSpec()
	if err != nil {
		tb.Fatalf("divartest: loading api/kenar-api.yaml: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		tb.Fatalf("divartest: api/kenar-api.yaml: %v", err)
	}
	a := &API{
		tb: tb, router: router, key: APIKey,
		denied: map[string]bool{}, tokens: map[string][]string{}, users: map[string]divar.User{},
		posts: map[string]apiPost{}, conversations: map[string]string{},
		addons: map[string][]sdk.PostAddon{}, current: map[string]*sdk.PostAddon{},
		messages: map[string][]sdk.ConversationMessage{}, bot: map[string][]sdk.BotMessage{},
		pay: newPayments(),
	}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	tb.Cleanup(a.srv.Close)
	return a
}

// URL is the fake API's base URL, for divar.Config.BaseURL.
func (a *API) URL() string { return a.srv.URL }

// Server is the underlying httptest server (to watch connections through
// Config.ConnState, say).
func (a *API) Server() *httptest.Server { return a.srv }

// SetAPIKey makes key the app's API key instead of [APIKey].
func (a *API) SetAPIKey(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.key = key
}

// Deny takes a permission from the app's API key, as the Kenar panel does:
// ADD_ON_CREATE, ADD_ON_DELETE, CHAT_SEND_MESSAGE_OAUTH,
// CHAT_BOT_SEND_MESSAGE, EVENTS_REGISTER_SUBSCRIPTION, USER_RETRIEVE,
// GET_POST.
func (a *API) Deny(permission string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.denied[permission] = true
}

// Token makes accessToken a user's valid token holding scopes, as granted
// through OAuth: "POST_ADDON_CREATE.gZd7omnS", "USER_ID", ….
func (a *API) Token(accessToken string, scopes ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tokens[accessToken] = append([]string(nil), scopes...)
}

// UseOAuth makes the fake API accept the access tokens o issues, with
// the scopes o granted, as Divar's API accepts its OAuth server's: a
// token o refreshed, expired or revoked is refused. getUser answers such
// a token with the user who consented ([OAuth.SetUser]). Tokens given
// with [API.Token] keep working beside them.
//
//	api.UseOAuth(oauth) // the add-on's consent flow now yields tokens the API takes
func (a *API) UseOAuth(o *OAuth) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.oauth = o
}

// Revoke makes accessToken invalid, as when the user revokes the access
// or the token expires.
func (a *API) Revoke(accessToken string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.tokens, accessToken)
}

// SetUser makes u the user behind accessToken, for getUser.
func (a *API) SetUser(accessToken string, u divar.User) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.users[accessToken] = u
}

// AddPost publishes p, owned by the user of ownerToken (for listUserPosts,
// which takes the title from p.Data["title"]; "" for nobody's).
func (a *API) AddPost(ownerToken string, p divar.Post) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.posts[p.Token] = apiPost{owner: ownerToken, post: p}
}

// Conversation says the conversation is about the post, for the scope
// CHAT_POST_CONVERSATIONS_MESSAGE_SEND.<post_token>.
func (a *API) Conversation(conversationID, postToken string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.conversations[conversationID] = postToken
}

// ReportRate makes every answer carry X-RateLimit-Limit and
// X-RateLimit-Remaining, which Divar does not document (divar.Client.Rate
// reads them should Divar send them).
func (a *API) ReportRate(limit, remaining int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rate = [2]int{limit, remaining}
}

// FailNext makes the next n calls (of f.Operation's, if set) answer f.
func (a *API) FailNext(n int, f Fault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		a.faults = append(a.faults, f)
	}
}

// Calls returns every call answered, in order.
func (a *API) Calls() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Call(nil), a.calls...)
}

// CallsTo counts the calls of operationId op.
func (a *API) CallsTo(op string) int {
	n := 0
	for _, c := range a.Calls() {
		if c.Operation == op {
			n++
		}
	}
	return n
}

// PostAddons returns every add-on accepted for the post, in order (the
// last replaced the others at Divar), until it was deleted.
func (a *API) PostAddons(postToken string) []sdk.PostAddon {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]sdk.PostAddon(nil), a.addons[postToken]...)
}

// Messages returns the messages accepted into the conversation, in order.
func (a *API) Messages(conversationID string) []sdk.ConversationMessage {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]sdk.ConversationMessage(nil), a.messages[conversationID]...)
}

// BotMessages returns the chat-bot messages accepted into the bot
// conversation, in order. Messages sent to a user go to the conversation
// [BotConversation] names.
func (a *API) BotMessages(conversationID string) []sdk.BotMessage {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]sdk.BotMessage(nil), a.bot[conversationID]...)
}

// Client returns a client of Divar's API that calls a: cfg, with a's URL
// and, unless cfg sets them, its [APIKey] and backoffs of a few
// milliseconds, so that retries do not slow the test.
func (a *API) Client(cfg divar.Config) (*divar.Client, error) {
	if cfg.APIKey == "" {
		cfg.APIKey = APIKey
	}
	cfg.BaseURL = a.URL()
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Millisecond
	}
	return divar.NewClient(cfg)
}

// BotConversation is the id of the fake's bot conversation with a user.
func BotConversation(userID string) string { return "bot-" + userID }

// Subscriptions returns the event subscriptions accepted, in order.
func (a *API) Subscriptions() []Subscription {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Subscription(nil), a.subs...)
}

// apiOp is what divartest plays of an operation; what Divar requires of
// it (permission, scopes) is the spec's ([needOf]).
type apiOp func(a *API, c *call) (any, *divarError)

// need is what Divar requires of an operation, as api/kenar-api.yaml says
// once for kenarkit: x-kenar-permission, x-kenar-scopes, x-kenar-token.
type need struct {
	permission string
	// scopes accepted, any one; "NAME.{param}" binds to a path parameter
	// or, with "{post}", to the conversation's post. nil: no token needed.
	scopes   []string
	optional bool // a token is sent when there is one, never required
}

func needOf(op *openapi3.Operation) need {
	if n, ok := divarNeed(op); ok {
		return n
	}
	var n need
	n.permission, _ = op.Extensions["x-kenar-permission"].(string)
	if list, ok := op.Extensions["x-kenar-scopes"].([]any); ok {
		n.scopes = []string{}
		for _, s := range list {
			if s, ok := s.(string); ok {
				n.scopes = append(n.scopes, s)
			}
		}
	}
	n.optional = op.Extensions["x-kenar-token"] == "optional"
	return n
}

type call struct {
	params map[string]string
	query  url.Values
	token  string
	body   []byte
}

var apiOps = map[string]apiOp{
	"createPostAddon": (*API).createPostAddon,
	"deletePostAddons": func(a *API, c *call) (any, *divarError) {
		delete(a.addons, c.params["token"])
		return struct{}{}, nil
	},
	"sendConversationMessage": (*API).sendMessage,
	"sendBotMessage":          (*API).sendBot,
	"sendBotMessageToUser":    (*API).sendBot,
	"createEventSubscription": (*API).subscribe,
	"getUser":                 (*API).getUser,
	"getPost":                 (*API).getPost,
	"listUserPosts":           (*API).listUserPosts,
}

// divarError is Divar's refusal: a status and a Google RPC status body.
type divarError struct {
	status     int
	code       int
	message    string
	retryAfter string
}

func refusal(status, code int, format string, args ...any) *divarError {
	return &divarError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	opID, answer, refused := a.handle(r, body)
	status := http.StatusOK
	var out []byte
	var retryAfter string
	if refused != nil {
		status = refused.status
		out, _ = json.Marshal(map[string]any{"code": refused.code, "message": refused.message, "details": []any{}}, json.Deterministic(true))
		if refused.status == http.StatusTooManyRequests {
			retryAfter = refused.retryAfter
		}
		a.tb.Logf("divartest: Divar's API refuses %s %s: %d %s", r.Method, r.URL.Path, refused.status, refused.message)
	} else if answer != nil {
		out, _ = json.Marshal(answer, json.Deterministic(true))
	}
	a.mu.Lock()
	a.calls = append(a.calls, Call{Operation: opID, Method: r.Method, Path: r.URL.Path, Status: status})
	rate := a.rate
	a.mu.Unlock()
	if rate[0] > 0 {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(rate[0]))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(rate[1]))
	}
	if r.Context().Err() != nil {
		return // the caller gave up
	}
	w.Header().Set("Content-Type", "application/json")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	w.Write(out)
}

func (a *API) handle(r *http.Request, body []byte) (string, any, *divarError) {
	route, params, err := a.router.FindRoute(r)
	if err != nil {
		route, params, err = findPaymentRoute(r, err)
	}
	if err != nil {
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			return "", nil, refusal(http.StatusMethodNotAllowed, 12, "Divar has no %s %s (method not allowed)", r.Method, r.URL.Path)
		}
		return "", nil, refusal(http.StatusNotFound, 5, "Divar has no operation at %s %s", r.Method, r.URL.Path)
	}
	opID := operationID(route)
	play, known := apiOps[opID]
	op := needOf(route.Operation)
	if !known {
		return opID, nil, refusal(http.StatusNotImplemented, 12, "divartest does not play %s (%s %s) yet", opID, r.Method, r.URL.Path)
	}

	a.mu.Lock()
	fault, faulted := a.takeFault(opID)
	key := a.key
	a.mu.Unlock()
	if faulted && fault.Delay > 0 {
		t := time.NewTimer(fault.Delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return opID, nil, refusal(499, 1, "the caller gave up")
		case <-t.C:
		}
	}
	if faulted && fault.Status != 0 {
		e := refusal(fault.Status, fault.Code, "%s", fault.Message)
		e.retryAfter = fault.RetryAfter
		return opID, nil, e
	}

	switch got := r.Header.Get("X-API-Key"); {
	case got == "":
		return opID, nil, refusal(http.StatusUnauthorized, 16, "no X-API-Key header: Divar refuses every call without the app's API key")
	case got != key:
		return opID, nil, refusal(http.StatusUnauthorized, 16, "the X-API-Key is not this app's API key: Divar refuses the call")
	}
	a.mu.Lock()
	denied := a.denied[op.permission]
	a.mu.Unlock()
	if denied {
		return opID, nil, refusal(http.StatusForbidden, 7, "the API key lacks the permission %s: grant it in the Kenar panel", op.permission)
	}

	c := &call{params: params, query: r.URL.Query(), body: body}
	if auth := r.Header.Get("Authorization"); auth != "" || (op.scopes != nil && !op.optional) {
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || tok == "" {
			return opID, nil, refusal(http.StatusUnauthorized, 16, "%s needs the user's OAuth access token in Authorization: Bearer …", opID)
		}
		a.mu.Lock()
		scopes, known := a.tokens[tok]
		o := a.oauth
		a.mu.Unlock()
		if !known && o != nil {
			scopes, known = o.Scopes(tok)
		}
		if !known {
			return opID, nil, refusal(http.StatusUnauthorized, 16, "the access token is unknown, expired or revoked: Divar refuses it")
		}
		c.token = tok
		if op.scopes != nil && !op.optional { // an optional token is only checked to be valid
			if e := a.checkScope(opID, op.scopes, scopes, c); e != nil {
				return opID, nil, e
			}
		}
	}

	if e := a.checkRequest(r, route, params, body); e != nil {
		return opID, nil, e
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	answer, e := play(a, c)
	if faulted && fault.Lose { // a.mu is released by the deferred Unlock
		a.calls = append(a.calls, Call{Operation: opID, Method: r.Method, Path: r.URL.Path})
		panic(http.ErrAbortHandler) // the answer is lost: the connection closes unanswered
	}
	return opID, answer, e
}

// operationID is the route's operationId as api/kenar-api.yaml spells it
// (the generated spec capitalises it).
func operationID(r *routers.Route) string {
	id := r.Operation.OperationID
	if id == "" {
		return ""
	}
	return strings.ToLower(id[:1]) + id[1:]
}

func (a *API) takeFault(op string) (Fault, bool) {
	for i, f := range a.faults {
		if f.Operation == "" || f.Operation == op {
			a.faults = append(a.faults[:i:i], a.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

// checkScope refuses a token without one of the operation's scopes, the
// object-bound ones bound to this call's post or conversation.
func (a *API) checkScope(opID string, accepted, granted []string, c *call) *divarError {
	var want []string
	for _, s := range accepted {
		name, param, bound := strings.Cut(s, ".")
		if bound {
			param = strings.Trim(param, "{}")
			var id string
			switch param {
			case "post":
				a.mu.Lock()
				id = a.conversations[c.params["conversation_id"]]
				a.mu.Unlock()
			case "event_resource_id":
				var b struct {
					ID string `json:"event_resource_id"`
				}
				_ = json.Unmarshal(c.body, &b)
				id = b.ID
			default:
				id = c.params[param]
			}
			if id == "" {
				continue
			}
			s = name + "." + id
		}
		want = append(want, s)
	}
	for _, w := range want {
		for _, g := range granted {
			if g == w {
				return nil
			}
		}
	}
	return refusal(http.StatusForbidden, 7, "the access token lacks the scope %s needs (one of %s): ask the user to grant it through OAuth",
		opID, strings.Join(want, ", "))
}

// checkRequest refuses a request Divar's schema or limits refuse, naming
// every field.
func (a *API) checkRequest(r *http.Request, route *routers.Route, params map[string]string, body []byte) *divarError {
	if ct := r.Header.Get("Content-Type"); route.Operation.RequestBody != nil && !strings.HasPrefix(ct, "application/json") {
		return refusal(http.StatusBadRequest, 3, "the body's Content-Type is %q, not application/json: Divar cannot read it", ct)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	var problems []string
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		walk(err, func(se *openapi3.SchemaError) {
			problems = append(problems, pointer(se.JSONPointer())+" "+reason(se))
		})
		if len(problems) == 0 {
			problems = append(problems, "the request does not match Divar's schema")
		}
	}
	var v interface{ Validate() error }
	switch operationID(route) {
	case "createPostAddon":
		v = new(sdk.PostAddon)
	case "sendConversationMessage":
		v = new(sdk.ConversationMessage)
	case "sendBotMessage", "sendBotMessageToUser":
		v = new(sdk.BotMessage)
	case "createEventSubscription":
		v = new(sdk.EventSubscription)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			problems = append(problems, "the body is not "+operationID(route)+"'s JSON")
		} else if err := v.Validate(); err != nil {
			problems = append(problems, answerDetails(err)...)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return refusal(http.StatusBadRequest, 3, "Divar refuses the request: %s", strings.Join(dedupe(problems), "; "))
}

func (a *API) createPostAddon(c *call) (any, *divarError) {
	var p sdk.PostAddon
	_ = json.Unmarshal(c.body, &p)
	post := c.params["token"]
	a.addons[post] = append(a.addons[post], p)
	return struct{}{}, nil
}

func (a *API) sendMessage(c *call) (any, *divarError) {
	var m sdk.ConversationMessage
	_ = json.Unmarshal(c.body, &m)
	id := c.params["conversation_id"]
	a.messages[id] = append(a.messages[id], m)
	return map[string]any{"status": 0, "message": "sent"}, nil
}

func (a *API) sendBot(c *call) (any, *divarError) {
	var m sdk.BotMessage
	_ = json.Unmarshal(c.body, &m)
	id := c.params["conversation_id"]
	if u, ok := c.params["user_id"]; ok {
		id = BotConversation(u)
	}
	a.bot[id] = append(a.bot[id], m)
	return map[string]string{"conversation_id": id}, nil
}

func (a *API) subscribe(c *call) (any, *divarError) {
	var s sdk.EventSubscription
	_ = json.Unmarshal(c.body, &s)
	a.subs = append(a.subs, Subscription{Token: c.token, EventSubscription: s})
	return struct{}{}, nil
}

func (a *API) getUser(c *call) (any, *divarError) {
	u, ok := a.users[c.token]
	if !ok {
		u = divar.User{ID: "divartest-user"}
	}
	scopes, known := a.tokens[c.token]
	if !known && a.oauth != nil {
		if info, found := a.oauth.Lookup(c.token); found {
			scopes = info.Scopes
			if !ok {
				u.ID = info.UserID
			}
		}
	}
	out := map[string]any{"user_id": u.ID}
	for _, s := range scopes {
		if s == "USER_PHONE" && u.PhoneNumber != "" {
			out["phone_number"] = u.PhoneNumber
			out["phone_numbers"] = []string{u.PhoneNumber}
		}
	}
	return out, nil
}

func (a *API) getPost(c *call) (any, *divarError) {
	p, ok := a.posts[c.params["token"]]
	if !ok {
		return nil, refusal(http.StatusNotFound, 5, "no post %q: Divar answers not found", c.params["token"])
	}
	out := map[string]any{
		"token": p.post.Token, "category": p.post.Category, "city": p.post.City, "district": p.post.District,
		"state": p.post.State, "chat_enabled": p.post.ChatEnabled, "is_phone_hidden": p.post.IsPhoneHidden,
	}
	if p.post.Data != nil {
		out["data"] = p.post.Data
	}
	if !p.post.FirstPublishedAt.IsZero() {
		out["first_published_at"] = p.post.FirstPublishedAt.UTC().Format(time.RFC3339)
	}
	return out, nil
}

func (a *API) listUserPosts(c *call) (any, *divarError) {
	posts := []map[string]any{}
	var tokens []string
	for t, p := range a.posts {
		if p.owner == c.token {
			tokens = append(tokens, t)
		}
	}
	sort.Strings(tokens)
	for _, t := range tokens {
		p := a.posts[t].post
		title, _ := p.Data["title"].(string)
		posts = append(posts, map[string]any{"token": p.Token, "title": title, "category": p.Category})
	}
	return map[string]any{"posts": posts}, nil
}
