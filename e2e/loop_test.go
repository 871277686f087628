package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/kenarkit/kenarkit/cmd/scaffold/starter/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// The seller's post in the server-link walk (the seed's) and in the
// direct-link walk.
const (
	serverLinkPost = "wZC44q5D"
	directLinkPost = "gZd7omnS"
)

// accessTokenTTL is the life of the access tokens the fake Divar issues in
// TestConsentLoopServerLink: the add-on refreshes a token in its last
// tokens.DefaultRefreshBefore by its own clock (checking every
// KENAR_REFRESH_INTERVAL), so each token falls due a few seconds after it
// is issued, while the fake's clock, which the test moves, says when Divar
// stops taking it.
const accessTokenTTL = tokens.DefaultRefreshBefore + 3*time.Second

// yes is the data the starter puts in its widget's get_dynamic_action.
var yes = map[string]any{"answer": "yes"}

// TestConsentLoopServerLink walks the whole loop of the scaffold's starter
// add-on, running as its own process, in a browser against the fake
// Divar: Divar's init callback → the landing page asks consent → Divar's
// consent page grants it → back at the add-on's redirect address → the
// post add-on is created with both actions and the post's events are
// subscribed to → the browser reaches Divar's completion address → a
// buyer's click on the widget's get_dynamic_action reaches the add-on and
// is answered. Then the access token expires; the add-on refreshes it and
// makes the subscriptions again with the new token.
func TestConsentLoopServerLink(t *testing.T) {
	t.Parallel()
	d := newFakeDivar(t)
	d.oauth.SetAccessTokenTTL(accessTokenTTL)
	walkServerLink(t, d, startAddon(t, d).url, true, nil)
}

// TestConsentLoopTwoReplicas walks the same loop with two replicas of the
// add-on sharing a real Redis (tokens, landing sessions, used OAuth
// states, followed posts, events handled), behind a balancer that sends
// Divar's redirect back after consent to the one the consent did not begin
// on. Both check the tokens, so each refresh must happen once: a rotated
// refresh token used twice makes Divar revoke the whole grant, and the
// subscriptions would not be renewed. Before the token expires, the
// replica that received the consent stops: the other must renew the
// subscriptions from what Redis holds.
func TestConsentLoopTwoReplicas(t *testing.T) {
	t.Parallel()
	redisURL := startRedis(t)
	d := newFakeDivar(t)
	d.oauth.SetAccessTokenTTL(accessTokenTTL)
	publicURL, replicas := startReplicas(t, d, 2, redisURL)
	walkServerLink(t, d, publicURL, false, replicas[1].stop)
}

