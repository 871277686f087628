package server_test

import (
	"runtime"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/internal/gone"
	"github.com/kenarkit/kenarkit/sdk/server"
)

// The server compiles the spec into its checks and keeps nothing of the
// document: kin-openapi's openapi3.T of an add-on's spec is a few hundred
// KB of live heap, which under Go's 4 MB minimum heap goal makes every
// collection come sooner (docs/BENCHMARKS.md, the live heap).
func TestServerLetsTheSpecGo(t *testing.T) {
	var collected func() bool
	spec := func() (*openapi3.T, error) {
		doc, err := gen.GetSpec()
		if err == nil {
			collected = gone.Watch(doc)
		}
		return doc, err
	}
	s, err := server.New(server.Config{Spec: spec, Keys: []string{testKey}, Logger: discardLogger()},
		gen.RegisterHandlersWithBaseURL, gen.NewStrictHandler(&addon{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !collected() {
		t.Error("the server still holds the spec's document (*openapi3.T) after New")
	}
	runtime.KeepAlive(s)
}
