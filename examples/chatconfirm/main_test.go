package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
)

func TestLoadConfig(t *testing.T) {
	const secret = "s3cr3t-api-key"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantKey string
		wantURL string
		wantErr string // the error names this; "" for none
	}{
		{"no API key: runs, sends nothing", map[string]string{}, "", sdk.DefaultBaseURL, ""},
		{"API key: Divar's API", map[string]string{APIKeyVar: secret}, secret, sdk.DefaultBaseURL, ""},
		{"API key with spaces around it", map[string]string{APIKeyVar: " " + secret + "\n"}, secret, sdk.DefaultBaseURL, ""},
		{"API URL elsewhere", map[string]string{APIKeyVar: secret, APIURLVar: "http://127.0.0.1:9999"}, secret, "http://127.0.0.1:9999", ""},
		{"API key of only spaces", map[string]string{APIKeyVar: "  "}, "", "", APIKeyVar},
		{"API URL not absolute", map[string]string{APIKeyVar: secret, APIURLVar: "open-api.divar.ir"}, "", "", APIURLVar},
		{"API URL not http", map[string]string{APIKeyVar: secret, APIURLVar: "ftp://open-api.divar.ir"}, "", "", APIURLVar},
		{"no identification key", map[string]string{"KENAR_IDENTIFICATION_KEY": "", APIKeyVar: secret}, "", "", "KENAR_IDENTIFICATION_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"KENAR_IDENTIFICATION_KEY": "dev-key"}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := loadConfig(func(k string) string { return env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error holds the API key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.APIKey != tc.wantKey || cfg.APIURL != tc.wantURL {
				t.Errorf("APIKey %q, APIURL %q; want %q, %q", cfg.APIKey, cfg.APIURL, tc.wantKey, tc.wantURL)
			}
			if _, err := newServer(cfg, slog.New(slog.DiscardHandler)); err != nil {
				t.Errorf("newServer: %v", err)
			}
		})
	}
}
