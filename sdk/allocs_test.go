//go:build !race

package sdk_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk"
)

// TestAValidMessageIsCheckedWithoutAllocating: the pointers of a message's
// fields are written out only for a rule that fails, so checking a valid
// message with buttons allocates nothing (the race detector's own
// allocations would count, hence the build tag).
func TestAValidMessageIsCheckedWithoutAllocating(t *testing.T) {
	msg := sdk.ChatText("آیا مایلید ادامه دهید؟").WithReceiverButtons(sdk.Row(
		sdk.Button("بله", sdk.GetDynamicAction(sdk.Data{"answer": "yes"})),
		sdk.Button("خیر", sdk.OpenDirectLink("https://example.com/no")).WithIcon("HOME"),
	))
	bot := sdk.BotText("ادامه؟", sdk.Row(sdk.Button("بله", sdk.OpenPostPage("AbCd1234"))))
	for _, tc := range []struct {
		name  string
		check func() error
	}{
		{"conversation message", msg.Validate},
		{"bot message", bot.Validate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := allocsOf(t, tc.check); n != 0 {
				t.Errorf("%v allocations per check, want 0", n)
			}
		})
	}
}

// TestNormalizeAKnownValueWithoutAllocating: the seed's "Supply", on every
// init callback, and the other known values in any case are normalised to
// their constants; only an unknown value in lower case is copied.
func TestNormalizeAKnownValueWithoutAllocating(t *testing.T) {
	for _, tc := range []struct {
		name      string
		normalize func() string
		allocs    float64
	}{
		{"user side Supply", func() string { return string(sdk.UserSide("Supply").Normalize()) }, 0},
		{"user side demand", func() string { return string(sdk.UserSide("demand").Normalize()) }, 0},
		{"source post_addon", func() string { return string(sdk.Source("post_addon").Normalize()) }, 0},
		{"touchpoint my_post", func() string { return string(sdk.Touchpoint("my_post").Normalize()) }, 0},
		{"an unknown user side", func() string { return string(sdk.UserSide(string([]byte("sellers"))).Normalize()) }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, func() { _ = tc.normalize() }); n != tc.allocs {
				t.Errorf("%v allocations, want %v", n, tc.allocs)
			}
		})
	}
}

// headerWriter is an http.ResponseWriter that keeps nothing, its header
// map reused.
type headerWriter struct{ h http.Header }

func (w headerWriter) Header() http.Header         { return w.h }
func (w headerWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w headerWriter) WriteHeader(int)             {}

// TestTheAnswersAreWrittenFromPooledBuffers: the init callback's answer
// and the dynamic action's are written from a buffer of the pool, so that
// writing one allocates only its Content-Type's value.
func TestTheAnswersAreWrittenFromPooledBuffers(t *testing.T) {
	w := headerWriter{http.Header{}}
	url := sdk.OpenURL("https://addon.example/landing?s=" + strings.Repeat("A", 300))
	text := sdk.TextMessage("درخواست شما دریافت شد.")
	for _, tc := range []struct {
		name  string
		visit func() error
	}{
		{"init callback", func() error { return url.VisitOpenServerLinkResponse(w) }},
		{"dynamic action", func() error { return text.VisitDynamicActionResponse(w) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := allocsOf(t, tc.visit); n != 1 {
				t.Errorf("%v allocations per answer, want 1", n)
			}
		})
	}
}

// allocsOf is the allocations of a call of f, which must not fail.
func allocsOf(t *testing.T, f func() error) float64 {
	t.Helper()
	return testing.AllocsPerRun(100, func() {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	})
}