// walkServerLink walks the server-link loop against the add-on at
// publicURL; readme: its screenshots are the README's. beforeExpiry, if
// set, runs before the token's expiry.
func walkServerLink(t *testing.T, d *fakeDivar, publicURL string, readme bool, beforeExpiry func()) {
	t.Helper()
	ctx := browser(t)
	callbacks := divartest.Dial(t, gen.GetSpec, publicURL)
	requested := interceptDivar(t, ctx)

	// Divar's init callback, with the current documentation's names: the
	// seller clicked the add-on's entry on their post.
	answer := callbacks.OpenServerLink(divartest.OpenServerLink().CurrentNames().
		PostToken(serverLinkPost).UserSide(sdk.UserSideSupply))
	if t.Failed() {
		t.FailNow()
	}
	if !strings.HasPrefix(answer.URL, publicURL+"/") {
		t.Fatalf("the init callback answered %q, not a page of the add-on's (%s)", answer.URL, publicURL)
	}

	shot := consentPage(t, ctx, answer.URL)
	screenshot(t, "consent.png", shot, readme)
	returned := giveConsent(t, ctx, d, publicURL, requested)
	if returned != nil {
		screenshot(t, "consent-return.png", returned, readme)
	}

	sent := checkPostAddon(t, d, serverLinkPost)
	kinds := checkSubscribed(t, d, serverLinkPost, sent.token)
	if t.Failed() {
		t.FailNow()
	}

	// A buyer clicks the widget: Divar calls the dynamic action with the
	// widget's data as extra_data.
	reply := callbacks.DynamicAction(divartest.DynamicAction().PostToken(serverLinkPost).
		UserSide(sdk.UserSideDemand).Data(sent.dynamicAction))
	if reply.Action == nil && reply.TextMessage == "" {
		t.Errorf("the dynamic action answered neither an action nor a text: %+v", reply)
	}
	t.Logf("the widget's dynamic action answered %s", mustJSON(t, reply))
	// The widget's open_server_link, and the answer's if it has one, reach
	// the init callback with their data; the page it answers opens.
	linked := []sdk.Data{sent.openServerLink}
	if reply.Action != nil && reply.Action.OpenServerLink != nil {
		linked = append(linked, reply.Action.OpenServerLink.Data)
	}
	for _, data := range linked {
		buyer := callbacks.OpenServerLink(divartest.OpenServerLink().CurrentNames().PostToken(serverLinkPost).
			UserSide(sdk.UserSideDemand).Set("provider_data", map[string]any(data)))
		if buyer.URL == "" {
			continue // reported by divartest
		}
		page, err := chromedp.Run(ctx, chromedp.NavigateResponse(buyer.URL))
		if err != nil || page.Status != http.StatusOK {
			t.Errorf("the page the init callback answered for open_server_link %s does not open: %+v, %v", mustJSON(t, data), page, err)
		}
	}

	if beforeExpiry != nil {
		beforeExpiry()
	}
	// The consent's access token expires at Divar; the add-on refreshes it
	// and subscribes again with the new one, as a subscription lasts only
	// as long as the token it was made with.
	expireAndRenew(t, d, serverLinkPost, sent.token, kinds)
}

// TestConsentLoopDirectLink walks the direct link: Divar opens the add-on's
// fallback address with post_token and completion_url in the query, with
// no callback first.
func TestConsentLoopDirectLink(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	d := newFakeDivar(t)
	a := startAddon(t, d)
	requested := interceptDivar(t, ctx)

	start := a.url + "/divar/start?" + url.Values{"post_token": {directLinkPost}, "completion_url": {sdk.CompletionURL}}.Encode()
	shot := consentPage(t, ctx, start)
	screenshot(t, "consent-direct.png", shot, false)
	giveConsent(t, ctx, d, a.url, requested)
	sent := checkPostAddon(t, d, directLinkPost)
	checkSubscribed(t, d, directLinkPost, sent.token)
}

// TestConsentDeclined: the seller declines at Divar's consent page; the
// add-on's redirect address answers a page that says so, with a 4xx, and
// creates nothing.
func TestConsentDeclined(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	d := newFakeDivar(t)
	a := startAddon(t, d)
	callbacks := divartest.Dial(t, gen.GetSpec, a.url)
	interceptDivar(t, ctx)
	d.oauth.Deny(true)

	answer := callbacks.OpenServerLink(divartest.OpenServerLink().CurrentNames().PostToken(serverLinkPost))
	if t.Failed() {
		t.FailNow()
	}
	consentPage(t, ctx, answer.URL)
	resp := click(t, ctx, "#consent")
	if u, _ := url.Parse(resp.URL); u == nil || u.Path != "/divar/oauth/callback" {
		t.Errorf("a declined consent ended at %s, want the add-on's /divar/oauth/callback", resp.URL)
	}
	if resp.Status < 400 || resp.Status >= 500 {
		t.Errorf("a declined consent answered %d, want a 4xx", resp.Status)
	}
	body := text(t, ctx, "body")
	if !strings.Contains(body, "اجازه") || len(strings.TrimSpace(body)) < 20 {
		t.Errorf("a declined consent shows %q, not a page saying what happened", body)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, "consent-declined.png", png, true)
	if n := d.api.CallsTo("createPostAddon") + d.api.CallsTo("createEventSubscription"); n != 0 {
		t.Errorf("a declined consent made %d calls to Divar's API", n)
	}
}

