package divar

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/gen/divarapi"
)

// A malformed answer from Divar is an error, never a panic: every decoder
// of the client's answers, and the error reader, on any status and body.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []struct {
		status int
		ct     string
		body   string
	}{
		{200, "application/json", `{}`},
		{200, "application/json", `{"user_id":"u","phone_number":"0912","phone_numbers":["0912"]}`},
		{200, "application/json", `{"token":"gZd7omnS","first_published_at":"2026-01-02T03:04:05Z","data":{"a":[1,{"b":null}]},"business_data":{"business_name":"x"}}`},
		{200, "application/json", `{"posts":[{"token":"t","images":["a"]},null]}`},
		{200, "application/json", `{"conversation_id":"c"}`},
		{200, "application/json; charset=utf-8", `{"first_published_at":"yesterday"}`},
		{200, "text/html", `<html>`},
		{200, "application/json", ``},
		{200, "application/json", `[]`},
		{412, "application/json", `{"code":9,"message":"message delivery failed due to recipient's restriction"}`},
		{429, "application/json", `{"code":"8","message":1}`},
		{502, "text/html", `<h1>Bad Gateway</h1>`},
	} {
		f.Add(s.status, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		check := func(what string, err error) {
			if err != nil && !errors.Is(err, ErrMalformedAnswer) {
				t.Errorf("%s: %v is not ErrMalformedAnswer", what, err)
			}
		}
		_, err := decode[divarapi.FinderUser]("Finder_GetUser", body, nil)
		check("user", err)
		_, err = decode[divarapi.FinderGetPostResponse]("Finder_GetPost", body, nil)
		check("post", err)
		_, err = decode[divarapi.FinderGetUserPostsResponse]("Finder_GetUserPosts", body, nil)
		check("posts", err)
		_, err = decode[divarapi.ChatapiChatBotSendMessageResponse]("ChatAPI_ChatBotSendMessage", body, nil)
		check("bot", err)
		_, err = decode[divarapi.ChatapiGetConversationResponse]("ChatAPI_GetConversation", body, nil)
		check("conversation", err)
		_, err = decode[divarapi.PostGetUserPostResponse]("Post_GetUserPost", body, nil)
		check("user post", err)
		e := newAPIError("op", status, http.Header{"Retry-After": {string(body)}, "X-Ratelimit-Remaining": {string(body)}}, body, time.Now(), []string{"secret"})
		if len([]rune(e.Message)) > maxErrorMessage+1 || strings.Contains(e.Message, "secret") || e.RetryAfter < 0 || e.RetryAfter > 24*time.Hour {
			t.Errorf("APIError %+v", e)
		}
		_ = e.Error()
	})
}

func TestRetryAfterAndRate(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		" 3 ":                           3 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Fri, 27 Nov 2026 10:00:30 GMT": 30 * time.Second,
		"Fri, 27 Nov 2026 09:00:00 GMT": 0,
		"99999999":                      24 * time.Hour,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
	h := http.Header{}
	if r := parseRate(h, now); r != (Rate{}) {
		t.Errorf("no headers: %+v", r)
	}
	h.Set("X-RateLimit-Limit", "100")
	h.Set("X-RateLimit-Remaining", "7")
	h.Set("X-RateLimit-Reset", "60")
	if r := parseRate(h, now); r.Limit != 100 || r.Remaining != 7 || !r.Reset.Equal(now.Add(time.Minute)) {
		t.Errorf("rate = %+v", r)
	}
	// The names without X-, each alone among other headers.
	for _, tc := range []struct {
		name string
		want Rate
	}{
		{"RateLimit-Limit", Rate{Limit: 5, Remaining: -1}},
		{"RateLimit-Remaining", Rate{Limit: -1, Remaining: 5}},
		{"RateLimit-Reset", Rate{Limit: -1, Remaining: -1, Reset: now.Add(5 * time.Second)}},
		{"X-RateLimit-Remaining", Rate{Limit: -1, Remaining: 5}},
		{"X-Rate-Limit", Rate{}},
	} {
		h := http.Header{"Content-Type": {"application/json"}, "Date": {"x"}}
		h.Set(tc.name, "5")
		if r := parseRate(h, now); r != tc.want {
			t.Errorf("%s: rate = %+v, want %+v", tc.name, r, tc.want)
		}
	}
}

// The wait before a retry grows exponentially from MinBackoff, is jittered
// within its upper half, and never exceeds MaxBackoff.
func TestBackoffIsBoundedAndJittered(t *testing.T) {
	c, err := NewClient(Config{APIKey: "k", MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 70; attempt++ {
		want := 2 * time.Second
		if attempt <= 5 {
			want = 100 * time.Millisecond << (attempt - 1) // 100ms … 1.6s
		}
		seen := map[time.Duration]bool{}
		for range 50 {
			d := c.backoff(attempt)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, want/2, want)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("attempt %d: no jitter", attempt)
		}
	}
}
