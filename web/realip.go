package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// DefaultTrustedProxies is the list of peers whose X-Forwarded-For and
// X-Real-IP headers are believed when Config.TrustedProxies is nil: the
// loopback addresses, where a reverse proxy on the same machine connects
// from.
const DefaultTrustedProxies = "127.0.0.0/8, ::1"

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR
// prefixes ("10.0.0.0/8, 192.0.2.7"); "none" or "" trusts no peer.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	out := []netip.Prefix{}
	if s := strings.TrimSpace(list); s == "" || s == "none" {
		return out, nil
	}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", item)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// realIP sets r.RemoteAddr to the client's address as a trusted reverse
// proxy reports it. Only when the connection comes from a trusted proxy
// are X-Forwarded-For (read from the right, skipping further trusted
// proxies) and then X-Real-IP believed; anyone else could put any address
// there and so dodge the per-client rate limits. The port is dropped
// from a forwarded address, as it is the proxy's business.
func (s *Server) realIP(next http.Handler) http.Handler {
	trusted := s.cfg.TrustedProxies
	if trusted == nil {
		trusted, _ = ParseTrustedProxies(DefaultTrustedProxies)
	}
	isTrusted := func(a netip.Addr) bool {
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if peer, err := netip.ParseAddrPort(r.RemoteAddr); err == nil && len(trusted) > 0 && isTrusted(peer.Addr()) {
			if client, ok := forwardedClient(r.Header, isTrusted); ok {
				r.RemoteAddr = net.JoinHostPort(client.String(), "0")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// forwardedClient returns the address the nearest trusted proxy saw: the
// rightmost X-Forwarded-For entry that is not itself a trusted proxy, or
// else X-Real-IP. Entries that are not addresses end the search.
func forwardedClient(h http.Header, isTrusted func(netip.Addr) bool) (netip.Addr, bool) {
	var hops []string
	for _, v := range h.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if i > 0 && isTrusted(a) {
			continue
		}
		return a.Unmap(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(h.Get("X-Real-IP"))); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}
