// Command floor is the minimal floor of bench/e2e: the least an add-on
// can do for Divar's two seed callbacks on net/http alone. For each of
// POST /divar/open-server-link and POST /divar/dynamic-action it compares
// the Authorization header with the identification key in constant time,
// decodes the body into a two-field struct with encoding/json, and writes
// a fixed answer. No validation, no log, no budget, no hand-off: what the
// scaffolded starter is measured against (docs/BENCHMARKS.md, "The add-on
// end to end").
//
// Usage:
//
//	go run ./cmd/floor -addr 127.0.0.1:18302 [-key bench-identification-key]
package main

import (
	"crypto/subtle"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/kenarkit/kenarkit/bench"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18302", "where to listen")
	key := flag.String("key", bench.Key, "the identification key")
	flag.Parse()
	if err := http.ListenAndServe(*addr, handler([]byte(*key))); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// The fixed answers: an init callback's URL, a dynamic action's text.
var (
	initAnswer    = []byte(`{"url":"https://addon.example/landing"}`)
	dynamicAnswer = []byte(`{"text_message":"درخواست شما دریافت شد."}`)
)

func handler(key []byte) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /divar/open-server-link", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			PostToken string `json:"post_token"`
			UserID    string `json:"user_id"`
		}
		answer(w, r, key, &req, initAnswer)
	})
	mux.HandleFunc("POST /divar/dynamic-action", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			PostToken      string `json:"post_token"`
			ConversationID string `json:"conversation_id"`
		}
		answer(w, r, key, &req, dynamicAnswer)
	})
	return mux
}

// answer checks the key, decodes the body into req and writes the fixed
// answer.
func answer(w http.ResponseWriter, r *http.Request, key []byte, req any, fixed []byte) {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), key) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(fixed)
}
