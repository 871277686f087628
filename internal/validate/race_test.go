//go:build race

package validate

// raceEnabled: the race detector drops sync.Pool's items at random, so
// counting allocations means nothing under it.
const raceEnabled = true
