// Package observers holds what the rooms' joins of several observers
// share.
package observers

// NonNil returns the observers of obs that are not nil (an interface
// holding a nil pointer is kept: it is the caller's observer).
func NonNil[O comparable](obs []O) []O {
	var zero O
	var all []O
	for _, o := range obs {
		if o != zero {
			all = append(all, o)
		}
	}
	return all
}
