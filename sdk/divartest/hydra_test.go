package divartest

import (
	"reflect"
	"testing"
)

// TestHydraTextsAreComplete: hydra.json gives every error description the
// fake answers with; a key misspelt there would leave its text empty.
func TestHydraTextsAreComplete(t *testing.T) {
	v := reflect.ValueOf(hydra)
	for i := range v.NumField() {
		if v.Field(i).String() == "" {
			t.Errorf("hydra.json has no text for %s (%s)", v.Type().Field(i).Name, v.Type().Field(i).Tag.Get("json"))
		}
	}
}
