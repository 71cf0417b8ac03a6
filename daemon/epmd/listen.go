package epmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"syscall"

	"chatd/internal/fdgate"
)

// loopbacks returns 127.0.0.1 and ::1, the addresses epmd always listens on.
func loopbacks() []netip.Addr {
	return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}
}

// ListenPort starts an embedded mapper on port where epmd listens: on
// 127.0.0.1 and ::1, and on each of c.Addresses (resolved when they are
// host names). A host without an IPv6 loopback gets a warning and a mapper
// on IPv4 alone. Port 0 picks a free port on the first address and uses
// it for the others. ctx bounds resolving and binding; the server runs
// until Close.
func (c ServerConfig) ListenPort(ctx context.Context, port int) (*Server, error) {
	c = c.withDefaults()
	addrs, err := listenAddrs(ctx, c.Addresses, c.Gate)
	if err != nil {
		return nil, err
	}
	var lns []net.Listener
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	for _, a := range addrs {
		ln, err := c.listenTCP(ctx, a, port)
		if err != nil && a == netip.IPv6Loopback() && noIPv6(err) {
			c.Logger.Warn("port mapper serves IPv4 only: this host has no IPv6 loopback", "addr", net.JoinHostPort(a.String(), strconv.Itoa(port)), "err", err)
			continue
		}
		if err != nil {
			closeAll()
			return nil, err
		}
		if port == 0 {
			port = ln.Addr().(*net.TCPAddr).Port
		}
		lns = append(lns, ln)
	}
	return c.serve(lns...), nil
}

// listenAddrs returns the loopbacks and extra (IP addresses or host names,
// resolved), without repeats, leaving out a loopback that an unspecified
// address of its family (0.0.0.0, ::) already covers.
func listenAddrs(ctx context.Context, extra []string, gate *fdgate.Gate) ([]netip.Addr, error) {
	var more []netip.Addr
	for _, host := range extra {
		if ip, err := netip.ParseAddr(host); err == nil {
			more = append(more, ip.Unmap())
			continue
		}
		var ips []netip.Addr
		var err error
		gate.Shared(func() { ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host) })
		if err != nil {
			return nil, fmt.Errorf("port mapper address %q: %w", host, err)
		}
		for _, ip := range ips {
			more = append(more, ip.Unmap())
		}
	}
	var addrs []netip.Addr
	for _, lo := range loopbacks() {
		covered := slices.ContainsFunc(more, func(a netip.Addr) bool { return a.IsUnspecified() && a.Is4() == lo.Is4() })
		if !covered {
			addrs = append(addrs, lo)
		}
	}
	for _, a := range more {
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	return addrs, nil
}

// listenTCP listens on a:port, IPv6 addresses on IPv6 alone (so that ::
// and 0.0.0.0 can both be bound, as by epmd).
func (c ServerConfig) listenTCP(ctx context.Context, a netip.Addr, port int) (net.Listener, error) {
	network := "tcp4"
	if a.Is6() {
		network = "tcp6"
	}
	addr := net.JoinHostPort(a.String(), strconv.Itoa(port))
	ln, err := c.listen(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("start port mapper on %s: %w", addr, err)
	}
	if _, gated := ln.(*fdgate.Listener); gated || c.Gate == nil {
		return ln, nil
	}
	gl, err := c.Gate.Listener(ln) // a test's listen
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("start port mapper on %s: %w", addr, err)
	}
	return gl, nil
}

// noIPv6 reports whether a bind to ::1 failed because the host has no IPv6
// (as opposed to the port being taken, which is the caller's business).
func noIPv6(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) ||
		errors.Is(err, syscall.EPROTONOSUPPORT)
}
