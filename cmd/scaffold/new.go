package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

const newUsage = `Usage: scaffold new [--module PATH] [--dir DIR] [--sdk PATH] NAME

Writes a new Divar Kenar add-on named NAME: a copy of kenarkit's starter
add-on (cmd/scaffold/starter) under its own module path, then runs
'go mod tidy' in it. NAME starts with a letter and has only letters, digits,
'-' and '_'. The target directory must not exist or be empty; on any failure
nothing is left behind.

The new go.mod requires the kenarkit this scaffold was built from: its
release version, or, when it was built from a local checkout (go run
./cmd/scaffold, or an add-on whose go.mod replaces kenarkit with a
directory), a replace directive to that checkout. It says which.

Flags:
  --module PATH  the new module's path (default NAME), e.g. github.com/you/NAME
  --dir DIR      where to write it (default ./NAME)
  --sdk PATH     build against the kenarkit checkout at PATH (a replace
                 directive), whatever this scaffold was built from
`

// sdkModule is kenarkit's module path.
const sdkModule = "github.com/kenarkit/kenarkit"

// starterModule is the import path of the starter add-on in kenarkit; a
// new add-on's module path takes its place.
const starterModule = sdkModule + "/cmd/scaffold/starter"

// starterFS holds the starter add-on, cmd/scaffold/starter: a package tree
// of kenarkit's own module, so that kenarkit's CI builds, vets, lints and
// tests it as it is, and `go generate ./...` keeps its gen/ current. It has
// no go.mod of its own (a directory holding one cannot be embedded, and a
// second module would have to require a released kenarkit): `scaffold new`
// writes the new add-on's go.mod and rewrites the starter's import path to
// the add-on's module path in every import, as gonew does.
//
//go:embed all:starter
var starterFS embed.FS

// project is what a new add-on is made of.
type project struct {
	Name      string // the add-on's name, also its binary's
	Module    string // its module path
	GoVersion string // the go directive
	SDK       sdkChoice
}

var validName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

func runNew(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("scaffold new", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	modulePath := fset.String("module", "", "")
	dir := fset.String("dir", "", "")
	sdkDir := fset.String("sdk", "", "")
	names, err := parseInterspersed(fset, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, newUsage)
			return errHelpShown
		}
		return fmt.Errorf("scaffold: new: %v (run 'scaffold help new'): %w", err, errUsage)
	}
	if len(names) != 1 {
		return fmt.Errorf("scaffold: new takes exactly one NAME (run 'scaffold help new'): %w", errUsage)
	}
	p, target, err := plan(names[0], *modulePath, *dir, *sdkDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "scaffold: kenarkit: %s\n", p.SDK.Why)
	if err := write(ctx, target, p, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "scaffold: wrote %s (module %s)\n", target, p.Module)
	fmt.Fprint(stdout, nextSteps(target))
	return nil
}

// plan checks the input and decides everything before anything is written.
func plan(name, modulePath, dir, sdkDir string) (project, string, error) {
	if !validName.MatchString(name) {
		return project{}, "", fmt.Errorf("scaffold: invalid NAME %q: use a letter then letters, digits, '-' or '_' (at most 64): %w", name, errUsage)
	}
	if modulePath == "" {
		modulePath = name
	}
	if err := module.CheckImportPath(modulePath); err != nil || strings.HasPrefix(modulePath, sdkModule+"/") || modulePath == sdkModule {
		return project{}, "", fmt.Errorf("scaffold: invalid module path %q: %w", modulePath, errUsage)
	}
	if dir == "" {
		dir = name
	}
	target, err := filepath.Abs(dir)
	if err != nil {
		return project{}, "", fmt.Errorf("scaffold: invalid --dir %q: %w", dir, errUsage)
	}
	if entries, err := os.ReadDir(target); err == nil && len(entries) > 0 {
		return project{}, "", fmt.Errorf("scaffold: %s exists and is not empty: choose another --dir: %w", target, errUsage)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return project{}, "", fmt.Errorf("scaffold: cannot use %s as the target: %w", target, errUsage)
	}
	choice, err := chooseSDK(sdkDir, readBuild())
	if err != nil {
		return project{}, "", err
	}
	return project{Name: name, Module: modulePath, GoVersion: goVersion(), SDK: choice}, target, nil
}

