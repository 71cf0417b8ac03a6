package peer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// DialFunc makes a connection, as net.Dialer.DialContext does (the node's
// descriptor gate dials this way).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DialHandshake dials addr over TCP with dial and runs handshake on the
// connection, the two bounded together by timeout. During the handshake
// the connection's deadline is the attempt's, and moves to the past when
// ctx ends, so that a blocked read or write returns; it is cleared once
// the handshake succeeded. who names the peer in handshake errors (its
// address, and what it is). On failure the connection is closed, and a
// refused or timed-out attempt wraps ErrRefused or ErrTimeout.
func DialHandshake[H any](ctx context.Context, dial DialFunc, addr, who string, timeout time.Duration,
	handshake func(ctx context.Context, nc net.Conn) (H, error)) (H, error) {
	var zero H
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return zero, fmt.Errorf("dial %s: %w after %s", addr, ErrTimeout, timeout)
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return zero, fmt.Errorf("dial %s: %w", addr, ErrRefused)
		}
		return zero, fmt.Errorf("dial %s: %w", addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	h, err := handshake(ctx, nc)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		_ = nc.Close()
		if isTimeout(err) || ctx.Err() != nil {
			return zero, fmt.Errorf("handshake with %s: %w after %s", who, ErrTimeout, timeout)
		}
		return zero, fmt.Errorf("handshake with %s: %w", who, err)
	}
	_ = nc.SetDeadline(time.Time{})
	return h, nil
}

// BoundHandshake bounds the handshake of a connection a peer opened: nc's
// deadline is HandshakeDeadline's (timeout from now, or ctx's deadline when
// sooner), and moves to the past when ctx or the Peers' context ends, so
// that a blocked read or write returns. It returns
// the handshake's context and deadline, and end, which lifts the bound
// but not the deadline: call it once the handshake is over.
func (p *Peers[C]) BoundHandshake(ctx context.Context, nc net.Conn, timeout time.Duration) (hctx context.Context, deadline time.Time, end func()) {
	hctx, cancel := context.WithCancel(ctx)
	stopPeers := context.AfterFunc(p.ctx, cancel)
	deadline = HandshakeDeadline(ctx, timeout)
	_ = nc.SetDeadline(deadline)
	stopDeadline := context.AfterFunc(hctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	return hctx, deadline, func() {
		stopDeadline()
		stopPeers()
		cancel()
	}
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
