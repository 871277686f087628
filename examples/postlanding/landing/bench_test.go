package landing_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/kenarkit/kenarkit/examples/postlanding/landing"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/divartest"
)

// seedInit is the seed's init callback, as bench/ sends it.
const seedInit = `{"return_url":"https://divar.ir/","source":"POST_ADDON","post_token":"wZC44q5D","conversation_id":"6b3d5cf7-9291-4fa9-892a-9d07e300daea","user_side":"Supply","extra_data":{"your_key_1":"your value","your_key_2":"your value"},"user_id":"6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI="}`

// BenchmarkInitCallback is the add-on's init callback in process, from
// the request to the answer: key check, validation, the hand-off, JSON.
func BenchmarkInitCallback(b *testing.B) {
	e, err := landing.NewServer(landing.Config{Keys: []string{divartest.Key}, PublicURL: "https://addon.example",
		SessionKeys: [][]byte{key}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	// The same server answering a fixed URL: the floor of the hand-off.
	fixed, err := server.New(server.Config{Spec: gen.GetSpec, Keys: []string{divartest.Key}, Logger: slog.New(slog.DiscardHandler)}, gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(fixedURL{}, nil))
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		h          http.Handler
	}{
		{"seed", seedInit, e},
		{"1.4KB", strings.Replace(seedInit, `"your value"}`, `"`+strings.Repeat("x", 1400)+`"}`, 1), e},
		{"seed-fixedURL", seedInit, fixed},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			body := strings.NewReader(tc.body)
			req := httptest.NewRequest(http.MethodPost, "/divar/open-server-link", body)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", divartest.Key)
			w := &discardWriter{h: http.Header{}}
			for b.Loop() {
				body.Reset(tc.body)
				req.Body = io.NopCloser(body) // the server wraps it
				clear(w.h)
				w.code = 0
				tc.h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}

type fixedURL struct{}

func (fixedURL) OpenServerLink(context.Context, gen.OpenServerLinkRequestObject) (gen.OpenServerLinkResponseObject, error) {
	return sdk.OpenURL("https://addon.example/landing"), nil
}

func (fixedURL) DynamicAction(context.Context, gen.DynamicActionRequestObject) (gen.DynamicActionResponseObject, error) {
	return sdk.TextMessage("ok"), nil
}

func (fixedURL) Events(context.Context, gen.EventsRequestObject) (gen.EventsResponseObject, error) {
	return event.Ack{}, nil
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(code int) { w.code = code }