// goVersion is the language version of the go directive: the running
// toolchain's, as major.minor.
func goVersion() string {
	v := strings.TrimPrefix(runtime.Version(), "go")
	if parts := strings.SplitN(v, ".", 3); len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return "1.26"
}

// write writes the add-on into a fresh directory beside target, settles
// its module there (go mod tidy), and only then renames it to target. On
// any failure it removes everything it created, so a failed run leaves
// nothing behind and can simply be run again.
func write(ctx context.Context, target string, p project, stderr io.Writer) (err error) {
	files, err := render(p)
	if err != nil {
		return fmt.Errorf("scaffold: %w", err)
	}
	parent := filepath.Dir(target)
	created, err := mkdirAllNew(parent)
	if err != nil {
		return fmt.Errorf("scaffold: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(target)+".scaffold-")
	if err != nil {
		removeCreated(created)
		return fmt.Errorf("scaffold: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			removeCreated(created)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("scaffold: %w", err)
	}
	for name, data := range files {
		full := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("scaffold: %w", err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			return fmt.Errorf("scaffold: %w", err)
		}
	}
	if err := settle(ctx, tmp, stderr); err != nil {
		return fmt.Errorf("scaffold: %w; nothing was written", err)
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("scaffold: %s: %w", target, err) // not empty after all: keep it
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("scaffold: %w", err)
	}
	return nil
}

// mkdirAllNew creates dir and its missing parents, returning the topmost
// directory it created ("" if dir existed).
func mkdirAllNew(dir string) (string, error) {
	top := ""
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		top = d
	}
	return top, os.MkdirAll(dir, 0o755)
}

func removeCreated(top string) {
	if top != "" {
		os.RemoveAll(top)
	}
}

// The starter's name, replaced by the new add-on's in exactly these places
// (each must be found once: a starter edited past them fails a test).
var nameSpots = map[string]string{
	"main.go":       "// Command starter is",
	"README.md":     "# starter\n",
	"README.fa.md":  "# starter\n",
	"landing.html":  "{{define \"title\"}}starter{{end}}",
	".gitignore":    "/starter\n",
	".dockerignore": "/starter\n",
	"compose.yaml":  "name: starter\n", // the Compose project's name: lowercase
}

// dockerGoVersion is the Dockerfile's Go version, set to the new go.mod's
// go directive: golang images build with GOTOOLCHAIN=local, so an older
// one would refuse the module.
var dockerGoVersion = regexp.MustCompile(`(?m)^ARG GO_VERSION=\S+$`)

// render returns the new add-on's files by slash-separated path: the
// starter's, with its import path rewritten, its name replaced, and a
// go.mod.
func render(p project) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(starterFS, "starter", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(name, "starter/")
		if rel == "starter" || strings.HasPrefix(rel, "bin/") {
			return nil // a binary built in the starter
		}
		data, err := starterFS.ReadFile(name)
		if err != nil {
			return err
		}
		if spot, ok := nameSpots[rel]; ok {
			if bytes.Count(data, []byte(spot)) != 1 {
				return fmt.Errorf("starter/%s: %q is not there once", rel, spot)
			}
			name := p.Name
			if rel == "compose.yaml" {
				name = strings.ToLower(name)
			}
			data = bytes.Replace(data, []byte(spot), []byte(strings.Replace(spot, "starter", name, 1)), 1)
		}
		if rel == "Dockerfile" {
			if len(dockerGoVersion.FindAllIndex(data, -1)) != 1 {
				return fmt.Errorf("starter/%s: %q is not there once", rel, "ARG GO_VERSION=")
			}
			data = dockerGoVersion.ReplaceAll(data, []byte("ARG GO_VERSION="+p.GoVersion))
		}
		if path.Ext(rel) == ".go" {
			if data, err = rewriteImports(rel, data, starterModule, p.Module); err != nil {
				return err
			}
		}
		files[rel] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	if files["go.mod"], err = goMod(p); err != nil {
		return nil, err
	}
	return files, nil
}

// rewriteImports changes every import of from, or of a package under it,
// to the same under to, as gonew does: only import paths change, found by
// parsing the file, and the result is gofmt-ed.
func rewriteImports(name string, src []byte, from, to string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	last := 0
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || (p != from && !strings.HasPrefix(p, from+"/")) {
			continue
		}
		start, end := fset.Position(imp.Path.Pos()).Offset, fset.Position(imp.Path.End()).Offset
		out.Write(src[last:start])
		out.WriteString(strconv.Quote(to + strings.TrimPrefix(p, from)))
		last = end
	}
	if last == 0 {
		return src, nil
	}
	out.Write(src[last:])
	return format.Source(out.Bytes())
}

// goMod is the new add-on's go.mod: its module path, and the kenarkit
// chosen; `go mod tidy` adds the rest.
func goMod(p project) ([]byte, error) {
	f := new(modfile.File)
	if err := f.AddModuleStmt(p.Module); err != nil {
		return nil, err
	}
	if err := f.AddGoStmt(p.GoVersion); err != nil {
		return nil, err
	}
	if err := f.AddRequire(sdkModule, p.SDK.Version); err != nil {
		return nil, err
	}
	if p.SDK.Replace != "" {
		if err := f.AddReplace(sdkModule, "", p.SDK.Replace, p.SDK.ReplaceVersion); err != nil {
			return nil, err
		}
	}
	return f.Format()
}

// settle completes the module: go mod tidy records the requirements of
// what the files import (the generated code's and the generator's, pinned
// by tools.go) in go.mod and go.sum.
func settle(ctx context.Context, dir string, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		stderr.Write(out.Bytes())
		return fmt.Errorf("'go mod tidy' failed (%v)", err)
	}
	return nil
}

