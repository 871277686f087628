package addonenv

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// RedisLog writes go-redis's own messages ("redis: connection pool: …",
// "redis: discarding bad PubSub connection…") as lines of an add-on's
// structured log, at warn level, instead of go-redis's unstructured lines
// on stderr among them. go-redis's logger is the process's, which only
// main may set:
//
//	redis.SetLogger(addonenv.RedisLogger(logger)) // in main, before redisstore.Open
//
// A password in a message (a redis:// URL's) is masked.
type RedisLog struct{ logger *slog.Logger }

// RedisLogger returns go-redis's logger writing to logger.
func RedisLogger(logger *slog.Logger) RedisLog { return RedisLog{logger: logger} }

// Printf logs one go-redis message.
func (l RedisLog) Printf(ctx context.Context, format string, v ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	msg = redisPassword.ReplaceAllString(msg, "${1}xxxxx@")
	l.logger.LogAttrs(ctx, slog.LevelWarn, "go-redis", slog.String("message", msg))
}

// redisPassword matches the user information of a URL up to its
// password: what RedisLog masks.
var redisPassword = regexp.MustCompile(`(\w+://[^:/@\s]*:)[^@\s]+@`)
