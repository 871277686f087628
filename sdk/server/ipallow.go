package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// DivarIPRanges are the addresses Divar documents for the calls it makes to
// add-ons. Divar may change them: keep the allowlist off unless the add-on
// must refuse everyone else, and watch Divar's announcements when it is on.
var DivarIPRanges = []string{"78.111.6.41/32", "78.111.6.42/32", "78.111.6.43/32", "31.214.250.128/27"}

// IPAllowlistConfig configures [ServerConfig.IPAllowlist].
type IPAllowlistConfig struct {
	// Skipper skips the check for a request when it returns true (the
	// shape of echo's middleware.Skipper, which sdk/server does not import:
	// echo's middleware package brings html/template into every add-on's
	// build).
	Skipper func(echo.Context) bool
	// Allowed are the addresses (CIDR prefixes or single IPs) a request may
	// come from; DivarIPRanges when empty.
	Allowed []string
	// TrustedProxies are the addresses (CIDR prefixes or single IPs) of the
	// reverse proxies in front of the add-on. X-Forwarded-For is read only
	// when the connection comes from one of them, and only as far back as
	// they go: the client is the right-most address that is not a trusted
	// proxy. Empty: X-Forwarded-For is never trusted.
	TrustedProxies []string
}

type ipCheck struct{ allowed, proxies []netip.Prefix }

func newIPCheck(cfg IPAllowlistConfig) (*ipCheck, error) {
	allowed := cfg.Allowed
	if len(allowed) == 0 {
		allowed = DivarIPRanges
	}
	c := &ipCheck{}
	var err error
	if c.allowed, err = parsePrefixes(allowed); err != nil {
		return nil, fmt.Errorf("server: IPAllowlist: Allowed: %w", err)
	}
	if c.proxies, err = parsePrefixes(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("server: IPAllowlist: TrustedProxies: %w", err)
	}
	return c, nil
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// client returns the address the request comes from, reading
// X-Forwarded-For only through trusted proxies.
func (c *ipCheck) client(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	a = a.Unmap()
	if !contains(c.proxies, a) {
		return a, true
	}
	var hops []string
	for _, v := range r.Header.Values(echo.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false // a hop we cannot read: refuse
		}
		if a = h.Unmap(); !contains(c.proxies, a) {
			return a, true
		}
	}
	return a, true // every hop is a trusted proxy
}

func (c *ipCheck) allows(r *http.Request) bool {
	a, ok := c.client(r)
	return ok && contains(c.allowed, a)
}
