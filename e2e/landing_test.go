package e2e

import (
	"context"
	landingpage "github.com/kenarkit/kenarkit/sdk/landing"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/kenarkit/kenarkit/examples/postlanding/landing"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// browser returns a chromedp context on a headless chromium sized like a
// phone, or skips the test when there is no chromium (fails under
// KENARKIT_E2E=1).
func browser(t *testing.T) context.Context {
	t.Helper()
	bin := os.Getenv("KENARKIT_CHROMIUM")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("chromium"); err != nil {
			if os.Getenv("KENARKIT_E2E") == "1" {
				t.Fatal("chromium is not installed (apt-get install chromium)")
			}
			t.Skip("chromium is not installed; set KENARKIT_E2E=1 to make this a failure")
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(412, 915), chromedp.Flag("lang", "fa-IR"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	return ctx
}

// interceptDivar makes every request to Divar's completion host answer a
// small page (there is no internet) and reports each URL requested.
func interceptDivar(t *testing.T, ctx context.Context) <-chan string {
	t.Helper()
	paused := make(chan *fetch.EventRequestPaused, 8)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select { // fulfilled below: a listener must not run commands
			case paused <- e:
			case <-ctx.Done():
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: "https://open-platform-redirect.divar.ir/*"}},
	}); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 8)
	go func() { // ends with the browser
		for {
			var e *fetch.EventRequestPaused
			select {
			case e = <-paused:
			case <-ctx.Done():
				return
			}
			select {
			case urls <- e.Request.URL:
			case <-ctx.Done():
				return
			}
			_, _ = chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID:       e.RequestID,
				ResponseCode:    200,
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}},
				Body:            []byte("<!doctype html><title>Divar</title><p id=divar>divar</p>"),
			})
		}
	}()
	return urls
}

// text returns the text of the element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("%s: %v", sel, err)
	}
	return s
}

func TestLandingPageInABrowser(t *testing.T) {
	ctx := browser(t)
	srv := httptest.NewUnstartedServer(nil)
	e, err := landing.NewServer(landing.Config{Keys: []string{divartest.Key}, PublicURL: "http://" + srv.Listener.Addr().String(),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = e
	srv.Start()
	defer srv.Close()

	// A real init callback, over HTTP, with the current documentation's
	// names: the return button then leads to the completion address.
	divar := divartest.Dial(t, gen.GetSpec, srv.URL)
	answer := divar.OpenServerLink(divartest.OpenServerLink().CurrentNames().
		Set("provider_data", map[string]any{"plan": "طلایی", "months": 3}))
	if t.Failed() {
		t.FailNow()
	}

	requested := interceptDivar(t, ctx)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(412, 915, chromedp.EmulateScale(2)), // a phone's web view
		chromedp.Navigate(answer.URL), chromedp.WaitVisible(chromedp.CSS("#back"))); err != nil {
		t.Fatal(err)
	}
	title, post, side, user := text(t, ctx, "h1"), text(t, ctx, "#post-token"), text(t, ctx, "#user-side"), text(t, ctx, "#user-id")
	if title != "خوش آمدید" || post != "wZC44q5D" || side != "SUPPLY" || user != "6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI=" {
		t.Errorf("the page shows title %q, post %q, side %q, user %q", title, post, side, user)
	}
	data, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("dd.data")].map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(data, "|") != "3|طلایی" {
		t.Errorf("the page shows data %q", data)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, png)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS("#divar"))); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-requested:
		if u != sdk.CompletionURL {
			t.Errorf("the return button went to %q, want %q", u, sdk.CompletionURL)
		}
	case <-time.After(10 * time.Second): // a bound on a hang, not a timing assertion
		t.Error("the return button did not reach Divar's completion address")
	}

	// A tampered link: the page says so, and still leads back to Divar.
	tampered := answer.URL[:len(answer.URL)-4] + "AAAA"
	if err := chromedp.Do(ctx, chromedp.Navigate(tampered)); err != nil {
		t.Fatal(err)
	}
	if problem := text(t, ctx, ".problem"); problem != landingpage.ProblemInvalid {
		t.Errorf("a tampered link shows %q", problem)
	}
}

func saveScreenshot(t *testing.T, png []byte) {
	t.Helper()
	paths := []string{filepath.Join(t.TempDir(), "landing.png")}
	if p := os.Getenv("KENARKIT_SCREENSHOT"); p != "" {
		paths = append(paths, p)
	}
	for _, p := range paths {
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
}
