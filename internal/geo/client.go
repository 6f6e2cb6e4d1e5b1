package geo

import (
	"context"
	"net"
	"net/netip"
	"strings"
)

type clientKey struct{}

// NewClientContext returns ctx carrying the HTTP client's address as the server resolved it.
func NewClientContext(ctx context.Context, addr netip.Addr) context.Context {
	return context.WithValue(ctx, clientKey{}, addr)
}

// ClientFromContext returns the address stored by NewClientContext.
func ClientFromContext(ctx context.Context) (netip.Addr, bool) {
	a, ok := ctx.Value(clientKey{}).(netip.Addr)
	return a, ok && a.IsValid()
}

// ClientAddr returns the client's address of an HTTP request: the TCP peer (remoteAddr,
// "host:port"), unless the peer is one of the trusted proxies, in which case X-Forwarded-For
// (xff: every header value, in order) is read from the right, skipping trusted proxies, and
// the first untrusted address is the client. Untrusted peers' X-Forwarded-For is ignored,
// since anyone can send the header.
func ClientAddr(remoteAddr string, xff []string, trusted []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer
	}
	var hops []string
	for _, v := range xff {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			if ap, err2 := netip.ParseAddrPort(strings.TrimSpace(hops[i])); err2 == nil {
				a, err = ap.Addr(), nil
			}
		}
		if err != nil {
			return client // a malformed hop: trust nothing further left
		}
		client = a.Unmap()
		if !isTrusted(client, trusted) {
			return client
		}
	}
	return client
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
