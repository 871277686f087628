package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const commit = "e869afac2af2e110d5d116a82d2b9c29a1009c33"

const original = `{"openapi": "3.0.0", "info": {"title": "API کنار", "version": "1.0"},
  "paths": {"/v1/open-platform/users": {"get": {"operationId": "Finder_GetUser", "summary": "کاربر",
    "responses": {"200": {"description": "پاسخ"}}}}}}`

const overlay = "overlay: 1.0.0\ninfo: {title: t, version: 1.0.0}\nactions:\n  - target: $.paths['/v1/open-platform/users'].get\n    update: {x-a: 1}\n"

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		original string // written to a file; "" for none
		args     []string
		overlay  string // "" for none
		wantErr  string
		wantOut  []string
		written  bool
	}{
		{name: "a first pin", original: original, args: []string{"-commit", commit}, overlay: overlay,
			wantOut: []string{"kenar-docs " + commit, "operations: 1 added", "+ GET /v1/open-platform/users (Finder_GetUser)", "wrote "}, written: true},
		{name: "a dry run writes nothing", original: original, args: []string{"-commit", commit, "-n"},
			wantOut: []string{"operations: 1 added"}},
		{name: "an HTML 502 page is refused, nothing written", original: `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>`, args: []string{"-commit", commit},
			wantErr: "not an OpenAPI 3 JSON document: it is an HTML or XML page"},
		{name: "an overlay naming a path the new pin lacks", original: original, args: []string{"-commit", commit},
			overlay: strings.Replace(overlay, "/v1/open-platform/users", "/v1/open-platform/gone", 1), written: true,
			wantErr: "no longer fits the pin; correct it before go generate:\noverlay action 1 (target $.paths['/v1/open-platform/gone'].get): path /v1/open-platform/gone is not in the pin"},
		{name: "no commit", original: original, wantErr: "usage"},
		{name: "a short commit", original: original, args: []string{"-commit", "e869afa"}, wantErr: "not a full kenar-docs commit id"},
		{name: "no such original", args: []string{"-commit", commit}, wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src, pin, ov := filepath.Join(dir, "openapi-v3.json"), filepath.Join(dir, "pin.json"), filepath.Join(dir, "overlay.yaml")
			if tt.original != "" {
				write(t, src, tt.original)
			}
			if tt.overlay != "" {
				write(t, ov, tt.overlay)
			}
			var stdout, stderr strings.Builder
			err := run(append([]string{"-original", src, "-pin", pin, "-overlay", ov}, tt.args...), &stdout, &stderr)
			if tt.wantErr == "usage" {
				if !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), "usage: pindivar") {
					t.Fatalf("err = %v, stderr %q; want the usage", err, stderr.String())
				}
			} else if got := errString(err); !strings.Contains(got, tt.wantErr) || (tt.wantErr == "") != (err == nil) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout has no %q:\n%s", w, stdout.String())
				}
			}
			if _, err := os.Stat(pin); (err == nil) != tt.written {
				t.Errorf("pin written: %v, want %v", err == nil, tt.written)
			}
		})
	}
}

func TestRunAgainSaysNoChange(t *testing.T) {
	dir := t.TempDir()
	src, pin := filepath.Join(dir, "openapi-v3.json"), filepath.Join(dir, "pin.json")
	write(t, src, original)
	args := []string{"-original", src, "-commit", commit, "-pin", pin, "-overlay", filepath.Join(dir, "none.yaml")}
	var out strings.Builder
	if err := run(args, &out, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(args, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "against the current pin, kenar-docs "+commit) || !strings.Contains(out.String(), "no change in Divar's description's facts") {
		t.Errorf("the second pin of the same original says\n%s", out.String())
	}
}

func write(t *testing.T, name, s string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
