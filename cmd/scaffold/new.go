package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"text/template"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/kenarkit/kenarkit/api"
)

const newUsage = `Usage: scaffold new [--module PATH] [--dir DIR] [--sdk PATH] NAME

Writes a new Divar Kenar add-on named NAME, with its gen/ generated already
('go generate ./...' there writes the same), then runs 'go mod tidy' in it.
NAME starts with a letter and has only letters, digits, '-' and '_'. The
target directory must not exist or be empty.

Flags:
  --module PATH  the new module's path (default NAME), e.g. github.com/you/NAME
  --dir DIR      where to write it (default ./NAME)
  --sdk PATH     build against the kenarkit checkout at PATH: the new go.mod
                 gets a replace directive to it. Implied when scaffold itself
                 runs from a checkout (go run ./cmd/scaffold).
`

// sdkModule is kenarkit's module path.
const sdkModule = "github.com/kenarkit/kenarkit"

// templates are the new project's files; a name's .tmpl suffix is dropped.
// They are text/template templates with [[ ]] delimiters, except the
// generated code (*.gen.go.tmpl), which is copied as it is: kenarkit's own
// gen/server.gen.go, which `go generate` in gen/ copies here, and which the
// new project's generator, from the same spec and config, writes again.
//
//go:embed all:templates
var templates embed.FS

// project is what the templates are filled with.
type project struct {
	Name       string // the add-on's name, also its binary's
	Module     string // its module path
	GoVersion  string // the go directive
	SDKVersion string // the kenarkit version required
	SDKReplace string // a local kenarkit checkout, or ""
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
	if err := write(target, p); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "scaffold: wrote %s (module %s)\n", target, p.Module)
	if err := settle(ctx, target, stderr); err != nil {
		return fmt.Errorf("scaffold: the files are written, but %w", err)
	}
	fmt.Fprint(stdout, nextSteps(target, p))
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
	p := project{Name: name, Module: modulePath, GoVersion: goVersion()}
	if sdkDir == "" {
		if v := ownVersion(); v != "" {
			p.SDKVersion = v
			return p, target, nil
		}
		// Running from a checkout (go run ./cmd/scaffold): build against it.
		if sdkDir, err = findCheckout(); err != nil {
			return project{}, "", fmt.Errorf("scaffold: this scaffold was built from source: pass --sdk PATH (a kenarkit checkout): %w", errUsage)
		}
	}
	abs, err := checkCheckout(sdkDir)
	if err != nil {
		return project{}, "", err
	}
	p.SDKVersion = "v0.0.0-00010101000000-000000000000"
	p.SDKReplace = abs
	return p, target, nil
}

// ownVersion is the kenarkit version this binary was built from, when it was
// installed as a module (go run …/cmd/scaffold@v1.2.3); "" from a checkout.
func ownVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Path != sdkModule || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return ""
	}
	return bi.Main.Version
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

// findCheckout walks up from the working directory to kenarkit's go.mod.
func findCheckout() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := checkCheckout(dir); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no kenarkit checkout above the working directory")
		}
		dir = parent
	}
}

// checkCheckout returns dir's absolute path if it holds kenarkit's go.mod.
func checkCheckout(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("scaffold: invalid --sdk %q: %w", dir, errUsage)
	}
	data, err := os.ReadFile(filepath.Join(abs, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("scaffold: --sdk %s has no go.mod: %w", abs, errUsage)
	}
	if modfile.ModulePath(data) != sdkModule {
		return "", fmt.Errorf("scaffold: --sdk %s is not a kenarkit checkout (module %s): %w", abs, sdkModule, errUsage)
	}
	return abs, nil
}

// write renders every template into target. On failure it removes what it
// wrote, so a failed run leaves nothing behind.
func write(target string, p project) (err error) {
	files, err := render(p)
	if err != nil {
		return fmt.Errorf("scaffold: %w", err)
	}
	created := false
	if _, statErr := os.Stat(target); errors.Is(statErr, fs.ErrNotExist) {
		created = true
	}
	defer func() {
		if err != nil && created {
			os.RemoveAll(target)
		}
	}()
	for name, data := range files {
		full := filepath.Join(target, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("scaffold: %w", err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			return fmt.Errorf("scaffold: %w", err)
		}
	}
	return nil
}

// render returns the new project's files by slash-separated path.
func render(p project) (map[string][]byte, error) {
	files := map[string][]byte{
		"api/openapi.yaml": append([]byte(specHeader), api.OpenAPI...),
	}
	err := fs.WalkDir(templates, "templates", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := templates.ReadFile(name)
		if err != nil {
			return err
		}
		out := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".tmpl")
		if strings.HasSuffix(out, ".gen.go") {
			files[out] = text
			return nil
		}
		t, err := template.New(path.Base(name)).Delims("[[", "]]").Option("missingkey=error").Parse(string(text))
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, p); err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		files[out] = buf.Bytes()
		return nil
	})
	return files, err
}

const specHeader = `# Divar's callbacks to this add-on, from kenarkit. This file is yours: add
# your own endpoints under paths (and their schemas under components), then
# run 'go generate ./...' to regenerate gen/. Keep the operationIds
# openServerLink and dynamicAction: kenarkit's answers are bound to them.
`

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
		return fmt.Errorf("'go mod tidy' failed in %s (%v): fix the cause and run it again there", dir, err)
	}
	return nil
}

func nextSteps(target string, p project) string {
	rel := target
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, target); err == nil && !strings.HasPrefix(r, "..") {
			rel = r
		}
	}
	return fmt.Sprintf(`
Next steps:
  cd %s
  export KENAR_IDENTIFICATION_KEY=...   # the identification key from the Kenar panel
  export PUBLIC_URL=https://...         # where Divar and users reach this add-on
  go run .                              # serves on :8080 (PORT to change)
  go test ./...                         # proves the answers are what Divar accepts

In the Kenar panel:
  "لینک درخواست دیوار برای گرفتن آدرس شروع"  (init callback)   = $PUBLIC_URL/divar/open-server-link
  "لینک درخواست دیوار برای دریافت اکشن پویا" (dynamic action) = $PUBLIC_URL/divar/dynamic-action
  the events URL, if the add-on subscribes to events           = $PUBLIC_URL/divar/events

Try it locally without Divar:
  go run %s/cmd/scaffold trigger open-server-link --url http://localhost:8080 --key "$KENAR_IDENTIFICATION_KEY"
`, rel, sdkModule)
}
