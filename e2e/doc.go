// Package e2e drives kenarkit's examples in a real headless browser
// (Debian's chromium, through chromedp). It is a module of its own so that
// the browser driver never becomes a dependency of the SDK. Run it with
//
//	cd e2e && KENARKIT_E2E=1 go test ./...
//
// KENARKIT_E2E=1 makes a missing chromium a failure instead of a skip (CI
// sets it); KENARKIT_CHROMIUM names another browser binary;
// KENARKIT_SCREENSHOT=path also saves the landing page's screenshot there.
package e2e
