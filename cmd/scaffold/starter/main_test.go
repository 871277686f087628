package main

import (
	"strings"
	"testing"
)

// The environment itself (keys, PORT, PUBLIC_URL) is kenarkit's
// addonenv, tested there; this tests what the add-on adds to it.
func TestLoadConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{"KENAR_IDENTIFICATION_KEY": "k"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		name    string
		getenv  func(string) string
		wantErr string // "" when loadConfig must succeed
	}{
		{name: "defaults", getenv: env()},
		{name: "no key refuses to start", getenv: env("KENAR_IDENTIFICATION_KEY", ""), wantErr: "KENAR_IDENTIFICATION_KEY"},
		{name: "session keys must be valid", getenv: env("SESSION_KEYS", "short"), wantErr: "SESSION_KEYS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig(tc.getenv)
			if tc.wantErr == "" {
				if err != nil || cfg.Port != "8080" || len(cfg.Keys) != 1 {
					t.Fatalf("cfg %+v, err %v", cfg, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
			}
		})
	}
}
