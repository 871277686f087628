package main

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/kenarkit/kenarkit/sdk/widget"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/consent"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/tokens"

	"github.com/kenarkit/kenarkit/cmd/scaffold/starter/gen"
)

// The app the tests register with the fake OAuth server.
const (
	testSlug   = "starter-test"
	testSecret = "starter-test-secret"
)

// The seed's init callback (divartest.OpenServerLink).
const (
	seedPost = "wZC44q5D"
	seedUser = "6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI="
)

// fakeDivar is the add-on under test with all of Divar around it: the
// callbacks (divar), the API (api) and the OAuth server (oauth) it calls,
// and a browser with cookies that stops at the first address off
// loopback (Divar's completion address).
type fakeDivar struct {
	srv     *httptest.Server
	divar   *divartest.Divar
	addon   *Addon
	api     *divartest.API
	oauth   *divartest.OAuth
	browser *http.Client
	logs    *divartest.LogBuffer
}

// startLoop serves the add-on as main wires it, configured to call the
// fake API and OAuth server; edit changes the configuration first.
func startLoop(t *testing.T, edit func(*config)) *fakeDivar {
	t.Helper()
	f := &fakeDivar{api: divartest.NewAPI(t), oauth: divartest.NewOAuth(t), logs: &divartest.LogBuffer{}}
	f.api.UseOAuth(f.oauth)
	f.srv, f.divar = divartest.Start(t, gen.GetSpec, func(publicURL string) (*server.Server, error) {
		f.oauth.Register(divartest.OAuthClient{ID: testSlug, Secret: testSecret, RedirectURIs: []string{publicURL + callbackPath}})
		cfg := config{
			Env: addonenv.Env{
				Keys: []string{divartest.Key}, PublicURL: publicURL,
				APIKey: divartest.APIKey, APIURL: f.api.URL(),
				AppSlug: testSlug, OAuthSecret: testSecret, OAuthURL: f.oauth.URL,
			},
			RefreshInterval: defaultRefreshInterval,
			now:             f.oauth.Now,
			// A failed renewal is retried at once, not a second later.
			refreshRetry: tokens.Backoff{Initial: time.Millisecond},
		}
		if edit != nil {
			edit(&cfg)
		}
		e, addon, err := newServer(t.Context(), cfg, slog.New(slog.NewTextHandler(f.logs, nil)))
		if err == nil {
			f.addon = addon
			t.Cleanup(func() { addon.Close() })
		}
		return e, err
	})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.browser = &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if r.URL.Hostname() != "127.0.0.1" {
			return http.ErrUseLastResponse // Divar's completion address: where the loop ends
		}
		return nil
	}}
	return f
}

// open fetches a page in the browser.
func (f *fakeDivar) open(t testing.TB, u string) (int, string) {
	t.Helper()
	res, err := f.browser.Get(u)
	if err != nil {
		t.Fatal(withoutQuery(err))
	}
	defer res.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b.String()
}

var consentButton = regexp.MustCompile(`<a id="consent" href="([^"]+)"`)

// consent opens the page at u, taps its consent button, consents on the
// fake OAuth server's page, and returns where the add-on sent the browser
// at the end.
//
// A failure says why, from the add-on's log, and never shows the OAuth
// code, state or a token: the redirect address's query is left out.
func (f *fakeDivar) consent(t testing.TB, u string) string {
	t.Helper()
	status, page := f.open(t, u)
	m := consentButton.FindStringSubmatch(page)
	if status != http.StatusOK || m == nil {
		t.Fatalf("the page (status %d) has no consent button:\n%s\nthe add-on's log:\n%s", status, page, f.logs)
	}
	res, err := f.browser.Get(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(withoutQuery(err))
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after consent: status %d at %s (its query, the OAuth code and state, not shown), want a 303 to the completion address; the add-on's log:\n%s",
			res.StatusCode, res.Request.URL.Path, f.logs)
	}
	return res.Header.Get("Location")
}

// withoutQuery returns err with the query of the URL it names left out:
// an OAuth redirect's holds the code and state.
func withoutQuery(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		if perr == nil {
			u.RawQuery = ""
			return fmt.Errorf("%s %s: %w", ue.Op, u.Redacted(), ue.Err)
		}
		return fmt.Errorf("%s (a URL): %w", ue.Op, ue.Err)
	}
	return err
}

// consentFromLanding runs the server-link path: the seed's init callback,
// the landing page, consent.
func (f *fakeDivar) consentFromLanding(t testing.TB) string {
	t.Helper()
	return f.consent(t, f.divar.OpenServerLink(divartest.OpenServerLink()).URL)
}

