package divartest

import (
	"bytes"
	"context"
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
	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/internal/validate"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/widget"
)

// APIKey is the API key a fake [API] accepts unless told another with
// [API.SetAPIKey].
const APIKey = "divartest-api-key"

// API plays Divar's open-platform API in a test: an httptest server on
// loopback that answers all 60 operations of Divar's own description and
// checks each call by that description, as Divar does (method and path,
// X-API-Key, the permission the key needs, the user's bearer token and the
// OAuth scope the operation needs, the body against Divar's schema and the
// overlay's rules from Divar's pages) and refuses the way Divar does, with its status and a
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
	tb   testing.TB
	srv  *httptest.Server
	desc *description

	mu            sync.Mutex
	key           string
	granted       map[string]bool       // the key's permissions; nil: every one
	denied        map[string]bool       // permissions taken from the key
	tokens        map[string][]string   // access token → scopes
	oauth         *OAuth                // trusted for the tokens it issued; nil: none
	users         map[string]divar.User // access token → user
	posts         map[string]apiPost
	conversations map[string]string // conversation id → post token
	faults        []Fault
	calls         []Call
	addons        map[string][]widget.PostAddon
	current       map[string]*widget.PostAddon
	messages      map[string][]sdk.ConversationMessage
	bot           map[string][]sdk.BotMessage
	subs          []Subscription
	received      []Received      // bodies of the calls accepted
	ids           map[string]bool // ids the fake gave out (user add-ons, …)
	uploads       map[string]bool // chat upload tokens issued
	seq           int
	rate          [2]int // limit, remaining reported in X-RateLimit-*; 0 limit: none
	pay           *payments
}

type apiPost struct {
	owner string // access token of the post's owner
	post  divar.Post
}

// Call is one request the fake API answered.
type Call struct {
	// Operation is the operationId in Divar's description
	// ("Addons_CreatePostAddonV2"), "" for no operation.
	Operation string
	Method    string
	Path      string
	Status    int
}

// Is reports whether c was a call of the operation op: its operationId in
// Divar's description or kenarkit's older name of it ([OperationNames]).
func (c Call) Is(op string) bool { return isOperation(c.Operation, op) }

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
	Operation  string        // only calls of this operation ([Fault.On]); "" for any
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

// On returns f limited to calls of the operation op: its operationId in
// Divar's description ("ChatAPI_ConversationSendMessage") or, for the
// calls divar.Client made first, kenarkit's older name of it
// ("sendConversationMessage", see [OperationNames]).
func (f Fault) On(op string) Fault {
	f.Operation = op
	return f
}

