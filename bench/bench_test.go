package bench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// servers are the peers, in the order docs/BENCHMARKS.md reports them.
// Each is built when its benchmark runs, not at start-up: a run of one
// benchmark (bench/instructions, bench/gate) then builds one server, so
// its start-up, which the count cancels only on average, stays small.
var servers = []struct {
	name string
	h    func() http.Handler
}{
	{"a=kenarkit", Kenarkit},
	{"a+log=kenarkit-logging", KenarkitLogging},
	{"a+obs=kenarkit-observed", KenarkitObserved},
	{"a+met=kenarkit-metrics", KenarkitMetrics},
	{"a+obs10=kenarkit-observed-sampled", KenarkitObservedSampled},
	{"a+obs20=kenarkit-observed-default", KenarkitObservedDefault},
	{"a+obs0=kenarkit-observed-none", KenarkitObservedNone},
	{"b=unvalidated", Unvalidated},
	{"c=stock", Stock},
	{"d=ogen", Ogen},
	{"e=nethttp", Bare},
}

// TestServersAnswer makes sure every benchmark measures a success: each
// server answers each request 200 with the expected answer, and refuses a
// wrong key (all but b, which checks nothing).
func TestServersAnswer(t *testing.T) {
	for _, s := range servers {
		h := s.h()
		for _, r := range Requests() {
			t.Run(s.name+"/"+r.Name, func(t *testing.T) {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, NewRequest(r))
				if w.Code != http.StatusOK {
					t.Fatalf("%d %s", w.Code, w.Body)
				}
				value := "your value" // the seeds' your_key_1
				if r.Name == "largeExtraData" {
					value = "" // its data has no your_key_1
				}
				want := `{"url":"` + Landing("wZC44q5D", value) + `"}`
				if r.Name == "dynamicAction" {
					want = `{"action":{"open_server_link":{"data":{"step":"2"}}},"text_message":"` + Text(value) + `"}`
				}
				if strings.TrimSpace(w.Body.String()) != want {
					t.Errorf("answer %s, want %s", w.Body, want)
				}
				if s.name == "b=unvalidated" {
					return
				}
				bad := NewRequest(r)
				bad.Header.Set("Authorization", "wrong")
				w = httptest.NewRecorder()
				h.ServeHTTP(w, bad)
				if w.Code < 400 || w.Code >= 500 { // the stock chain answers 400
					t.Errorf("a wrong key got %d", w.Code)
				}
			})
		}
	}
}

// BenchmarkServer serves each request in-process with each server. Run:
//
//	go test -run '^$' -bench Server -benchmem -count 6 | tee new.txt
//	benchstat -col /server new.txt
func BenchmarkServer(b *testing.B) {
	for _, r := range Requests() {
		b.Run("req="+r.Name, func(b *testing.B) {
			for _, s := range servers {
				b.Run("server="+s.name, func(b *testing.B) {
					h := s.h()
					body := []byte(r.Body)
					template := NewRequest(r)
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					for b.Loop() {
						req := template.Clone(template.Context())
						req.Body = nopCloser{strings.NewReader(r.Body)}
						w := httptest.NewRecorder()
						h.ServeHTTP(w, req)
						if w.Code != http.StatusOK {
							b.Fatalf("%d %s", w.Code, w.Body)
						}
					}
				})
			}
		})
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }
