// Command pindivar re-pins Divar's API description: from an original
// static/openapi-v3.json of the divar-ir/kenar-docs repository, it writes
// api/divar/openapi-v3.json, the original's facts (paths, operations,
// parameters, schemas, enums, security, servers) without Divar's prose
// (descriptions, summaries, titles, examples), recording the kenar-docs
// commit and the original's SHA-256 under "x-kenarkit-pin". Before writing,
// it refuses an original that is not an OpenAPI 3 JSON document (Divar's
// sync has committed an HTML "502 Bad Gateway" page in its place more than
// once); after, it prints what changed against the current pin (operations,
// schemas, request bodies and security schemes added, removed, changed) and
// checks that api/divar/overlay.yaml still names only what the pin has.
//
// It reads a file, never the network: fetch kenar-docs yourself, check out
// the commit you choose, and give its id.
//
// Usage, from the repository root:
//
//	go run ./internal/cmd/pindivar -original /path/to/kenar-docs/static/openapi-v3.json -commit $(git -C /path/to/kenar-docs rev-parse HEAD)
//	go generate ./...   # regenerates gen/divarapi from the new pin and the overlay
//
// Flags:
//
//	-original FILE  the original openapi-v3.json (required)
//	-commit ID      the kenar-docs commit it is from, 40 hex digits (required)
//	-pin FILE       the pinned document to write (default api/divar/openapi-v3.json)
//	-overlay FILE   the overlay to check against the new pin (default api/divar/overlay.yaml)
//	-n              print what would change, write nothing
//
// Errors are printed prefixed "pindivar: " and exit with status 1; a usage
// error exits with status 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/kenarkit/kenarkit/internal/divarpin"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "pindivar:", err)
		}
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("pindivar", flag.ContinueOnError)
	fl.SetOutput(stderr)
	original := fl.String("original", "", "the original `file` static/openapi-v3.json from divar-ir/kenar-docs (required)")
	commit := fl.String("commit", "", "the kenar-docs commit `id` the original is from, 40 hex digits (required)")
	pinPath := fl.String("pin", "api/divar/openapi-v3.json", "the pinned document to write")
	overlayPath := fl.String("overlay", "api/divar/overlay.yaml", "the overlay to check against the new pin")
	dry := fl.Bool("n", false, "print what would change, write nothing")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	if *original == "" || *commit == "" || fl.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: pindivar -original FILE -commit ID [-pin FILE] [-overlay FILE] [-n]")
		return errUsage
	}
	src, err := os.ReadFile(*original)
	if err != nil {
		return err
	}
	pinned, notes, err := divarpin.Make(src, *commit)
	if err != nil {
		return fmt.Errorf("%s: %w", *original, err)
	}
	old, err := os.ReadFile(*pinPath)
	if errors.Is(err, fs.ErrNotExist) {
		old = nil
	} else if err != nil {
		return err
	}
	groups, err := divarpin.Diff(old, pinned)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kenar-docs %s, %s\n", *commit, *original)
	if old != nil {
		if p, err := divarpin.ReadPin(old); err == nil {
			fmt.Fprintf(stdout, "against the current pin, kenar-docs %s\n", p.Commit)
		}
	}
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	divarpin.Print(stdout, groups)
	if !*dry {
		if err := os.WriteFile(*pinPath, pinned, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", *pinPath)
	}
	ov, err := os.ReadFile(*overlayPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no overlay yet: nothing to check
	} else if err != nil {
		return err
	}
	if err := divarpin.CheckOverlay(pinned, ov); err != nil {
		return fmt.Errorf("%s no longer fits the pin; correct it before go generate:\n%w", *overlayPath, err)
	}
	return nil
}
