// Command scaffold writes a ready-to-fill Divar Kenar add-on in Go, and fires
// Divar's callbacks at a running one.
//
// Usage:
//
//	scaffold new [--module PATH] [--dir DIR] [--sdk PATH] NAME
//	scaffold trigger KIND [flags]
//	scaffold dev [flags]
//	scaffold version
//	scaffold help [COMMAND]
//
// `scaffold new myaddon` writes ./myaddon, a copy of the starter add-on in
// cmd/scaffold/starter under the module path myaddon: Divar's callbacks in
// api/openapi.yaml, the server generated from it in gen/, a handler where
// every callback already answers what Divar accepts, a Persian landing page
// that asks the seller's consent, the loop that follows it (a post add-on,
// event subscriptions renewed with each token refresh, a chat-bot greeting),
// tests of all of it against divartest's fake Divar, and a README. It then
// runs `go mod tidy` in the new module, so the project builds and tests
// green at once. From a checkout of kenarkit:
//
//	go run ./cmd/scaffold new myaddon
//	cd myaddon && KENAR_IDENTIFICATION_KEY=dev-key go run .
//
// The new add-on requires the kenarkit the scaffold was built from: a
// replace directive to the checkout here; once kenarkit has a tagged
// release, `go run github.com/kenarkit/kenarkit/cmd/scaffold@latest new
// myaddon` requires that release.
//
// The starter is a package tree of kenarkit's own module, not a module of
// its own, and not text/template files: kenarkit's CI builds, vets,
// staticchecks and tests it with everything else (`go test ./...`), and
// `go generate ./...` keeps its gen/ current with its api/openapi.yaml. A
// directory holding a go.mod could not be embedded, and a starter module
// would have to require a released kenarkit to build in CI; so the scaffold
// writes the go.mod (requiring the kenarkit it was built from) and, as
// gonew does, rewrites the starter's module path in every import, found by
// parsing each file. Its name is replaced in four places only (the command's
// doc, the README's title, the page title, .gitignore), each checked by a
// test.
//
// `scaffold trigger` sends a callback exactly as Divar does to a running
// add-on and says whether Divar would accept the answer; see
// `scaffold help trigger`.
//
// `scaffold dev`, in an add-on's directory, builds and runs it against a
// local Divar (divartest's fake API, OAuth server and calls to the add-on)
// and prints the playground's address: a page showing the post add-ons,
// the chat bot, a conversation, Divar's events and a log of every call
// both ways, every button live. It rebuilds the add-on when its files
// change; Ctrl-C stops all it started. See `scaffold help dev`.
//
// Errors are one line prefixed "scaffold: "; bad usage exits with status 2,
// other failures with 1. Nothing is written when the input is invalid.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `scaffold writes a ready-to-fill Divar Kenar add-on in Go.

Usage:
  scaffold new [--module PATH] [--dir DIR] [--sdk PATH] NAME
  scaffold trigger KIND [flags]
  scaffold dev [flags]
  scaffold version
  scaffold help [COMMAND]

Commands:
  new      write a new add-on that builds, tests green and answers Divar's
           callbacks at once
  trigger  send a callback to a running add-on, as Divar does, and check
           the answer
  dev      run the add-on here against a local Divar you can see and click:
           prints the playground's address
  version  print the kenarkit version this scaffold was built from
  help     show this text, or a command's

Run 'scaffold help new', 'scaffold help trigger' or 'scaffold help dev' for a
command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "new":
		err = runNew(ctx, rest, stdout, stderr)
	case "trigger":
		err = runTrigger(ctx, rest, stdout, stderr)
	case "dev":
		err = runDev(ctx, rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprint(stdout, versionLine(readBuild()))
	case "help", "-h", "-help", "--help":
		err = runHelp(rest, stdout)
	default:
		err = fmt.Errorf("scaffold: unknown command %q (run 'scaffold help'): %w", cmd, errUsage)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelpShown):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, strings.TrimSuffix(err.Error(), ": "+errUsage.Error()))
		return 2
	}
	fmt.Fprintln(stderr, err)
	return 1
}

// errHelpShown ends a command that printed its help for -h.
var errHelpShown = errors.New("help shown")

func runHelp(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "new":
		fmt.Fprint(stdout, newUsage)
	case "trigger":
		fmt.Fprint(stdout, triggerUsage)
	case "dev":
		fmt.Fprint(stdout, devUsage)
	default:
		return fmt.Errorf("scaffold: no help for %q (commands: new, trigger, dev): %w", args[0], errUsage)
	}
	return nil
}

// parseInterspersed parses the flags in args wherever they stand, before or
// after the positional arguments (`scaffold new NAME --module M`), and
// returns the positional ones.
func parseInterspersed(fset *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fset.Parse(args); err != nil {
			return nil, err
		}
		if fset.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fset.Arg(0))
		args = fset.Args()[1:]
	}
}
