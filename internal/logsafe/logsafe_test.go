package logsafe

import (
	"strings"
	"testing"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short and clean", "invalid_grant", "invalid_grant"},
		{"a forged log line", "a\nlevel=ERROR msg=x\r\x7f", "a level=ERROR msg=x  "},
		{"too long", strings.Repeat("x", Max+5), strings.Repeat("x", Max) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clip(tc.in); got != tc.want {
				t.Errorf("Clip(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