func TestConsentFromTheLanding(t *testing.T) {
	t.Parallel()
	f := startLoop(t, nil)
	if done := f.consentFromLanding(t); done != "https://divar.ir/" {
		t.Errorf("sent to %q, want the init callback's return_url", done)
	}
	addons := f.api.PostAddons(seedPost)
	if len(addons) != 1 {
		t.Fatalf("%d post add-ons on the post, want 1", len(addons))
	}
	osl, gda := actionsOf(addons[0])
	if len(osl) != 1 || len(gda) != 1 || gda[0]["answer"] != "yes" {
		t.Errorf("the post add-on's actions: open_server_link %v, get_dynamic_action %v; want one each, the second {\"answer\":\"yes\"}", osl, gda)
	}
	assertSubscribed(t, f.api.Subscriptions(), seedPost)
	if users, _ := f.addon.follows.Users(t.Context()); !slices.Equal(users, []string{seedUser}) {
		t.Errorf("followed users %v, want the init callback's user", users)
	}
}

// A seller forwards their landing link (made by the init callback for
// their user id) and another Divar user opens it and consents: consent
// asks Divar's API who granted and refuses, so nothing is stored, created
// or followed for either user.
func TestForwardedLandingLinkRefused(t *testing.T) {
	t.Parallel()
	f := startLoop(t, nil)
	landing := f.divar.OpenServerLink(divartest.OpenServerLink()).URL // for divartest.SeedUserID
	f.oauth.SetUser("seller-2")                                       // who opens it, signed in to Divar
	status, page := f.open(t, landing)
	m := consentButton.FindStringSubmatch(page)
	if status != http.StatusOK || m == nil {
		t.Fatalf("the page (status %d) has no consent button:\n%s", status, page)
	}
	status, page = f.open(t, html.UnescapeString(m[1]))
	if status != http.StatusForbidden || !strings.Contains(page, "حساب دیگری") {
		t.Fatalf("after another user's consent: status %d, want 403 and a page saying so:\n%s", status, page)
	}
	if n := len(f.api.PostAddons(seedPost)); n != 0 {
		t.Errorf("%d post add-ons created with another user's grant", n)
	}
	if users, _ := f.addon.follows.Users(t.Context()); len(users) != 0 {
		t.Errorf("following for %v", users)
	}
	for _, u := range []string{seedUser, "seller-2"} {
		if _, err := f.addon.tokens.TokenSource(t.Context(), u).Token(); !errors.Is(err, tokens.ErrReconsent) {
			t.Errorf("a token is stored for %s: %v", u, err)
		}
	}
	if !strings.Contains(f.logs.String(), consent.ErrWrongUser.Error()) {
		t.Errorf("the refusal is not logged:\n%s", f.logs)
	}
}

// A buyer's taps on the post add-on's buttons reach the callbacks the
// add-on answers, as Divar sends them.
func TestPostAddonButtonsReachTheCallbacks(t *testing.T) {
	t.Parallel()
	f := startLoop(t, nil)
	f.consentFromLanding(t)
	osl, gda := actionsOf(f.api.PostAddons(seedPost)[0])
	answer := f.divar.DynamicAction(divartest.DynamicAction().PostToken(seedPost).Data(gda[0]))
	if answer.TextMessage != answerYes || answer.Action == nil || answer.Action.OpenServerLink == nil {
		t.Errorf("the dynamic action's answer %+v, want the add-on opened and %q", answer, answerYes)
	}
	landing := f.divar.OpenServerLink(divartest.OpenServerLink().PostToken(seedPost).UserSide(sdk.UserSideDemand).Data(osl[0]))
	status, page := f.open(t, landing.URL)
	if status != http.StatusOK || !strings.Contains(page, seedPost) || strings.Contains(page, `id="consent"`) {
		t.Errorf("a buyer's landing page (status %d) must show the post and ask no consent:\n%s", status, page)
	}
}

func TestConsentFromTheDirectLink(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, completion, want string
	}{
		{"Divar's completion address", "https://open-platform-redirect.divar.ir/completion?ref=1", "https://open-platform-redirect.divar.ir/completion?ref=1"},
		{"none", "", sdk.CompletionURL},
		{"another site's, never followed", "https://attacker.example/divar.ir", sdk.CompletionURL},
		{"not https", "http://divar.ir/", sdk.CompletionURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startLoop(t, nil)
			f.oauth.SetUser("seller-2")
			q := url.Values{"post_token": {"gZd7omnS"}}
			if tc.completion != "" {
				q.Set("completion_url", tc.completion)
			}
			if done := f.consent(t, f.srv.URL+startPath+"?"+q.Encode()); done != tc.want {
				t.Errorf("sent to %q, want %q", done, tc.want)
			}
			if n := len(f.api.PostAddons("gZd7omnS")); n != 1 {
				t.Errorf("%d post add-ons, want 1", n)
			}
			assertSubscribed(t, f.api.Subscriptions(), "gZd7omnS")
			// The direct link names no user: the add-on asked Divar who consented.
			if users, _ := f.addon.follows.Users(t.Context()); !slices.Equal(users, []string{"seller-2"}) {
				t.Errorf("followed users %v, want the consenting user", users)
			}
		})
	}
}

