// Package e2e drives kenarkit's examples in a real headless browser
// (Debian's chromium, through chromedp). It is a module of its own so that
// the browser driver never becomes a dependency of the SDK. Run it with
//
//	cd e2e && KENARKIT_E2E=1 go test ./...
//
// KENARKIT_E2E=1 makes a missing chromium a failure instead of a skip (CI
// sets it); KENARKIT_CHROMIUM names another browser binary;
// KENARKIT_SCREENSHOT=path also saves the landing page's screenshot there.
//
// The consent loop's tests (loop_test.go) run the scaffold's starter
// add-on (cmd/scaffold/starter, built by the test, with -race under -race)
// as a process of its own, configured from the environment as deployed,
// against divartest's fake Divar: the open-platform API and the OAuth
// server. KENARKIT_ADDON=path runs another binary with the same contract
// instead; KENARKIT_SCREENSHOTS=dir saves the consent pages' screenshots
// there (docs/screenshots).
//
// TestPlaygroundLoop runs `scaffold dev` (built by the test) on the starter
// and walks the playground in the browser: consent, the post add-on, a
// tap on its button, the chat bot's /start and a button. KENARKIT_DEV_DIR
// runs it on another add-on's directory (one made with `scaffold new`).
package e2e
