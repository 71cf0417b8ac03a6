package fdgate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Deadliner is a listener whose Accept a deadline wakes, as
// *net.TCPListener and *net.UnixListener.
type Deadliner interface {
	net.Listener
	SetDeadline(t time.Time) error
}

// Listener is a net.Listener whose Accept holds its gate shared, so that
// the connection it accepts never takes a descriptor an Exclusive freed.
type Listener struct {
	gate *Gate
	ln   Deadliner
}

// Listener returns ln accepting through the gate; closing it closes ln.
// ln must be a Deadliner. A nil gate returns ln itself.
func (g *Gate) Listener(ln net.Listener) (net.Listener, error) {
	if g == nil {
		return ln, nil
	}
	d, ok := ln.(Deadliner)
	if !ok {
		return nil, fmt.Errorf("accept through the descriptor gate on %s: a %T has no SetDeadline to wake its Accept with", ln.Addr(), ln)
	}
	l := &Listener{gate: g, ln: d}
	g.register(l)
	return l, nil
}

// Listen listens on address like net.ListenConfig's Listen, creating the
// socket through the gate, and returns a Listener of the gate.
func (g *Gate) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	var lc net.ListenConfig
	var ln net.Listener
	var err error
	g.Shared(func() { ln, err = lc.Listen(ctx, network, address) })
	if err != nil {
		return nil, err
	}
	gl, err := g.Listener(ln)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	return gl, nil
}

// Accept waits for and returns the next connection. An Exclusive that
// wakes it is not an error: Accept waits for the Exclusive to end and
// goes on waiting for a connection.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		l.gate.rlock()
		c, err := l.ln.Accept()
		l.gate.mu.RUnlock()
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return c, err
		}
		l.gate.awaitExclusive()
	}
}

// Close stops accepting and closes the listener.
func (l *Listener) Close() error {
	l.gate.unregister(l)
	return l.ln.Close()
}

// Addr returns the listener's address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }
