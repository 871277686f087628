package validate

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"
)

// inPlace decodes a []byte without copying it (a jsontext.Decoder reads a
// bytes.Buffer in place); it is meant to be recycled, with its decoder's
// state. Duplicate names are the user's to find: the validator finds them
// itself.
type inPlace struct {
	d  jsontext.Decoder
	in bytes.Buffer
}

// load points the decoder at b.
func (r *inPlace) load(b []byte) {
	r.in = *bytes.NewBuffer(b)
	r.d.Reset(&r.in, jsontext.AllowDuplicateNames(true))
}

// forget drops the decoder's reference to the bytes it read.
func (r *inPlace) forget() {
	r.in = bytes.Buffer{}
	r.d.Reset(&r.in)
}
