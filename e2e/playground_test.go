package e2e

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// TestPlaygroundLoop runs `scaffold dev` on the scaffold's starter, as a
// developer does, and walks its whole loop in the playground, in
// Chromium: the seller opens the add-on from their post, the landing page
// asks consent, Divar's local consent page allows it, the add-on puts its
// post add-on on the post, which the playground draws; a tap on its
// get_dynamic_action button reaches the add-on and its answer is shown;
// the chat bot is opened with /start, greets with buttons, and a tap on
// one is answered. Every call in the log is one Divar accepts. Ctrl-C
// (SIGINT) then stops the add-on with the playground.
func TestPlaygroundLoop(t *testing.T) {
	t.Parallel()
	began := time.Now()
	ctx := browser(t)
	dev := startDev(t)

	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute) // a bound on a hang
	defer cancel()
	run := func(what string, actions ...chromedp.Action[struct{}]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v\nscaffold dev's output:\n%s", what, err, dev.log.String())
		}
	}
	textOf := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	shoot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		screenshot(t, name, png, true)
	}
	run("opening the playground", chromedp.Navigate(dev.url), chromedp.WaitVisible(chromedp.CSS("#no-addon")))

	// The seller opens the add-on from their post: the init callback, then
	// its answer opens as Divar's web view would.
	run("opening the add-on from the post", chromedp.Click(chromedp.CSS("#open-addon")), chromedp.WaitVisible(chromedp.CSS("#consent")))
	run("asking consent", chromedp.Click(chromedp.CSS("#consent")), chromedp.WaitVisible(chromedp.CSS("#allow")))
	scopes := textOf("main")
	if !strings.Contains(scopes, "POST_ADDON_CREATE.gZd7omnS") {
		t.Errorf("Divar's consent page does not list POST_ADDON_CREATE.gZd7omnS:\n%s", scopes)
	}
	// Allowed, Divar sends the seller to the add-on, which creates the post
	// add-on and returns them to the playground, where it is drawn.
	run("allowing", chromedp.Click(chromedp.CSS("#allow")), chromedp.WaitVisible(chromedp.CSS("#addon-live .button-bar")))
	addon := textOf("#addon-live")
	for _, want := range []string{"افزونهٔ آگهی", "شروع", "تأیید"} {
		if !strings.Contains(addon, want) {
			t.Errorf("the post add-on drawn lacks %q:\n%s", want, addon)
		}
	}
	run("a phone's screen", chromedp.EmulateViewport(412, 915, chromedp.EmulateScale(2)))
	shoot("playground-post.png")

	// A buyer taps the widget's get_dynamic_action ("تأیید"): the add-on's
	// answer is a text, shown as a toast, and an action, performed (the
	// starter's opens its landing page).
	t.Logf("the post add-on's button clicked %v after the test began", time.Since(began).Round(time.Millisecond))
	run("tapping the post add-on's button",
		chromedp.Click(chromedp.CSS(`#addon-live .button-bar:nth-of-type(4) button`)),
		chromedp.WaitVisible(chromedp.CSS("#back")))
	run("back to Divar", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS("#addon-live")))

	// The chat bot: /start from the post, the greeting with its buttons,
	// a tap on "خیر" answered with a text.
	run("opening the chat bot", chromedp.Click(chromedp.CSS("#tab-bot")), chromedp.Click(chromedp.CSS("#bot-start")),
		chromedp.WaitVisible(chromedp.CSS(`#bot .bubble:not(.mine) .grid button`)))
	greeting := textOf(`#bot .bubble:not(.mine)`)
	if !strings.Contains(greeting, "سلام") {
		t.Errorf("the bot's greeting is %q", greeting)
	}
	run("tapping خیر", chromedp.Click(chromedp.CSS(`#bot .bubble:not(.mine) .grid button:nth-of-type(2)`)),
		chromedp.WaitVisible(chromedp.CSS("#toast")))
	toast := textOf("#toast")
	if toast != "درخواست شما دریافت شد." {
		t.Errorf("the dynamic action's text shown is %q, want the starter's answer", toast)
	}

	// The log: both directions, every verdict an acceptance, no secret.
	run("the log", chromedp.EmulateViewport(1100, 900), chromedp.WaitVisible(chromedp.CSS("#log .entry")))
	log := textOf("#log")
	for _, want := range []string{"دیوار ← افزونه", "افزونه ← دیوار", "/divar/open-server-link", "/divar/dynamic-action", "/divar/events", "/v2/open-platform/addons/post/gZd7omnS", "/oauth2/token"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	refused, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#log .entry.bad")].map(e => e.querySelector("summary").innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) > 0 {
		t.Errorf("the log shows calls Divar refuses:\n%s", strings.Join(refused, "\n"))
	}
	shoot("playground.png")

	dev.interrupt(t)
}

// devProcess is `scaffold dev` running as a process of its own.
type devProcess struct {
	url       string // the playground
	addonAddr string // where the add-on listens
	cmd       *exec.Cmd
	log       *divartest.LogBuffer
	exited    chan error
}

// startDev builds the scaffold and runs `scaffold dev` on the starter
// add-on (or the add-on in KENARKIT_DEV_DIR), and returns once it printed
// the playground's address.
func startDev(t *testing.T) *devProcess {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "scaffold")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./cmd/scaffold")...)
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/scaffold: %v\n%s", err, out)
	}
	addonDir := os.Getenv("KENARKIT_DEV_DIR") // an add-on made with `scaffold new`
	if addonDir == "" {
		addonDir = "../cmd/scaffold/starter"
	}
	addonDir, err := filepath.Abs(addonDir)
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	d := &devProcess{addonAddr: "127.0.0.1:" + port, log: &divartest.LogBuffer{}, exited: make(chan error, 1)}
	d.cmd = exec.Command(bin, "dev", "--dir", addonDir, "--listen", "127.0.0.1:0", "--port", port)
	d.cmd.Env = append(os.Environ(), "REDIS_URL=")
	d.cmd.Stderr = d.log
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	go func() { d.exited <- d.cmd.Wait() }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("scaffold dev's output:\n%s", d.log.String())
		}
		if strings.Contains(d.log.String(), "WARNING: DATA RACE") {
			t.Error("scaffold dev's output reports a data race")
		}
	})
	select {
	case line, ok := <-lines:
		url, found := strings.CutPrefix(line, "playground: ")
		if !ok || !found {
			t.Fatalf("scaffold dev printed %q, not the playground's address:\n%s", line, d.log.String())
		}
		d.url = url
	case <-time.After(2 * time.Minute): // a bound on a hang: the build
		t.Fatalf("scaffold dev printed no address within 2 minutes:\n%s", d.log.String())
	}
	go func() {
		for range lines { // drain
		}
	}()
	return d
}

// interrupt sends SIGINT, as Ctrl-C does, and checks that dev ends cleanly
// and that the add-on it started no longer listens.
func (d *devProcess) interrupt(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.exited:
		if err != nil {
			t.Errorf("scaffold dev did not end cleanly on SIGINT: %v", err)
		}
	case <-time.After(30 * time.Second): // a bound on a hang
		t.Fatal("scaffold dev did not end within 30 s of SIGINT")
	}
	if c, err := net.Dial("tcp", d.addonAddr); err == nil {
		c.Close()
		t.Errorf("the add-on still listens at %s after scaffold dev stopped", d.addonAddr)
	}
}
