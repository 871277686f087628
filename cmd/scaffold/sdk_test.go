package main

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestChooseSDK(t *testing.T) {
	root := repoRoot(t)
	cache := filepath.Join(t.TempDir(), "pkg", "mod", "github.com", "kenarkit", "kenarkit@v1.2.0")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "go.mod"), []byte("module "+sdkModule+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mod := func(version string, replace *debug.Module) *debug.Module {
		return &debug.Module{Path: sdkModule, Version: version, Replace: replace}
	}
	for _, tc := range []struct {
		name        string
		sdkFlag     string
		b           build
		wantVersion string
		wantReplace string
		wantErr     string
	}{
		{name: "go run …/cmd/scaffold@v1.2.0: the release", b: build{sdk: mod("v1.2.0", nil), isMain: true, sourceDir: cache}, wantVersion: "v1.2.0"},
		{name: "an add-on's pinned tool on a release: the release", b: build{sdk: mod("v1.2.0", nil), sourceDir: cache}, wantVersion: "v1.2.0"},
		{name: "an add-on's pinned tool replaced by a checkout: the checkout", b: build{sdk: mod(zeroVersion, &debug.Module{Path: root, Version: "(devel)"})}, wantVersion: zeroVersion, wantReplace: root},
		{name: "a relative replace: the directory compiled from", b: build{sdk: mod(zeroVersion, &debug.Module{Path: "../kenarkit"}), sourceDir: root}, wantVersion: zeroVersion, wantReplace: root},
		{name: "go run ./cmd/scaffold in a checkout: the checkout", b: build{sdk: mod("(devel)", nil), isMain: true, sourceDir: root}, wantVersion: zeroVersion, wantReplace: root},
		{name: "go install in a checkout (a +dirty pseudo-version): the checkout", b: build{sdk: mod("v0.0.0-20261127100000-abcdefabcdef+dirty", nil), isMain: true, sourceDir: root}, wantVersion: zeroVersion, wantReplace: root},
		{name: "a pushed commit, source gone: the commit", b: build{sdk: mod("v0.0.0-20261127100000-abcdefabcdef", nil)}, wantVersion: "v0.0.0-20261127100000-abcdefabcdef"},
		{name: "a module replaced by another version: the same replace", b: build{sdk: mod("v1.2.0", &debug.Module{Path: "example.com/fork", Version: "v1.2.1"})}, wantVersion: "v1.2.0", wantReplace: "example.com/fork"},
		{name: "--sdk wins", sdkFlag: root, b: build{sdk: mod("v1.2.0", nil)}, wantVersion: zeroVersion, wantReplace: root},
		{name: "the zero version with its checkout gone: refused, never required", b: build{sdk: mod(zeroVersion, &debug.Module{Path: "/nowhere"})}, wantErr: "pass --sdk"},
		{name: "devel with no source: refused", b: build{sdk: mod("(devel)", nil), isMain: true}, wantErr: "pass --sdk"},
		{name: "no build information: refused", b: build{}, wantErr: "pass --sdk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chooseSDK(tc.sdkFlag, tc.b)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, errUsage) {
					t.Fatalf("chose %+v, err %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != tc.wantVersion || got.Replace != tc.wantReplace || got.Why == "" {
				t.Errorf("chose %+v, want version %s, replace %q and a reason", got, tc.wantVersion, tc.wantReplace)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := runScaffold(t, args...)
		// A test binary is built from this checkout: it says so.
		if code != 0 || !strings.HasPrefix(stdout, "scaffold ") || !strings.Contains(stdout, "go1.") || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

// A failure after the files are written (here, go mod tidy) leaves
// nothing behind: no target, no temporary folder, no parent created for
// it; a second run then succeeds where the first failed.
func TestNewLeavesNothingOnFailure(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte("#!/bin/sh\necho 'go: module lookup disabled' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	root := repoRoot(t)
	for _, tc := range []struct{ name, dir string }{
		{"a new target", "myaddon"},
		{"a target under missing parents", filepath.Join("a", "b", "myaddon")},
		{"an empty target", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wd := t.TempDir()
			t.Chdir(wd)
			if tc.dir == "empty" {
				if err := os.Mkdir("empty", 0o755); err != nil {
					t.Fatal(err)
				}
			}
			code, _, stderr := runScaffold(t, "new", "--sdk", root, "--dir", tc.dir, "myaddon")
			if code != 1 || !strings.Contains(stderr, "go mod tidy") || !strings.Contains(stderr, "nothing was written") {
				t.Errorf("exit %d, stderr %q; want 1 and why", code, stderr)
			}
			entries, _ := os.ReadDir(wd)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if want := map[bool]string{true: "empty", false: ""}[tc.dir == "empty"]; strings.Join(names, " ") != want {
				t.Errorf("left %q in the working directory, want %q", names, want)
			}
		})
	}
}
