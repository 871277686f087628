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

// Join is what each room's Observers returns: nil when obs holds no
// observer that is not nil, that one when it holds one, and multi of them
// when it holds several.
func Join[O comparable](obs []O, multi func([]O) O) O {
	all := NonNil(obs)
	switch len(all) {
	case 0:
		var zero O
		return zero
	case 1:
		return all[0]
	}
	return multi(all)
}