func TestDirectLinkWithoutAUsablePost(t *testing.T) {
	t.Parallel()
	f := startLoop(t, nil)
	for _, tc := range []struct {
		name, query string
		status      int
	}{
		{"none, from a touchpoint of no post", "", http.StatusOK},
		{"one that cannot be a scope", "?post_token=" + url.QueryEscape("a.b c"), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, page := f.open(t, f.srv.URL+startPath+tc.query)
			if status != tc.status || strings.Contains(page, `id="consent"`) || !strings.Contains(page, `href="`+sdk.CompletionURL+`"`) {
				t.Errorf("status %d, want %d, no consent and a way back to Divar:\n%s", status, tc.status, page)
			}
		})
	}
}

// Tokens near expiry are refreshed by the add-on's check, and each
// refresh makes the user's subscriptions again with the new token.
func TestRefreshRenewsSubscriptions(t *testing.T) {
	t.Parallel()
	f := startLoop(t, nil)
	f.consentFromLanding(t)
	first := f.api.Subscriptions()
	f.addon.refreshDue(t.Context()) // not due yet: nothing happens
	if n := f.oauth.Issued("refresh_token"); n != 0 {
		t.Fatalf("%d refreshes an hour before expiry", n)
	}
	f.oauth.Advance(divartest.OAuthAccessTokenTTL - time.Minute) // within tokens.DefaultRefreshBefore of expiry
	f.addon.refreshDue(t.Context())
	if n := f.oauth.Issued("refresh_token"); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	// consent runs OnRefresh in the background: wait for it.
	subs := waitFor(t, func() []divartest.Subscription {
		if s := f.api.Subscriptions(); len(s) >= 2*len(first) {
			return s
		}
		return nil
	})
	renewed := subs[len(first):]
	assertSubscribed(t, renewed, seedPost)
	for _, s := range renewed {
		if s.Token == first[0].Token {
			t.Errorf("a subscription renewed with the old token")
		}
		if _, ok := f.oauth.Scopes(s.Token); !ok {
			t.Errorf("a subscription renewed with a token that is not valid")
		}
	}
	// The next check, long after: refreshed again, renewed again.
	f.oauth.Advance(divartest.OAuthAccessTokenTTL - time.Minute)
	f.addon.refreshDue(t.Context())
	waitFor(t, func() []divartest.Subscription {
		if s := f.api.Subscriptions(); len(s) >= 3*len(first) {
			return s
		}
		return nil
	})
}

// A failed renewal is retried by consent with backoff, and logged.
func TestRenewalFailureIsRetried(t *testing.T) {
	t.Parallel()
	f := startLoop(t, nil)
	f.consentFromLanding(t)
	before := len(f.api.Subscriptions())
	f.api.FailNext(1, divartest.ServerError(http.StatusServiceUnavailable).On("createEventSubscription"))
	f.oauth.Advance(divartest.OAuthAccessTokenTTL - time.Minute)
	f.addon.refreshDue(t.Context())
	waitFor(t, func() []divartest.Subscription {
		s := f.api.Subscriptions()
		got := s[before:]
		if len(got) < 2 || !subscribedTo(got, seedPost) {
			return nil
		}
		return got
	})
	if !strings.Contains(f.logs.String(), "level=WARN") {
		t.Errorf("the failed renewal was not logged:\n%s", f.logs)
	}
}

func TestRevocationForgetsTheUser(t *testing.T) {
	t.Parallel()
	f := startLoop(t, nil)
	f.consentFromLanding(t)
	if _, err := f.addon.tokens.TokenSource(t.Context(), seedUser).Token(); err != nil {
		t.Fatalf("no token after consent: %v", err)
	}
	f.divar.Event(divartest.Event(event.TypeUserAccessRevocation).Set("user_access_revocation", map[string]any{"user_id": seedUser}))
	if _, err := f.addon.tokens.TokenSource(t.Context(), seedUser).Token(); !errors.Is(err, tokens.ErrReconsent) {
		t.Errorf("after revocation: %v, want ErrReconsent", err)
	}
	if users, _ := f.addon.follows.Users(t.Context()); len(users) != 0 {
		t.Errorf("still following for %v", users)
	}
	f.addon.refreshDue(t.Context()) // nobody to refresh
	if n := f.oauth.Issued("refresh_token"); n != 0 {
		t.Errorf("%d refreshes after revocation", n)
	}
}

func TestConsentPageNamesMissingSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		edit    func(*config)
		missing []string
	}{
		{"no slug", func(c *config) { c.AppSlug = "" }, []string{"KENAR_APP_SLUG"}},
		{"no secret", func(c *config) { c.OAuthSecret = "" }, []string{"KENAR_OAUTH_SECRET"}},
		{"no API key", func(c *config) { c.APIKey = "" }, []string{"KENAR_API_KEY"}},
		{"nothing", func(c *config) { c.APIKey, c.AppSlug, c.OAuthSecret = "", "", "" }, []string{"KENAR_API_KEY", "KENAR_APP_SLUG", "KENAR_OAUTH_SECRET"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startLoop(t, tc.edit)
			for _, u := range []string{
				f.divar.OpenServerLink(divartest.OpenServerLink()).URL,
				f.srv.URL + startPath + "?post_token=gZd7omnS",
			} {
				status, page := f.open(t, u)
				if status != http.StatusOK || !strings.Contains(page, `id="consent-missing"`) || strings.Contains(page, `id="consent"`) {
					t.Fatalf("status %d, want 200 and the missing settings named:\n%s", status, page)
				}
				for _, v := range tc.missing {
					if !strings.Contains(page, "<code>"+v+"</code>") {
						t.Errorf("the page does not name %s", v)
					}
				}
			}
			// The callbacks still work.
			f.divar.DynamicAction(divartest.DynamicAction().Data(sdk.Data{"answer": "no"}))
			f.divar.Event(divartest.Event(event.TypeNewChatbotMessage))
		})
	}
}

// With REDIS_URL pointing where no Redis answers, the add-on answers
// Divar's callbacks, and the consent page says it cannot act for users.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	f := startLoop(t, func(c *config) { c.RedisURL = "redis://" + addr })
	answer := f.divar.OpenServerLink(divartest.OpenServerLink())
	f.divar.DynamicAction(divartest.DynamicAction().Data(sdk.Data{"answer": "yes"}))
	status, page := f.open(t, answer.URL)
	if status != http.StatusServiceUnavailable || !strings.Contains(page, `id="consent-unavailable"`) || strings.Contains(page, `id="consent"`) {
		t.Errorf("status %d, want 503 and a page saying the add-on cannot act for users:\n%s", status, page)
	}
	if status, _ := f.open(t, f.srv.URL+"/healthz"); status != http.StatusOK {
		t.Errorf("healthz %d", status)
	}
}

func TestStartGetsTheGreeting(t *testing.T) {
	t.Parallel()
	f := startLoop(t, nil)
	const conversation = "edbb3a24-1c4d-4e8b-a3f2-0b9c8d7e6f5a"                                       // divartest.Event's
	f.divar.Event(divartest.Event(event.TypeNewChatbotMessage))                                       // "/start MY_POST gZd7omnS"
	f.divar.Event(divartest.Event(event.TypeNewChatbotMessage).Message(map[string]any{"text": "hi"})) // not a command: no greeting
	sent := f.api.BotMessages(conversation)
	if len(sent) != 1 {
		t.Fatalf("%d bot messages, want the one greeting", len(sent))
	}
	m := sent[0]
	if m.TextMessage != greeting || m.Buttons == nil || len(m.Buttons.Rows) != 1 || len(m.Buttons.Rows[0].Buttons) != 2 {
		t.Fatalf("the greeting %+v", m)
	}
	for i, want := range []string{"yes", "no"} {
		a := m.Buttons.Rows[0].Buttons[i].Action
		if a.GetDynamicAction == nil || a.GetDynamicAction.Data["answer"] != want {
			t.Errorf("button %d's action %+v, want get_dynamic_action {\"answer\":%q}", i, a, want)
		}
	}
	// The tap comes back as a dynamic action.
	answer := f.divar.DynamicAction(divartest.DynamicAction().Data(m.Buttons.Rows[0].Buttons[1].Action.GetDynamicAction.Data))
	if answer.TextMessage != answerNo {
		t.Errorf("the no's answer %+v", answer)
	}
}

