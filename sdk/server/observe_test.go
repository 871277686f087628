package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kenarkit/kenarkit/sdk/server"
)

// noter is an Observer that notes its name when a request arrives
// and when it is told the result; quiet ones ask to be told nothing.
type noter struct {
	name  string
	quiet bool
	log   *[]string
}

func (o noter) ObserveRequest(ctx context.Context, r server.Request) (context.Context, func(server.Result)) {
	*o.log = append(*o.log, o.name+" arrives")
	if o.quiet {
		return ctx, nil
	}
	return ctx, func(server.Result) { *o.log = append(*o.log, o.name+" told") }
}

// Observers tells each observer in turn, and their results in reverse
// order; an observer that asks to be told nothing (a nil done) is not,
// and with one done left the join adds no allocation of its own.
func TestObserversJoinTheirDones(t *testing.T) {
	for _, tc := range []struct {
		name string
		obs  []noter
		want string
	}{
		{"two told", []noter{{name: "metrics"}, {name: "tracer"}}, "metrics arrives, tracer arrives, tracer told, metrics told"},
		{"the tracer quiet", []noter{{name: "metrics"}, {name: "tracer", quiet: true}}, "metrics arrives, tracer arrives, metrics told"},
		{"all quiet", []noter{{name: "a", quiet: true}, {name: "b", quiet: true}}, "a arrives, b arrives"},
		{"three, one quiet", []noter{{name: "a"}, {name: "b", quiet: true}, {name: "c"}}, "a arrives, b arrives, c arrives, c told, a told"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log []string
			var obs []server.Observer
			for _, o := range tc.obs {
				o.log = &log
				obs = append(obs, o)
			}
			_, done := server.Observers(obs...).ObserveRequest(context.Background(), server.Request{Operation: "OpenServerLink"})
			if done != nil {
				done(server.Result{Status: 200})
			}
			if got := strings.Join(log, ", "); got != tc.want {
				t.Errorf("%s, want %s", got, tc.want)
			}
		})
	}

	m := server.Observers(quietOrNot{}, quietOrNot{quiet: true})
	if allocs := testing.AllocsPerRun(100, func() { _, _ = m.ObserveRequest(context.Background(), server.Request{}) }); allocs != 0 {
		t.Errorf("%v allocations joining one done and a nil one, want 0", allocs)
	}
}

// quietOrNot returns a done made once, or none.
type quietOrNot struct{ quiet bool }

var doneOnce = func(server.Result) {}

func (o quietOrNot) ObserveRequest(ctx context.Context, _ server.Request) (context.Context, func(server.Result)) {
	if o.quiet {
		return ctx, nil
	}
	return ctx, doneOnce
}
