package server_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk/server"
)

// The server compiles the spec into its checks and keeps nothing of the
// document: kin-openapi's openapi3.T of an add-on's spec is a few hundred
// KB of live heap, which under Go's 4 MB minimum heap goal makes every
// collection come sooner (docs/BENCHMARKS.md, the live heap).
func TestServerLetsTheSpecGo(t *testing.T) {
	collected := make(chan struct{})
	spec := func() (*openapi3.T, error) {
		doc, err := gen.GetSpec()
		if err == nil {
			runtime.AddCleanup(doc, func(ch chan struct{}) { close(ch) }, collected)
		}
		return doc, err
	}
	s, err := server.New(server.Config{Spec: spec, Keys: []string{testKey}, Logger: discardLogger()},
		gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	// A cleanup runs on its own goroutine after the collection that finds
	// its object unreachable: give it a few collections and some time.
	for range 200 { // at most 4 s: a busy machine may run the cleanup late
		runtime.GC()
		select {
		case <-collected:
			runtime.KeepAlive(s)
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	runtime.KeepAlive(s)
	t.Fatal("the server still holds the spec's document (*openapi3.T) after New")
}