func TestWithoutAPIKeyLogsOnce(t *testing.T) {
	t.Parallel()
	f := startLoop(t, func(c *config) { c.APIKey = "" })
	f.divar.Event(divartest.Event(event.TypeNewChatbotMessage))
	f.divar.Event(divartest.Event(event.TypeNewChatbotMessage).Message(map[string]any{"id": "another-message"}))
	if n := f.api.CallsTo("sendBotMessage"); n != 0 {
		t.Errorf("%d messages sent without an API key", n)
	}
	if n := strings.Count(f.logs.String(), "KENAR_API_KEY is not set"); n != 1 {
		t.Errorf("%d log lines say why nothing is sent, want 1:\n%s", n, f.logs)
	}
}

// actionsOf returns the data of the post add-on's open_server_link and
// get_dynamic_action buttons.
func actionsOf(p widget.PostAddon) (osl, gda []sdk.Data) {
	for _, w := range p.Widgets {
		if w.ButtonBar == nil {
			continue
		}
		if a := w.ButtonBar.Action; a.OpenServerLink != nil {
			osl = append(osl, a.OpenServerLink.Data)
		} else if a.GetDynamicAction != nil {
			gda = append(gda, a.GetDynamicAction.Data)
		}
	}
	return osl, gda
}

func subscribedTo(subs []divartest.Subscription, post string) bool {
	var got []string
	for _, s := range subs {
		if s.ResourceID == post {
			got = append(got, string(s.EventType))
		}
	}
	slices.Sort(got)
	return slices.Equal(slices.Compact(got), []string{"NEW_MESSAGE_ON_POST", "POST_UPDATE"})
}

func assertSubscribed(t *testing.T, subs []divartest.Subscription, post string) {
	t.Helper()
	if !subscribedTo(subs, post) {
		t.Errorf("subscriptions %+v, want NEW_MESSAGE_ON_POST and POST_UPDATE for %s", subs, post)
	}
}

// waitFor polls f until it returns non-nil, for what the add-on does in
// the background; the test fails if that never happens.
func waitFor[T any](t *testing.T, f func() []T) []T {
	t.Helper()
	for range 1000 {
		if v := f(); v != nil {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the add-on never did it")
	return nil
}

// A seller who declines on Divar's page gets the consent's page saying
// so, and nothing is done on their post.
func TestConsentDeclined(t *testing.T) {
	t.Parallel()
	f := startLoop(t, nil)
	f.oauth.Deny(true)
	_, page := f.open(t, f.divar.OpenServerLink(divartest.OpenServerLink()).URL)
	m := consentButton.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no consent button:\n%s", page)
	}
	status, page := f.open(t, html.UnescapeString(m[1]))
	if status != http.StatusForbidden && status != http.StatusBadRequest {
		t.Errorf("declined: status %d, want a 4xx page:\n%s", status, page)
	}
	if n := len(f.api.PostAddons(seedPost)) + len(f.api.Subscriptions()); n != 0 {
		t.Errorf("%d calls acted on a declined consent", n)
	}
	if users, _ := f.addon.follows.Users(t.Context()); len(users) != 0 {
		t.Errorf("following for %v", users)
	}
}

// TestConsentFailureSaysWhy: when the loop fails after consent (here Divar
// refuses the post add-on), the helper's failure gives the cause from the
// add-on's log, and neither the OAuth code, nor the state, nor a token.
func TestConsentFailureSaysWhy(t *testing.T) {
	t.Parallel()
	f := startLoop(t, nil)
	f.api.Deny("ADD_ON_CREATE") // the Kenar panel gave the API key no such permission
	rec := &failures{TB: t}
	done := make(chan struct{})
	go func() { // Fatal ends the goroutine, as in a test
		defer close(done)
		f.consentFromLanding(rec)
	}()
	<-done
	msg := rec.String()
	if !strings.Contains(msg, "creating the post add-on") || !strings.Contains(msg, "status 500 at "+callbackPath) {
		t.Errorf("the failure does not say why:\n%s", msg)
	}
	for _, secret := range []string{"code=", "state=", "ory_ac_", "ory_at_", testSecret} {
		if strings.Contains(msg, secret) {
			t.Errorf("the failure shows %q:\n%s", secret, msg)
		}
	}
}

// failures records what a helper reports through testing.TB, and ends
// its goroutine on Fatal, as testing.T does.
type failures struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (r *failures) Helper() {}

func (r *failures) Fatal(args ...any) { r.add(fmt.Sprint(args...)); runtime.Goexit() }

func (r *failures) Fatalf(format string, args ...any) {
	r.add(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (r *failures) Errorf(format string, args ...any) { r.add(fmt.Sprintf(format, args...)) }

func (r *failures) add(m string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
}

func (r *failures) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.msgs, "\n")
}