// consentPage opens the page a seller lands on, checks it offers the
// consent button, and returns its screenshot.
func consentPage(t *testing.T, ctx context.Context, pageURL string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute) // a bound on a hang
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(412, 915, chromedp.EmulateScale(2))); err != nil { // a phone's web view
		t.Fatal(err)
	}
	page, err := chromedp.Run(ctx, chromedp.NavigateResponse(pageURL))
	if err != nil {
		t.Fatalf("opening %s: %v", pageURL, err)
	}
	if page.Status != http.StatusOK {
		t.Errorf("the landing page answered %d, want 200", page.Status)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#consent"))); err != nil {
		t.Fatalf("the page at %s shows no #consent button: %v", pageURL, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	return png
}

// giveConsent clicks #consent, lets the fake Divar grant the consent, and
// checks the browser ends at Divar's completion address, directly or
// through a page of the add-on's with a link there. It returns that page's
// screenshot, or nil when the add-on sent the browser straight on.
func giveConsent(t *testing.T, ctx context.Context, d *fakeDivar, publicURL string, requested <-chan string) []byte {
	t.Helper()
	before := d.oauth.Issued("authorization_code")
	resp := click(t, ctx, "#consent")
	if got := d.oauth.Issued("authorization_code"); got != before+1 {
		t.Errorf("the consent exchanged %d codes at Divar's token endpoint, want 1", got-before)
	}
	var returned []byte
	if resp.URL != sdk.CompletionURL {
		// A page of the add-on's: it must lead on to the completion address.
		if !strings.HasPrefix(resp.URL, publicURL+"/") {
			t.Fatalf("after consent the browser is at %s: neither Divar's completion address nor the add-on", resp.URL)
		}
		if resp.Status != http.StatusOK {
			t.Errorf("the page after consent answered %d, want 200", resp.Status)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		returned = png
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href^="https://open-platform-redirect.divar.ir/"]`)),
			chromedp.WaitVisible(chromedp.CSS("#divar"))); err != nil {
			t.Fatalf("the page after consent has no link to Divar's completion address: %v", err)
		}
	}
	select {
	case u := <-requested:
		if u != sdk.CompletionURL {
			t.Errorf("after consent the browser went to %q, want %q", u, sdk.CompletionURL)
		}
	case <-time.After(10 * time.Second): // a bound on a hang, not a timing assertion
		t.Error("after consent the browser did not reach Divar's completion address")
	}
	return returned
}

// click clicks sel and returns the response of the page the navigation it
// starts ends at, through every redirect.
func click(t *testing.T, ctx context.Context, sel string) *network.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute) // a bound on a hang
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
	return resp
}

// postAddonSent is what checkPostAddon found in the post add-on.
type postAddonSent struct {
	openServerLink, dynamicAction sdk.Data // the two actions' data
	token                         string   // the access token it came with
}

// checkPostAddon checks the post add-on Divar received for post, as it
// came on the wire: widgets carrying open_server_link and
// get_dynamic_action with {"answer":"yes"}.
func checkPostAddon(t *testing.T, d *fakeDivar, post string) postAddonSent {
	t.Helper()
	if n := len(d.api.PostAddons(post)); n != 1 {
		t.Errorf("Divar holds %d post add-ons for %s, want 1", n, post)
	}
	calls := d.callsTo("POST", "/v2/open-platform/addons/post/"+post)
	if len(calls) == 0 {
		t.Errorf("the add-on sent no post add-on for %s", post)
		return postAddonSent{}
	}
	raw := calls[len(calls)-1].Body
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the post add-on is not JSON: %v", err)
	}
	actions := map[string][]any{}
	collectActions(doc, actions)
	sent := postAddonSent{token: calls[len(calls)-1].Token}
	for _, p := range actions["open_server_link"] {
		if m, ok := p.(map[string]any)["data"].(map[string]any); ok {
			sent.openServerLink = m
		}
	}
	if sent.openServerLink == nil {
		t.Errorf("no widget of the post add-on carries open_server_link with data: %s", raw)
	}
	for _, p := range actions["get_dynamic_action"] {
		if m, ok := p.(map[string]any)["data"].(map[string]any); ok && reflect.DeepEqual(m, yes) {
			sent.dynamicAction = m
		}
	}
	if sent.dynamicAction == nil {
		t.Errorf(`no widget of the post add-on carries get_dynamic_action {"data":{"answer":"yes"}}: %s`, raw)
	}
	t.Logf("the post add-on Divar received: %s", raw)
	return sent
}

// collectActions finds, in a decoded JSON document, every action's payload
// by its kind.
func collectActions(v any, into map[string][]any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "open_server_link" || k == "get_dynamic_action" {
				into[k] = append(into[k], x)
			}
			collectActions(x, into)
		}
	case []any:
		for _, x := range v {
			collectActions(x, into)
		}
	}
}

// checkSubscribed checks the add-on subscribed to post's events with the
// token the consent gave, and returns the event types it subscribed to.
func checkSubscribed(t *testing.T, d *fakeDivar, post, token string) map[sdk.SubscriptionType]bool {
	t.Helper()
	kinds := map[sdk.SubscriptionType]bool{}
	for _, s := range d.api.Subscriptions() {
		if s.ResourceID == post && s.Token == token {
			kinds[s.EventType] = true
		}
	}
	if len(kinds) == 0 {
		t.Errorf("the add-on made no event subscription for %s with the consent's token (all: %d)", post, len(d.api.Subscriptions()))
	}
	return kinds
}

// expireAndRenew moves Divar's clock past the life of the access token the
// consent gave, and waits until the add-on has refreshed it and made each
// of the post's subscriptions again with a token Divar accepts now (so
// one issued after the clock moved).
//
// The add-on runs on its own clock, which the test cannot move: the fake
// OAuth server issues tokens that fall due for a refresh by that clock a
// few seconds after they are issued (see TestConsentLoopServerLink).
func expireAndRenew(t *testing.T, d *fakeDivar, post, token string, kinds map[sdk.SubscriptionType]bool) {
	t.Helper()
	refreshes := d.oauth.Issued("refresh_token")
	d.oauth.Advance(accessTokenTTL + time.Second)
	if _, ok := d.oauth.Lookup(token); ok {
		t.Fatal("the consent's access token is still valid at Divar past its life")
	}
	eventually(t, "the add-on refreshes the token and subscribes again with the new one", func() (bool, string) {
		n := d.oauth.Issued("refresh_token") - refreshes
		renewed := map[sdk.SubscriptionType]bool{}
		for _, s := range d.api.Subscriptions() {
			if _, ok := d.oauth.Lookup(s.Token); ok && s.ResourceID == post {
				renewed[s.EventType] = true
			}
		}
		return n > 0 && reflect.DeepEqual(renewed, kinds),
			fmt.Sprintf("refreshes since the clock moved: %d; subscriptions with a valid token: %v, want %v", n, renewed, kinds)
	})
}

// screenshot saves png in the test's temporary directory and, if it is
// one the README shows and KENARKIT_SCREENSHOTS names a directory
// (docs/screenshots), there too.
func screenshot(t *testing.T, name string, png []byte, readme bool) {
	t.Helper()
	paths := []string{filepath.Join(t.TempDir(), name)}
	if dir := os.Getenv("KENARKIT_SCREENSHOTS"); dir != "" && readme {
		paths = append(paths, filepath.Join(dir, name))
	}
	for _, p := range paths {
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
