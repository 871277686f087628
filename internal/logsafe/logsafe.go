// Package logsafe makes a string from the network fit for a log line or
// an error: bounded, and with no control character to forge a line.
package logsafe

import "strings"

// Max is the longest string Clip keeps, in bytes.
const Max = 200

// Clip returns s bounded to Max bytes (then "…") with every control
// character replaced by a space.
func Clip(s string) string {
	if len(s) > Max {
		s = s[:Max] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
