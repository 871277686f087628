package addonenv_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		getenv  func(string) string
		wantErr string // "" when Load must succeed
		want    addonenv.Env
	}{
		{name: "no key refuses to start", getenv: env(), wantErr: "KENAR_IDENTIFICATION_KEY is not set"},
		{name: "only separators say so", getenv: env("KENAR_IDENTIFICATION_KEY", " , ,"), wantErr: "KENAR_IDENTIFICATION_KEY holds only separators"},
		{name: "defaults", getenv: env("KENAR_IDENTIFICATION_KEY", "k"), want: addonenv.Env{Keys: []string{"k"}, Port: "8080"}},
		{name: "several keys while rotating", getenv: env("KENAR_IDENTIFICATION_KEY", "new, old"), want: addonenv.Env{Keys: []string{"new", "old"}, Port: "8080"}},
		{name: "public URL loses its trailing slash", getenv: env("KENAR_IDENTIFICATION_KEY", "k", "PUBLIC_URL", "https://addon.example.com/", "PORT", "9000"),
			want: addonenv.Env{Keys: []string{"k"}, Port: "9000", PublicURL: "https://addon.example.com"}},
		{name: "port must be a number", getenv: env("KENAR_IDENTIFICATION_KEY", "k", "PORT", "http"), wantErr: "PORT must be a port number"},
		{name: "port must be in range", getenv: env("KENAR_IDENTIFICATION_KEY", "k", "PORT", "70000"), wantErr: "PORT must be a port number"},
		{name: "public URL must be absolute", getenv: env("KENAR_IDENTIFICATION_KEY", "k", "PUBLIC_URL", "addon.example.com"), wantErr: "PUBLIC_URL must be"},
		{name: "public URL takes no query", getenv: env("KENAR_IDENTIFICATION_KEY", "k", "PUBLIC_URL", "https://a.example/?x=1"), wantErr: "PUBLIC_URL must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := addonenv.Load(tc.getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Keys, "|") != strings.Join(tc.want.Keys, "|") || got.Port != tc.want.Port || got.PublicURL != tc.want.PublicURL {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestLoadErrorsNeverShowTheKey(t *testing.T) {
	_, err := addonenv.Load(env("KENAR_IDENTIFICATION_KEY", "secret-key", "PORT", "x"))
	if err == nil || strings.Contains(err.Error(), "secret-key") {
		t.Fatalf("err = %v", err)
	}
	if _, err := addonenv.Load(env("KENAR_IDENTIFICATION_KEY", ",")); !errors.Is(err, addonenv.ErrOnlySeparators) {
		t.Errorf("err = %v, want ErrOnlySeparators", err)
	}
	if _, err := addonenv.Load(env()); !errors.Is(err, addonenv.ErrNoKey) {
		t.Errorf("err = %v, want ErrNoKey", err)
	}
}

func TestListenFillsThePublicURL(t *testing.T) {
	e := addonenv.Env{Keys: []string{"k"}, Port: "0"}
	ln, err := e.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if want := "http://localhost:" + itoa(port); e.PublicURL != want {
		t.Errorf("public URL %q, want %q", e.PublicURL, want)
	}
	kept := addonenv.Env{Keys: []string{"k"}, Port: "0", PublicURL: "https://addon.example.com"}
	ln2, err := kept.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ln2.Close()
	if kept.PublicURL != "https://addon.example.com" {
		t.Errorf("PUBLIC_URL overwritten: %q", kept.PublicURL)
	}
}

func TestListenOnAPortInUseNamesPORT(t *testing.T) {
	busy, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	e := addonenv.Env{Keys: []string{"k"}, Port: itoa(busy.Addr().(*net.TCPAddr).Port)}
	ln, err := e.Listen()
	if err == nil {
		ln.Close()
		t.Fatal("listened on a port in use")
	}
	if !strings.Contains(err.Error(), "set PORT to another port") || !strings.Contains(err.Error(), "in use") {
		t.Errorf("err = %v, want one naming PORT", err)
	}
}

func TestServeLogsTheCallbacksAndTheShutdown(t *testing.T) {
	e := addonenv.Env{Keys: []string{"k"}, Port: "0", PublicURL: "https://addon.example.com"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- e.Serve(ctx, ln, newServer(t, e, logger), logger, slog.String("landing", "https://addon.example.com/landing"))
	}()
	res, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"init_callback=https://addon.example.com/divar/open-server-link",
		"dynamic_action=https://addon.example.com/divar/dynamic-action",
		"events=https://addon.example.com/divar/events",
		"landing=https://addon.example.com/landing",
		"addr=127.0.0.1:",
		"shut down",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs.String())
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestLogLevel: LOG_LEVEL is one of four levels, in any case, info when
// unset; anything else is an error that names the variable.
func TestLogLevel(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        slog.Level
		wantErr     bool
	}{
		{"unset is info", "", slog.LevelInfo, false},
		{"blank is info", "  ", slog.LevelInfo, false},
		{"debug", "debug", slog.LevelDebug, false},
		{"info", "info", slog.LevelInfo, false},
		{"warn", "warn", slog.LevelWarn, false},
		{"error", "error", slog.LevelError, false},
		{"any case, spaces trimmed", " DEBUG ", slog.LevelDebug, false},
		{"warning is not a level", "warning", 0, true},
		{"a number is not a level", "-4", 0, true},
		{"slog's offsets are not levels", "info+2", 0, true},
		{"a typo", "debgu", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := addonenv.LogLevel(env("LOG_LEVEL", tc.value))
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "LOG_LEVEL must be debug, info, warn or error") {
					t.Fatalf("err = %v, want one naming LOG_LEVEL and its values", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("LogLevel = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestLoadTheCallsToDivar(t *testing.T) {
	const key = "KENAR_IDENTIFICATION_KEY"
	for _, tc := range []struct {
		name    string
		getenv  func(string) string
		wantErr string
		check   func(addonenv.Env) string // "" when right
	}{
		{name: "defaults: Divar's URLs, nothing to call with", getenv: env(key, "k"), check: func(e addonenv.Env) string {
			if e.APIKey != "" || e.APIURL != divar.DefaultBaseURL || e.AuthURL() != "https://oauth.divar.ir/oauth2/auth" ||
				e.TokenURL() != "https://oauth.divar.ir/oauth2/token" || e.RedisURL != "" || e.DrainDelay != 0 ||
				strings.Join(e.OAuthMissing(), ",") != "KENAR_APP_SLUG,KENAR_OAUTH_SECRET" {
				return "not the defaults"
			}
			if e.RedisURL != "" {
				return "a Redis without REDIS_URL"
			}
			return ""
		}},
		{name: "everything set", getenv: env(key, "k", "KENAR_API_KEY", " api-key ", "KENAR_API_URL", "http://127.0.0.1:9/",
			"KENAR_APP_SLUG", "my-app", "KENAR_OAUTH_SECRET", "s", "KENAR_OAUTH_URL", "http://127.0.0.1:8/",
			"REDIS_URL", "redis://127.0.0.1:6379/2", "DRAIN_DELAY", "5s"), check: func(e addonenv.Env) string {
			if e.APIKey != "api-key" || e.APIURL != "http://127.0.0.1:9" || e.AuthURL() != "http://127.0.0.1:8/oauth2/auth" ||
				e.TokenURL() != "http://127.0.0.1:8/oauth2/token" || len(e.OAuthMissing()) != 0 || e.DrainDelay != 5*time.Second {
				return "not what was set"
			}
			if e.RedisURL != "redis://127.0.0.1:6379/2" {
				return "not the Redis set"
			}
			return ""
		}},
		{name: "only the secret missing", getenv: env(key, "k", "KENAR_APP_SLUG", "my-app"), check: func(e addonenv.Env) string {
			if strings.Join(e.OAuthMissing(), ",") != "KENAR_OAUTH_SECRET" {
				return "missing " + strings.Join(e.OAuthMissing(), ",")
			}
			return ""
		}},
		{name: "API URL must be absolute", getenv: env(key, "k", "KENAR_API_URL", "open-api.divar.ir"), wantErr: "KENAR_API_URL must be an absolute"},
		{name: "OAuth URL must be absolute", getenv: env(key, "k", "KENAR_OAUTH_URL", "/oauth"), wantErr: "KENAR_OAUTH_URL must be an absolute"},
		{name: "Redis URL must be one, and is never shown", getenv: env(key, "k", "REDIS_URL", "http://:hunter2@redis:6379"), wantErr: "REDIS_URL must be a redis://"},
		{name: "Redis URL must parse, and is never shown", getenv: env(key, "k", "REDIS_URL", "redis://:hunter2@redis:6379/%zz"), wantErr: "REDIS_URL must be a redis://"},
		{name: "drain delay must be a duration", getenv: env(key, "k", "DRAIN_DELAY", "5"), wantErr: "DRAIN_DELAY must be a duration"},
		{name: "drain delay must not be negative", getenv: env(key, "k", "DRAIN_DELAY", "-1s"), wantErr: "DRAIN_DELAY must be a duration"},
		{name: "log level must be one of four", getenv: env(key, "k", "LOG_LEVEL", "verbose"), wantErr: "LOG_LEVEL must be debug, info, warn or error"},
		{name: "log level debug", getenv: env(key, "k", "LOG_LEVEL", "debug"), check: func(e addonenv.Env) string {
			if e.LogLevel != slog.LevelDebug {
				return "LogLevel " + e.LogLevel.String()
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := addonenv.Load(tc.getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(got); msg != "" {
				t.Errorf("%s: %+v", msg, got)
			}
		})
	}
}

// With a drain delay, Serve goes on answering after ctx is done.
func TestServeDrains(t *testing.T) {
	e := addonenv.Env{Keys: []string{"k"}, PublicURL: "https://addon.example.com", DrainDelay: time.Hour}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := newServer(t, e, slog.New(slog.DiscardHandler))
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, ln, h, slog.New(slog.DiscardHandler)) }()
	cancel()
	res, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatalf("a request during the drain: %v", err)
	}
	res.Body.Close()
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v before the drain delay", err)
	default:
	}
	ln.Close() // the test does not wait the hour: closing the listener ends Serve
	<-done
}

// newServer returns the server of an add-on that answers nothing, as
// configured by env.
func newServer(t *testing.T, env addonenv.Env, logger *slog.Logger) *server.Server {
	t.Helper()
	s, err := server.New(env.ServerConfig(gen.GetSpec, logger), gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(nopAddon{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type nopAddon struct{}

func (nopAddon) OpenServerLink(context.Context, gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return sdk.OpenURL("https://addon.example.com/landing"), nil
}

func (nopAddon) DynamicAction(context.Context, gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	return sdk.TextMessage("ok"), nil
}

func (nopAddon) Events(context.Context, gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return event.Ack{}, nil
}
