package addonenv_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/kenarkit/kenarkit/sdk/addonenv"
)

// RedisLog is what go-redis takes as its logger (not set here: it is the
// process's).
var _ = func() { redis.SetLogger(addonenv.RedisLog{}) }

// TestRedisLogger: go-redis's messages are lines of the add-on's
// structured log, at warn level, a password masked.
func TestRedisLogger(t *testing.T) {
	tests := []struct {
		name, format string
		args         []any
		want, never  string
	}{
		{"a pool message", "redis: connection pool: failed to dial after %d attempts: %v\n", []any{5, "dial tcp 127.0.0.1:6379: connection refused"},
			`message="redis: connection pool: failed to dial after 5 attempts: dial tcp 127.0.0.1:6379: connection refused"`, "\n\n"},
		{"a URL with a password", "redis: dialing %s", []any{"redis://:s3cret-pw@cache:6379/0"}, "redis://:xxxxx@cache:6379/0", "s3cret-pw"},
		{"a URL with a user and a password", "redis: dialing %s", []any{"rediss://app:s3cret-pw@cache:6380"}, "rediss://app:xxxxx@cache:6380", "s3cret-pw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			addonenv.RedisLogger(slog.New(slog.NewTextHandler(&out, nil))).Printf(context.Background(), tt.format, tt.args...)
			line := out.String()
			if strings.Count(line, "\n") != 1 || !strings.Contains(line, "level=WARN") || !strings.Contains(line, `msg=go-redis`) || !strings.Contains(line, tt.want) {
				t.Errorf("logged %q, want one warn line holding %q", line, tt.want)
			}
			if strings.Contains(line, tt.never) {
				t.Errorf("logged %q, holding %q", line, tt.never)
			}
		})
	}
}