// NewAPI starts a fake Divar API for the test, closed when the test ends.
// The key [APIKey] holds every permission; give users' tokens with
// [API.Token].
func NewAPI(tb testing.TB) *API {
	tb.Helper()
	desc, err := divarDescription()
	if err != nil {
		tb.Fatal(err)
	}
	a := &API{
		tb: tb, desc: desc, key: APIKey,
		denied: map[string]bool{}, tokens: map[string][]string{}, users: map[string]divar.User{},
		posts: map[string]apiPost{}, conversations: map[string]string{},
		addons: map[string][]widget.PostAddon{}, current: map[string]*widget.PostAddon{},
		messages: map[string][]sdk.ConversationMessage{}, bot: map[string][]sdk.BotMessage{},
		ids: map[string]bool{}, uploads: map[string]bool{}, pay: newPayments(),
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
// ADD_ON_CREATE, GET_USER_POSTS, CHAT_BOT_SEND_MESSAGE, … (each
// operation's x-kenarkit-api-key-permissions in Divar's description, as
// its docs name them).
func (a *API) Deny(permission string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.denied[permission] = true
}

// SetPermissions makes the app's API key hold exactly permissions, as an
// app configured in the Kenar panel with them: an operation that needs
// another is refused 403 naming it. (A new API's key holds every
// permission.)
func (a *API) SetPermissions(permissions ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.granted = map[string]bool{}
	for _, p := range permissions {
		a.granted[p] = true
	}
	clear(a.denied)
}

// missingPermission returns the first of perms the key does not hold.
func (a *API) missingPermission(perms []string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range perms {
		if a.denied[p] || (a.granted != nil && !a.granted[p]) {
			return p
		}
	}
	return ""
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

// SetUser makes u the user behind accessToken: the user Finder_GetUser
// answers, and the only one a bot message to a user may go to with it. A
// token of [API.Token] without one is the user "divartest-user"'s.
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

// CallsTo counts the calls of the operation op (Divar's operationId, or
// kenarkit's older name of it, see [Fault.On]).
func (a *API) CallsTo(op string) int {
	n := 0
	for _, c := range a.Calls() {
		if c.Is(op) {
			n++
		}
	}
	return n
}

// PostAddons returns every add-on accepted for the post, in order (the
// last replaced the others at Divar), until it was deleted.
func (a *API) PostAddons(postToken string) []widget.PostAddon {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]widget.PostAddon(nil), a.addons[postToken]...)
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
	cfg.UploadURL = a.URL() + ChatUploadPath
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

// apiOp is what divartest plays of an operation of Divar's description,
// by its operationId; what Divar requires of it (permission, scopes, the
// body's schema) is the description's ([description.needOf]). An
// operation without one is answered [sampleAnswer].
type apiOp func(a *API, c *call) (any, *divarError)

type call struct {
	params map[string]string
	query  url.Values
	token  string
	user   string // the token's user, "" without a token
	scopes []string
	body   []byte
}

var apiOps = map[string]apiOp{
	"Addons_CreatePostAddonV2": (*API).createPostAddon,
	"Addons_DeletePostAddon": func(a *API, c *call) (any, *divarError) {
		delete(a.addons, c.params["token"])
		return struct{}{}, nil
	},
	"ChatAPI_ConversationSendMessage":  (*API).sendMessage,
	"ChatAPI_ChatBotSendMessage":       (*API).sendBot,
	"ChatAPI_ChatBotSendMessage2":      (*API).sendBot,
	"Events_RegisterEventSubscription": (*API).subscribe,
	"Finder_GetUser":                   (*API).getUser,
	"Finder_GetPost":                   (*API).getPost,
	"Finder_GetUserPosts":              (*API).listUserPosts,
	// Divar's wallet (payments.go)
	"Payment_GetBalance":        (*API).getBalance,
	"Payment_GetPostPricing":    (*API).getPostPricing,
	"Payment_GetTransaction":    (*API).getTransaction,
	"Payment_ListTransactions":  (*API).listTransactions,
	"Payment_ReorderPost":       (*API).reorderPost,
	"Payment_RenewPost":         (*API).renewPost,
	"Payment_PublishUserPost":   (*API).publishUserPost,
	"Payment_PayPostPromotion":  (*API).payPromotion,
	"Payment_SubmitUserPayment": (*API).submitUserPayment,
	"PaymentTicket_Validate":    (*API).validateTicket,
	// the other typed calls (plays.go)
	"Addons_CreateUserAddonV2":      newID("user-addon"),
	"Addons_CreateUserAddonV22":     newID("user-addon"),
	"Addons_CreateBusinessAddon":    newID("business-addon"),
	"Addons_DeleteUserAddon":        (*API).deleteUserAddon,
	"ChatAPI_GetConversation":       (*API).getConversation,
	"ChatAPI_GenerateUploadToken":   (*API).generateUploadToken,
	"Finder_GetUserIDByPhone":       (*API).userIDByPhone,
	"Finder_GetProUserProfileImage": (*API).proUserProfileImage,
	"Finder_GetUserBusinesses":      (*API).userBusinesses,
	"Post_GetUserPost":              (*API).getUserPost,
	"Post_GetPostStats":             (*API).postStats,
	"Post_GetImageUploadURL":        (*API).imageUploadURL,
	"Post_GetUploadURLsV2":          (*API).uploadURLs,
	"Assets_GetMediaUploadURLs":     (*API).mediaUploadURLs,
	"Semantic_CreateUserSemantic":   newID("user-semantic"),
}

// OperationNames maps the operationId in Divar's description of each call
// divar.Client made before it spoke all of Divar's API to kenarkit's older
// name of it (api/kenar-api.yaml), which [Fault.On] and [API.CallsTo] take
// as well. divar.Client's errors and logs name every call by Divar's
// operationId.
var OperationNames = map[string]string{
	"Addons_CreatePostAddonV2":         "createPostAddon",
	"Addons_DeletePostAddon":           "deletePostAddons",
	"ChatAPI_ConversationSendMessage":  "sendConversationMessage",
	"ChatAPI_ChatBotSendMessage":       "sendBotMessage",
	"ChatAPI_ChatBotSendMessage2":      "sendBotMessageToUser",
	"Events_RegisterEventSubscription": "createEventSubscription",
	"Finder_GetUser":                   "getUser",
	"Finder_GetPost":                   "getPost",
	"Finder_GetUserPosts":              "listUserPosts",
}

// isOperation reports whether op names the operation divarID.
func isOperation(divarID, op string) bool {
	return op == divarID || (op != "" && OperationNames[divarID] == op)
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
	if strings.HasPrefix(r.URL.Path, ChatUploadPath+"/") {
		a.serveUpload(w, r)
		return
	}
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
	route, params, err := a.desc.router.FindRoute(r)
	if err != nil {
		if allowed := a.desc.methodsAt(r); len(allowed) > 0 {
			return "", nil, refusal(http.StatusMethodNotAllowed, 12, "Divar has no %s %s (method not allowed; it has %s)", r.Method, r.URL.Path, strings.Join(allowed, ", "))
		}
		return "", nil, refusal(http.StatusNotFound, 5, "Divar has no operation at %s %s", r.Method, r.URL.Path)
	}
	opID := route.Operation.OperationID
	need := a.desc.needOf(route.Operation)

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
	if p := a.missingPermission(need.permissions); p != "" {
		return opID, nil, refusal(http.StatusForbidden, 7, "the API key lacks the permission %s: grant it in the Kenar panel", p)
	}

	c := &call{params: params, query: r.URL.Query(), body: body}
	alts := need.scopesFor(c)
	if auth := r.Header.Get("Authorization"); auth != "" || tokenRequired(alts) {
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || tok == "" {
			return opID, nil, refusal(http.StatusUnauthorized, 16, "%s needs the user's OAuth access token in Authorization: Bearer …", opID)
		}
		known := a.identify(c, tok)
		if !known {
			return opID, nil, refusal(http.StatusUnauthorized, 16, "the access token is unknown, expired or revoked: Divar refuses it")
		}
		if tokenRequired(alts) { // a token the call does not need is only checked to be valid
			if e := a.checkScope(opID, alts, c.scopes, c); e != nil {
				return opID, nil, e
			}
		}
	}

	if e := checkRequest(r, route, params); e != nil {
		return opID, nil, e
	}
	a.mu.Lock()
	var answer any
	var e *divarError
	if play, ok := apiOps[opID]; ok {
		answer, e = play(a, c)
	} else {
		answer = sampleAnswer(route.Operation)
	}
	if e == nil && len(body) > 0 {
		a.received = append(a.received, Received{Operation: opID, Path: r.URL.Path, Body: body})
	}
	lost := faulted && fault.Lose
	if lost { // recorded with the play: serve never answers it
		a.calls = append(a.calls, Call{Operation: opID, Method: r.Method, Path: r.URL.Path})
	}
	a.mu.Unlock()
	if e == nil {
		out, _ := json.Marshal(answer)
		if problems := answerProblems(r, route, params, out); len(problems) > 0 {
			a.tb.Errorf("divartest: the fake's answer to %s breaks Divar's description: %s", opID, strings.Join(problems, "; "))
		}
	}
	if lost {
		panic(http.ErrAbortHandler) // the answer is lost: the connection closes unanswered
	}
	return opID, answer, e
}

// identify finds the access token tok and, if it is valid, its user and
// scopes.
func (a *API) identify(c *call, tok string) bool {
	a.mu.Lock()
	scopes, known := a.tokens[tok]
	u, hasUser := a.users[tok]
	o := a.oauth
	a.mu.Unlock()
	user := "divartest-user"
	if !known && o != nil {
		var info TokenInfo
		if info, known = o.Lookup(tok); known {
			scopes, user = info.Scopes, info.UserID
		}
	}
	if !known {
		return false
	}
	if hasUser {
		user = u.ID
	}
	c.token, c.user, c.scopes = tok, user, scopes
	return true
}

func (a *API) takeFault(op string) (Fault, bool) {
	for i, f := range a.faults {
		if f.Operation == "" || isOperation(op, f.Operation) {
			a.faults = append(a.faults[:i:i], a.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

// checkRequest refuses a request Divar's description refuses (with the
// overlay's rules from Divar's prose), naming every field.
func checkRequest(r *http.Request, route *routers.Route, params map[string]string) *divarError {
	if ct := r.Header.Get("Content-Type"); route.Operation.RequestBody != nil && !strings.HasPrefix(ct, "application/json") {
		return refusal(http.StatusBadRequest, 3, "the body's Content-Type is %q, not application/json: Divar cannot read it", ct)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	err := openapi3filter.ValidateRequest(context.Background(), in)
	if err == nil {
		return nil
	}
	var problems []string
	walk(err, func(se *openapi3.SchemaError) {
		problems = append(problems, pointer(se.JSONPointer())+" "+validate.Describe(se))
	})
	if len(problems) == 0 {
		problems = append(problems, "the request does not match Divar's description: "+err.Error())
	}
	sort.Strings(problems)
	return refusal(http.StatusBadRequest, 3, "Divar refuses the request: %s", strings.Join(dedupe(problems), "; "))
}

func (a *API) createPostAddon(c *call) (any, *divarError) {
	var p widget.PostAddon
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
	return struct{}{}, nil
}

func (a *API) sendBot(c *call) (any, *divarError) {
	var m sdk.BotMessage
	_ = json.Unmarshal(c.body, &m)
	id := c.params["conversation_id"]
	if u, ok := c.params["user_id"]; ok {
		if u != c.user {
			return nil, refusal(http.StatusForbidden, 7, "a bot message to a user goes only to the user whose token sends it (docs/chat/chatbot_conversations.md): the token is not user %s's", u)
		}
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

// getUser answers each field only to a token with its scope
// (docs/oauth/get_user.md): user_id with USER_ID, the phone numbers with
// USER_PHONE.
func (a *API) getUser(c *call) (any, *divarError) {
	u := a.users[c.token]
	out := map[string]any{}
	for _, s := range c.scopes {
		switch {
		case s == "USER_ID":
			out["user_id"] = c.user
		case s == "USER_PHONE" && u.PhoneNumber != "":
			out["phone_number"] = u.PhoneNumber
			out["phone_numbers"] = append([]string{u.PhoneNumber}, u.PhoneNumbers...)
		}
	}
	return out, nil
}

// getPost answers every field the post was given; a state only when it
// has one (Divar's enum has no empty value).
func (a *API) getPost(c *call) (any, *divarError) {
	p, ok := a.posts[c.params["token"]]
	if !ok {
		return nil, refusal(http.StatusNotFound, 5, "no post %q: Divar answers not found", c.params["token"])
	}
	out := map[string]any{
		"token": p.post.Token, "category": p.post.Category, "city": p.post.City, "district": p.post.District,
		"chat_enabled": p.post.ChatEnabled, "is_phone_hidden": p.post.IsPhoneHidden,
		"supplier_chat_assistant_enabled": p.post.SupplierChatAssistantEnabled,
	}
	if p.post.State != "" {
		out["state"] = p.post.State
	}
	if p.post.Data != nil {
		out["data"] = p.post.Data
	}
	for name, t := range map[string]time.Time{"first_published_at": p.post.FirstPublishedAt, "last_modified_at": p.post.LastModifiedAt} {
		if !t.IsZero() {
			out[name] = t.UTC().Format(time.RFC3339Nano)
		}
	}
	if p.post.BusinessName != "" || p.post.BusinessType != "" {
		b := map[string]any{"business_name": p.post.BusinessName}
		if p.post.BusinessType != "" {
			b["business_type"] = p.post.BusinessType
		}
		out["business_data"] = b
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
