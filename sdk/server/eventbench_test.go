package server_test

import (
	"net/http"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/event"
)

// BenchmarkEvent serves documented events through the whole server
// (validator, decoder, handler). Compare before and after a change to the
// event types with benchstat.
func BenchmarkEvent(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"message", seedEvent},
		{"image", `{"type":"NEW_MESSAGE","new_message":{"id":"m1","conversation":{"id":"c","type":"POST","post_token":"gZd7omnS"},` +
			`"sender":{"side":"BUYER","type":"HUMAN"},"type":"IMAGE","sent_at":1729430126140000,` +
			`"image_data":{"link":"https://example.com/images/image1.jpg","size_bytes":204800,"height_px":1080,"width_px":1920}}}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := newMuxServer(b, &event.Mux{})
			b.ReportAllocs()
			for b.Loop() {
				if w := serve(h, divarRequest("/divar/events", bc.body)); w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
