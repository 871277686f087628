package divar

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The errors of [Client]'s calls to Divar. Compare with errors.Is; an
// answer from Divar is an [*APIError] that is one of these, and carries
// Divar's message.
var (
	// ErrRateLimited: Divar answered 429, the app's per-minute limit or
	// daily quota is spent (kenar-docs docs/scopes/README.md).
	ErrRateLimited = errors.New("divar: Divar's rate limit reached")
	// ErrUnauthorized: Divar answered 401, the API key or the user's token
	// is missing, wrong, expired or revoked.
	ErrUnauthorized = errors.New("divar: Divar refused the API key or the user's token")
	// ErrForbidden: Divar answered 403, the API key lacks the operation's
	// permission (Kenar panel) or the token lacks its OAuth scope.
	ErrForbidden = errors.New("divar: Divar refused: missing permission or OAuth scope")
	// ErrRecipientBlocked: Divar answered 412 with code 9, the recipient
	// blocked the sender or a side is blacklisted; the message was not
	// delivered (kenar-docs docs/chat/users_conversations.md).
	ErrRecipientBlocked = errors.New("divar: message not delivered: recipient's restriction")
	// ErrNotFound: Divar answered 404.
	ErrNotFound = errors.New("divar: not found at Divar")
	// ErrValidation: Divar answered 400 (or code 3, invalid argument):
	// it refused the request; its message says why.
	ErrValidation = errors.New("divar: Divar refused the request as invalid")
	// ErrDivarUnavailable: Divar answered 5xx.
	ErrDivarUnavailable = errors.New("divar: Divar failed to answer")
	// ErrMalformedAnswer: Divar's answer could not be read as the
	// operation's answer (not JSON, the wrong shape, too large).
	ErrMalformedAnswer = errors.New("divar: Divar's answer could not be read")
	// ErrNoAPIKey: a [Config] without an API key.
	ErrNoAPIKey = errors.New("divar: no API key configured (set the app's API key from the Kenar panel)")
	// ErrNoToken: a call made for a user without a token source, or whose
	// token source gave an empty access token.
	ErrNoToken = errors.New("divar: no OAuth access token for the user")
)

// APIError is Divar's refusal of a call: the HTTP status, Divar's code
// and message (a Google RPC status), and how long Divar asked to wait. It
// is errors.Is the sentinel of its status: [ErrRateLimited],
// [ErrUnauthorized], [ErrForbidden], [ErrRecipientBlocked], [ErrNotFound],
// [ErrValidation] or [ErrDivarUnavailable]. It never holds the API key or
// a token.
type APIError struct {
	// Operation is Divar's operationId ("ChatAPI_ConversationSendMessage"),
	// or "METHOD path" for a [Client.Do] outside Divar's description.
	Operation  string
	StatusCode int
	// Code is Divar's code, a gRPC code (9 with 412: recipient's
	// restriction); 0 when the body had none.
	Code int
	// Message is Divar's message, at most 512 characters.
	Message string
	// RetryAfter is the wait Divar asked for in Retry-After; 0 when none.
	RetryAfter time.Duration
	// Rate is the rate-limit state Divar reported with the answer, if any.
	Rate Rate
	// Attempts is how many times the call was sent.
	Attempts int
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "divar: %s: Divar answered %d %s", e.Operation, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != 0 {
		fmt.Fprintf(&b, " (code %d)", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrRecipientBlocked:
		return e.StatusCode == http.StatusPreconditionFailed && e.Code == grpcFailedPrecondition
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrValidation:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity ||
			(e.StatusCode/100 == 4 && e.Code == grpcInvalidArgument)
	case ErrDivarUnavailable:
		return e.StatusCode >= 500
	}
	return false
}

// The gRPC codes Divar's errors carry.
const (
	grpcInvalidArgument    = 3
	grpcFailedPrecondition = 9
)

// Rate is what Divar reported of the app's rate limit, from the
// conventional X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset headers (or their RateLimit-* spellings). Divar
// documents none of them: a zero Rate means Divar sent nothing.
type Rate struct {
	Limit     int       // requests allowed in the window; -1 when not sent
	Remaining int       // requests left in the window; -1 when not sent
	Reset     time.Time // when the window resets; zero when not sent
}

// maxErrorMessage bounds the message kept from an error body.
const maxErrorMessage = 512

// parseRate reads the rate-limit headers of h.
func parseRate(h http.Header, now time.Time) Rate {
	// Most answers carry none: the names are looked at once before six
	// lookups (each name below has "Ratelimit-" in it).
	rated := false
	for name := range h {
		if strings.Contains(name, "Ratelimit-") {
			rated = true
			break
		}
	}
	if !rated {
		return Rate{}
	}
	r := Rate{Limit: -1, Remaining: -1}
	num := func(names ...string) (int, bool) {
		for _, n := range names {
			if v := h[n]; len(v) > 0 && v[0] != "" {
				v := v[0]
				if i, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && i >= 0 {
					return i, true
				}
			}
		}
		return 0, false
	}
	// The names are canonical (http.CanonicalHeaderKey), looked up as
	// they are.
	if v, ok := num("X-Ratelimit-Limit", "Ratelimit-Limit"); ok {
		r.Limit = v
	}
	if v, ok := num("X-Ratelimit-Remaining", "Ratelimit-Remaining"); ok {
		r.Remaining = v
	}
	if v, ok := num("X-Ratelimit-Reset", "Ratelimit-Reset"); ok {
		if v > 1_000_000_000 { // epoch seconds
			r.Reset = time.Unix(int64(v), 0)
		} else { // seconds from now
			r.Reset = now.Add(time.Duration(v) * time.Second)
		}
	}
	if r.Limit < 0 && r.Remaining < 0 && r.Reset.IsZero() {
		return Rate{}
	}
	return r
}

// parseRetryAfter reads Retry-After: delay seconds or an HTTP date. It
// reports 0 for none or an unreadable one.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > 86400 {
			s = 86400
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		if d := t.Sub(now); d < 24*time.Hour {
			return d
		}
		return 24 * time.Hour
	}
	return 0
}

// newAPIError reads Divar's error answer. A body that is not Divar's
// error object still gives the status; its text is not kept, since it may
// be anything (a proxy's page).
func newAPIError(op string, status int, h http.Header, body []byte, now time.Time, secrets []string) *APIError {
	e := &APIError{
		Operation:  op,
		StatusCode: status,
		RetryAfter: parseRetryAfter(h.Get("Retry-After"), now),
		Rate:       parseRate(h, now),
	}
	var s struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &s) == nil {
		if c, err := strconv.Atoi(string(s.Code)); err == nil {
			e.Code = c
		}
		e.Message = cleanMessage(s.Message, secrets)
	}
	return e
}

// cleanMessage keeps a readable, bounded message without any secret
// Divar may have echoed.
func cleanMessage(m string, secrets []string) string {
	m = strings.ToValidUTF8(m, "�")
	m = cleanSecrets(m, secrets)
	m = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, m)
	if utf8.RuneCountInString(m) > maxErrorMessage {
		m = string([]rune(m)[:maxErrorMessage]) + "…"
	}
	return m
}
