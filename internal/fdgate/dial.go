package fdgate

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// DialContext connects like a zero net.Dialer's DialContext, holding the
// gate shared while the socket is created: from the start of the dial
// (name resolution included, which opens files and sockets of its own)
// until the socket exists, and not while it connects. A host name is
// resolved first and its addresses are dialled one after the other, each
// through the gate.
func (g *Gate) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if g == nil {
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}
	addrs, err := g.resolve(ctx, network, address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var first error
	for _, a := range addrs {
		c, err := g.dialOne(ctx, network, a)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// dialOne dials address, which names one socket (an IP address and a
// numeric port, or a Unix path), holding the gate shared until the
// dialler's socket exists.
func (g *Gate) dialOne(ctx context.Context, network, address string) (net.Conn, error) {
	g.rlock()
	var once sync.Once
	release := func() { once.Do(g.mu.RUnlock) }
	defer release()
	d := net.Dialer{ControlContext: func(context.Context, string, string, syscall.RawConn) error {
		release() // the socket exists: the connect need not hold the gate
		return nil
	}}
	return d.DialContext(ctx, network, address)
}

// resolve returns the addresses to dial for address, each an IP literal
// with a numeric port, or address itself when it needs no resolving.
func (g *Gate) resolve(ctx context.Context, network, address string) ([]string, error) {
	if strings.HasPrefix(network, "unix") {
		return []string{address}, nil
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	_, hostErr := netip.ParseAddr(host)
	_, portErr := strconv.ParseUint(port, 10, 16)
	if (host == "" || hostErr == nil) && portErr == nil {
		return []string{address}, nil
	}
	var ips []netip.Addr
	var p int
	g.Shared(func() {
		p, err = net.DefaultResolver.LookupPort(ctx, network, port)
		if err == nil && host != "" && hostErr != nil {
			ips, err = net.DefaultResolver.LookupNetIP(ctx, ipNetwork(network), host)
		}
	})
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 { // an empty host or an IP literal: only the port needed looking up
		return []string{net.JoinHostPort(host, strconv.Itoa(p))}, nil
	}
	addrs := make([]string, len(ips))
	for i, ip := range ips {
		addrs[i] = net.JoinHostPort(ip.Unmap().String(), strconv.Itoa(p))
	}
	return addrs, nil
}

// ipNetwork is the resolver's network for a dialler's: ip, ip4 or ip6.
func ipNetwork(network string) string {
	switch {
	case strings.HasSuffix(network, "4"):
		return "ip4"
	case strings.HasSuffix(network, "6"):
		return "ip6"
	}
	return "ip"
}
