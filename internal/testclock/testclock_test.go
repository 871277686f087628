package testclock

import (
	"testing"
	"time"
)

func TestClockMovesOnlyWhenTold(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	c := New(t0)
	for _, step := range []struct {
		name string
		move func()
		want time.Time
	}{
		{"at its start", func() {}, t0},
		{"advanced", func() { c.Advance(time.Hour) }, t0.Add(time.Hour)},
		{"set", func() { c.Set(t0.Add(time.Minute)) }, t0.Add(time.Minute)},
	} {
		step.move()
		if got := c.Now(); !got.Equal(step.want) {
			t.Errorf("%s: %v, want %v", step.name, got, step.want)
		}
	}
}
