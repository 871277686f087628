package event

import (
	"context"
	"slices"
	"testing"
)

// TestANewEventTypeIsOneRow adds an event type as ARCHITECTURE.md says (a
// row of eventKinds; a real one also has its payload's fields in Event and
// Mux): Types lists it and a Mux hands it to its handler,
// with no other change; an event of it without its payload goes to Other.
func TestANewEventTypeIsOneRow(t *testing.T) {
	const typ Type = "POST_VIEWED"
	var handled []string
	old := eventKinds
	t.Cleanup(func() { eventKinds = old })
	eventKinds = append(slices.Clone(old), eventKind{typ, func(m *Mux, e *Event) func(context.Context) error {
		if e.Meta() == nil { // the stand-in for a payload in this test
			return nil
		}
		return func(context.Context) error { handled = append(handled, "viewed"); return nil }
	}})

	if got := Types(); !slices.Contains(got, typ) {
		t.Fatalf("Types() = %v, lacks %s", got, typ)
	}
	mux := &Mux{Other: func(context.Context, *Event) error { handled = append(handled, "other"); return nil }}
	for _, e := range []*Event{
		{Type: typ, Metadata: map[string]any{"post": "gZd7omnS"}},
		{Type: typ},
	} {
		if _, err := mux.Handle(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(handled, []string{"viewed", "other"}) {
		t.Errorf("handled %v, want [viewed other]", handled)
	}
}
