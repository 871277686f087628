package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// sdkChoice is the kenarkit a new add-on is built against.
type sdkChoice struct {
	Version        string // required in go.mod
	Replace        string // a replace directive's target: a directory, or a module path with ReplaceVersion
	ReplaceVersion string
	Why            string // what was chosen and why, for the user
}

// zeroVersion is the version a module required only through a replace
// directive carries; the module proxy has nothing at it.
const zeroVersion = "v0.0.0-00010101000000-000000000000"

// build is what the scaffold knows of how it was built.
type build struct {
	sdk       *debug.Module // kenarkit's module: the main one, or a dependency; nil if unknown
	isMain    bool          // kenarkit is the main module (go run ./cmd/scaffold, go run …@v1)
	sourceDir string        // the checkout the scaffold was compiled from, if it still is there
}

// readBuild reads the scaffold's build information and the source
// directory its files were compiled from.
func readBuild() build {
	var b build
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == sdkModule {
			b.sdk, b.isMain = &bi.Main, true
		}
		for _, d := range bi.Deps {
			if d.Path == sdkModule {
				b.sdk = d
			}
		}
	}
	// Built without -trimpath, the file name is where this file was
	// compiled from: a checkout, or the module cache.
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		b.sourceDir = filepath.Dir(filepath.Dir(filepath.Dir(file))) // …/cmd/scaffold/sdk.go
	}
	return b
}

// chooseSDK decides which kenarkit the new add-on requires: the checkout
// --sdk names; else the one this scaffold was built from, as a release
// version when it is one, and as a replace directive to the local
// directory when it was built from one. It never chooses a version the
// module proxy cannot serve.
func chooseSDK(sdkDir string, b build) (sdkChoice, error) {
	if sdkDir != "" {
		abs, err := checkCheckout(sdkDir)
		if err != nil {
			return sdkChoice{}, err
		}
		return local(abs, "the checkout --sdk names"), nil
	}
	m := b.sdk
	switch {
	case m != nil && m.Replace != nil && m.Replace.Version != "" && m.Replace.Version != "(devel)":
		return sdkChoice{Version: m.Version, Replace: m.Replace.Path, ReplaceVersion: m.Replace.Version,
			Why: fmt.Sprintf("%s, replaced by %s %s, as in the module this scaffold was built from", m.Version, m.Replace.Path, m.Replace.Version)}, nil
	case m != nil && m.Replace != nil:
		for _, dir := range []string{m.Replace.Path, b.sourceDir} {
			if !filepath.IsAbs(dir) {
				continue
			}
			if abs, err := checkCheckout(dir); err == nil {
				return local(abs, "the local directory this scaffold was built from (a replace directive in its module)"), nil
			}
		}
	case m != nil && isRelease(m.Version):
		return sdkChoice{Version: m.Version, Why: m.Version + ", the version this scaffold was built from"}, nil
	}
	if b.sourceDir != "" {
		if abs, err := checkCheckout(b.sourceDir); err == nil {
			return local(abs, "the local checkout this scaffold was built from"), nil
		}
	}
	if m != nil && m.Version != zeroVersion && module.IsPseudoVersion(m.Version) && semver.Build(m.Version) == "" {
		return sdkChoice{Version: m.Version, Why: m.Version + ", the commit this scaffold was built from"}, nil
	}
	return sdkChoice{}, fmt.Errorf("scaffold: cannot tell which kenarkit this scaffold was built from: pass --sdk PATH (a kenarkit checkout): %w", errUsage)
}

func local(dir, why string) sdkChoice {
	return sdkChoice{Version: zeroVersion, Replace: dir, Why: fmt.Sprintf("%s, %s (replace directive)", dir, why)}
}

// isRelease reports whether v is a version the module proxy serves as a
// release: semantic, not a pseudo-version, no build suffix (+dirty).
func isRelease(v string) bool {
	return semver.IsValid(v) && !module.IsPseudoVersion(v) && semver.Build(v) == ""
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

// versionLine is what `scaffold version` prints.
func versionLine(b build) string {
	v := "unknown"
	if b.sdk != nil {
		v = b.sdk.Version
		if b.sdk.Replace != nil {
			v += " => " + b.sdk.Replace.Path
			if rv := b.sdk.Replace.Version; rv != "" && rv != "(devel)" {
				v += " " + rv
			}
		}
	}
	if (b.sdk == nil || !isRelease(b.sdk.Version)) && b.sourceDir != "" {
		if _, err := checkCheckout(b.sourceDir); err == nil {
			v += " (built from " + b.sourceDir + ")"
		}
	}
	return fmt.Sprintf("scaffold %s (%s, %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