func nextSteps(target string) string {
	rel := target
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, target); err == nil && !strings.HasPrefix(r, "..") {
			rel = r
		}
	}
	return fmt.Sprintf(`
Next steps:
  cd %s
  go run %s/cmd/scaffold dev   # the add-on against a local Divar you see and click: prints the playground's address

To run it for Divar:
  export KENAR_IDENTIFICATION_KEY=...   # the identification key from the Kenar panel
  export PUBLIC_URL=https://...         # where Divar and users reach this add-on (a tunnel: see README.md)
  export KENAR_API_KEY=...              # optional: the panel's API key, to act on Divar
  export KENAR_APP_SLUG=... KENAR_OAUTH_SECRET=...   # optional: the app's slug and OAuth secret, to ask consent
  go run .                              # serves on :8080 (PORT to change)
  go test ./...                         # proves the answers, and the whole consent loop, are what Divar accepts

In the Kenar panel:
  "لینک درخواست دیوار برای گرفتن آدرس شروع"  (init callback)   = $PUBLIC_URL/divar/open-server-link
  "لینک درخواست دیوار برای دریافت اکشن پویا" (dynamic action) = $PUBLIC_URL/divar/dynamic-action
  the events URL (subscriptions, chat bot, revocations)        = $PUBLIC_URL/divar/events
  the direct link's Fallback URL                               = $PUBLIC_URL/divar/start
  the OAuth redirect address                                   = $PUBLIC_URL/divar/oauth/callback

Try each callback without Divar, against the running add-on (--url $PUBLIC_URL for the tunnel):
%s`, rel, sdkModule, triggers())
}

// triggers lists a trigger of each of Divar's calls, comments aligned.
func triggers() string {
	const trigger = "go run " + sdkModule + "/cmd/scaffold trigger "
	var b strings.Builder
	for _, t := range [][2]string{
		{"open-server-link", "the init callback"},
		{"dynamic-action --data answer=yes", "the dynamic action"},
		{`event --type NEW_CHATBOT_MESSAGE --text "/start"`, "an event"},
	} {
		fmt.Fprintf(&b, "  %-*s  # %s\n", len(trigger)+48, trigger+t[0], t[1])
	}
	return b.String()
}
