package event_test

import (
	"slices"
	"testing"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk/event"
)

// TestEventTypesAreTheSpecs: the table of event types and the spec's
// x-extensible-enum of EventType name the same types, in the same order.
func TestEventTypesAreTheSpecs(t *testing.T) {
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	ref := spec.Components.Schemas["EventType"]
	if ref == nil || ref.Value == nil {
		t.Fatal("the spec has no EventType schema")
	}
	var want []string
	for _, v := range ref.Value.Extensions["x-extensible-enum"].([]any) {
		want = append(want, v.(string))
	}
	var got []string
	for _, typ := range event.Types() {
		got = append(got, string(typ))
	}
	if !slices.Equal(got, want) {
		t.Errorf("event.Types() = %v, the spec's EventType = %v", got, want)
	}
}
