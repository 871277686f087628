package observers

import (
	"fmt"
	"testing"
)

type obs interface{ name() string }

type named string

func (n named) name() string { return string(n) }

type multi []obs

func (m multi) name() string { return fmt.Sprint(len(m)) }

func TestJoin(t *testing.T) {
	for _, tc := range []struct {
		name string
		obs  []obs
		want obs
	}{
		{"none", nil, nil},
		{"only nils", []obs{nil, nil}, nil},
		{"one among nils", []obs{nil, named("metrics"), nil}, named("metrics")},
		{"two, joined", []obs{named("metrics"), nil, named("tracing")}, multi{named("metrics"), named("tracing")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Join(tc.obs, func(all []obs) obs { return multi(all) })
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Join = %v, want %v", got, tc.want)
			}
		})
	}
}
