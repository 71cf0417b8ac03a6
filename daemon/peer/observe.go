package peer

import (
	"errors"
	"net"

	"chatd/wire"
)

// Observer hears what a link protocol's connections do: how each
// handshake ended, and each connection coming up and going down. Every
// protocol reports to the node's Observer with its own name, so that node
// events (GET /v1/nodes?watch=1) and metrics cover all of them. A protocol
// calls it from its own goroutines, possibly with its locks held: it must
// be quick and must not call back into the protocol.
type Observer interface {
	// Handshake reports a handshake that ended, as it ended.
	Handshake(h Handshake)
	// Up reports a connection that came up.
	Up(info wire.LinkInfo)
	// Down reports a connection that went down.
	Down(d Down)
}

// Handshake is a handshake that ended, successfully or not.
type Handshake struct {
	// Protocol is the protocol's name (Protocol.Name).
	Protocol string
	// Node is the peer, zero when it never said its name.
	Node wire.NodeName
	// Direction is "out" when this node dialled, "in" when the peer did.
	Direction string
	// Address is the peer's TCP address.
	Address string
	// Result is how it ended.
	Result HandshakeResult
	// Err is why it failed (nil on HandshakeOK).
	Err error
}

// Down is a connection that went down.
type Down struct {
	// Info describes the connection as it was.
	Info wire.LinkInfo
	// Reason is why, one of the closed set.
	Reason wire.NodeReason
	// Detail is why in the protocol's words.
	Detail string
}

// HandshakeResult is how a handshake ended: a closed set, the values of
// the result label of chatd_handshakes_total.
type HandshakeResult string

// Handshake results.
const (
	HandshakeOK             HandshakeResult = "ok"
	HandshakeCookieMismatch HandshakeResult = "cookie_mismatch"
	HandshakeRefused        HandshakeResult = "refused"
	HandshakeTimedOut       HandshakeResult = "timed_out"
	// HandshakeFailed: any other failure (malformed bytes, a connection
	// lost half-way).
	HandshakeFailed HandshakeResult = "failed"
)

// HandshakeResults lists every result, for metrics that start at zero.
var HandshakeResults = []HandshakeResult{HandshakeOK, HandshakeCookieMismatch, HandshakeRefused, HandshakeTimedOut, HandshakeFailed}

// ResultOf classifies a handshake's error by the reasons every protocol
// shares: nil is ok; ErrCookieMismatch, ErrTimeout (or a network
// timeout) and ErrRefused are what they say; anything else is failed, which
// a protocol may refine with reasons of its own (its refusals).
func ResultOf(err error) HandshakeResult {
	var ne net.Error
	switch {
	case err == nil:
		return HandshakeOK
	case errors.Is(err, ErrCookieMismatch):
		return HandshakeCookieMismatch
	case errors.Is(err, ErrTimeout), errors.As(err, &ne) && ne.Timeout():
		return HandshakeTimedOut
	case errors.Is(err, ErrRefused):
		return HandshakeRefused
	}
	return HandshakeFailed
}

// Reason is the node event reason for a failed handshake.
func (r HandshakeResult) Reason() wire.NodeReason {
	switch r {
	case HandshakeCookieMismatch:
		return wire.ReasonCookieMismatch
	case HandshakeRefused:
		return wire.ReasonRefused
	case HandshakeTimedOut:
		return wire.ReasonTimedOut
	}
	return wire.ReasonFailed
}

// Observers reports to each of its observers in turn.
type Observers []Observer

// Handshake implements Observer.
func (os Observers) Handshake(h Handshake) {
	for _, o := range os {
		o.Handshake(h)
	}
}

// Up implements Observer.
func (os Observers) Up(info wire.LinkInfo) {
	for _, o := range os {
		o.Up(info)
	}
}

// Down implements Observer.
func (os Observers) Down(d Down) {
	for _, o := range os {
		o.Down(d)
	}
}

// Reporter is how a protocol's manager reports to the node's Observer: it
// names the protocol, leaves out handshake errors that are no failure and
// handshakes cut short by this node stopping.
type Reporter struct {
	// Protocol is the reporting protocol's name.
	Protocol string
	// Observer hears the reports; nil hears nothing.
	Observer Observer
	// Classify returns a handshake error's result, and false for an error
	// that is no failure (a simultaneous connect lost to the other
	// connection). Nil classifies with ResultOf.
	Classify func(error) (HandshakeResult, bool)
	// Stopping reports whether this node is stopping; nil means never.
	Stopping func() bool
}

// Handshake reports how a handshake with node (zero when the peer never
// said a name this node accepts) ended.
func (r Reporter) Handshake(node wire.NodeName, direction, addr string, err error) {
	if r.Observer == nil {
		return
	}
	result, ok := ResultOf(err), true
	if r.Classify != nil {
		result, ok = r.Classify(err)
	}
	if !ok || (err != nil && r.Stopping != nil && r.Stopping()) {
		return
	}
	r.Observer.Handshake(Handshake{Protocol: r.Protocol, Node: node, Direction: direction, Address: addr, Result: result, Err: err})
}

// Up reports a connection that came up.
func (r Reporter) Up(info wire.LinkInfo) {
	if r.Observer != nil {
		r.Observer.Up(info)
	}
}

// Down reports a connection that went down, with why.
func (r Reporter) Down(info wire.LinkInfo, reason wire.NodeReason, detail string) {
	if r.Observer != nil {
		r.Observer.Down(Down{Info: info, Reason: reason, Detail: detail})
	}
}
