package peer

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"chatd/wire"
)

// Member is a connection a Peers keeps: a Conn that compares by identity
// (a pointer).
type Member interface {
	comparable
	Conn
}

// PeersConfig is how a Peers runs one protocol's connections.
type PeersConfig[C Member] struct {
	// Protocol is the protocol's name in logs (Protocol.Name).
	Protocol string
	// HandshakeTimeout bounds how long a dial that lost a simultaneous
	// connect waits for the peer's connection before it looks again.
	HandshakeTimeout time.Duration
	// Serve runs c until it is down; ctx ends when Close starts.
	Serve func(ctx context.Context, c C)
	// Hangup brings c down for why (replaced, shutting down, disconnected);
	// it is called again at times on a connection that is down.
	Hangup func(c C, why string)
	// Farewell, if set, tells each peer that this node is leaving, just
	// before Close hangs its connection up.
	Farewell func(c C)
	// Forgotten, if set, runs once c is down and no longer its peer's
	// connection, before the down is reported.
	Forgotten func(c C)
	// DownCause says why c went down, as a node event reason and in the
	// protocol's words; it is called once Serve has returned.
	DownCause func(c C) (wire.NodeReason, string)
	// Lost reports a dial error that lost a simultaneous connect: the
	// peer's own connection to this node wins, and Dial waits for it.
	Lost func(err error) bool
	// Report hears of handshakes and of connections going up and down;
	// its Stopping, when nil, is this Peers' Close having started.
	Report Reporter
	// Log receives "node up" and "node down".
	Log *slog.Logger
}

// Peers is a link protocol's bookkeeping of its connections: at most one
// connection per node, which nodes it is dialling and which it is
// accepting a handshake from, and the goroutines serving the connections.
// Both protocols keep theirs in one, so that simultaneous connects,
// replaced connections, disconnects and shutdown work alike. Create it
// with NewPeers and stop it with Close.
type Peers[C Member] struct {
	cfg PeersConfig[C]

	mu      sync.Mutex
	slots   map[wire.NodeName]*Slot[C] // guarded by mu: only nodes in use
	closing bool                       // guarded by mu: Close has started

	ctx    context.Context // ends when Close starts
	cancel context.CancelFunc
	wg     sync.WaitGroup // serving goroutines and those started by Go
	work   *workers       // runs what Go is given
}

// Slot is what a Peers knows of one node. Its methods are for the decide
// function passed to Admit, which runs with the Peers locked.
type Slot[C Member] struct {
	node      wire.NodeName
	conn      C             // the connection, up or going down; zero if none
	gone      chan struct{} // closed once conn is forgotten and its down reported
	dialing   bool          // this node is dialling it
	accepting bool          // a handshake from it is in progress
	changed   chan struct{} // closed and replaced on every change
}

// Conn returns the node's connection, which may be going down, and false
// when it has none.
func (s *Slot[C]) Conn() (C, bool) {
	var zero C
	return s.conn, s.conn != zero
}

// Live returns the node's connection unless it has none or it is down.
func (s *Slot[C]) Live() (C, bool) {
	var zero C
	if s.conn == zero {
		return zero, false
	}
	select {
	case <-s.conn.Done(): // going down: serve forgets it and notifies
		return zero, false
	default:
		return s.conn, true
	}
}

// Dialing reports whether this node is dialling the node.
func (s *Slot[C]) Dialing() bool { return s.dialing }

// Accepting reports whether a handshake from the node is in progress.
func (s *Slot[C]) Accepting() bool { return s.accepting }

// Changed returns a channel closed at the slot's next change.
func (s *Slot[C]) Changed() <-chan struct{} { return s.changed }

// notify wakes everyone waiting on s. Called with Peers.mu held.
func (s *Slot[C]) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// NewPeers returns a Peers with no connections.
func NewPeers[C Member](cfg PeersConfig[C]) *Peers[C] {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Peers[C]{cfg: cfg, slots: make(map[wire.NodeName]*Slot[C]), ctx: ctx, cancel: cancel}
	p.work = newWorkers(ctx, &p.wg)
	if p.cfg.Report.Stopping == nil {
		p.cfg.Report.Stopping = func() bool { return ctx.Err() != nil }
	}
	return p
}

// Context ends when Close starts: it bounds the work done for the peers.
func (p *Peers[C]) Context() context.Context { return p.ctx }

// Handshake reports how a handshake with node ended (Reporter.Handshake).
func (p *Peers[C]) Handshake(node wire.NodeName, direction, addr string, err error) {
	p.cfg.Report.Handshake(node, direction, addr, err)
}

// slot returns node's slot, creating it. Called with mu held.
func (p *Peers[C]) slot(node wire.NodeName) *Slot[C] {
	s := p.slots[node]
	if s == nil {
		s = &Slot[C]{node: node, changed: make(chan struct{})}
		p.slots[node] = s
	}
	return s
}

// tidy forgets node when it has no connection and no attempt in progress,
// so that the map holds only nodes in use. Called with mu held; whoever
// waits on the old slot was woken by its last notify and looks the node up
// again.
func (p *Peers[C]) tidy(node wire.NodeName) {
	var zero C
	if s := p.slots[node]; s != nil && s.conn == zero && !s.dialing && !s.accepting {
		delete(p.slots, node)
	}
}

// Live returns the live connection to node, if any.
func (p *Peers[C]) Live(node wire.NodeName) (C, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.slots[node]; s != nil {
		return s.Live()
	}
	var zero C
	return zero, false
}

// Dial returns the connection to node, dialling addr with dial unless one
// is up or being made, and reporting the handshake. A dial that lost a
// simultaneous connect waits for the peer's connection instead. The error
// is a *ConnectError.
func (p *Peers[C]) Dial(ctx context.Context, node wire.NodeName, addr string, dial func(context.Context) (C, error)) (C, error) {
	var zero C
	for attempt := 0; ; attempt++ {
		c, wait, err := p.liveOrDial(node)
		switch {
		case err != nil:
			return zero, &ConnectError{Node: node, Err: err}
		case c != zero:
			return c, nil
		case wait == nil:
			c, err := p.dialAndInstall(ctx, node, addr, dial)
			if err == nil {
				return c, nil
			}
			if !p.cfg.Lost(err) || attempt >= 3 {
				return zero, &ConnectError{Node: node, Err: err}
			}
			// The peer's own connection to us wins: wait for it, but not
			// past the handshake timeout (it may never come).
			wctx, cancel := context.WithTimeout(ctx, p.cfg.HandshakeTimeout)
			p.awaitConn(wctx, node)
			cancel()
			if ctx.Err() != nil {
				return zero, &ConnectError{Node: node, Err: fmt.Errorf("%w waiting for the connection", ErrTimeout)}
			}
			continue
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return zero, &ConnectError{Node: node, Err: fmt.Errorf("%w waiting for the connection", ErrTimeout)}
		}
	}
}

// awaitConn waits until node has a connection or ctx ends.
func (p *Peers[C]) awaitConn(ctx context.Context, node wire.NodeName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.tidy(node)
	for {
		s := p.slot(node)
		if _, up := s.Conn(); up {
			return
		}
		ch := s.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		p.mu.Lock()
		if ctx.Err() != nil {
			return
		}
	}
}

// liveOrDial returns the live connection, or a channel to wait on while
// another attempt is in progress, or neither: then the caller has been
// marked as dialling and must dial.
func (p *Peers[C]) liveOrDial(node wire.NodeName) (C, <-chan struct{}, error) {
	var zero C
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return zero, nil, ErrShutdown
	}
	s := p.slot(node)
	if _, ok := s.Conn(); ok {
		if c, ok := s.Live(); ok {
			return c, nil, nil
		}
		return zero, s.changed, nil // going down; serve clears it and notifies
	}
	if s.dialing || s.accepting {
		return zero, s.changed, nil
	}
	s.dialing = true
	return zero, nil, nil
}

// dialAndInstall dials node (the caller marked it as dialling) and
// installs the connection.
func (p *Peers[C]) dialAndInstall(ctx context.Context, node wire.NodeName, addr string, dial func(context.Context) (C, error)) (C, error) {
	c, err := dial(ctx)
	p.cfg.Report.Handshake(node, "out", addr, err)
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.slot(node)
	s.dialing = false
	if err == nil {
		err = p.install(s, c)
	}
	s.notify()
	p.tidy(node)
	if err != nil {
		var zero C
		return zero, err
	}
	return c, nil
}

// Admit decides whether a handshake from node may go on: decide sees
// node's slot, with the Peers locked, and returns nil to admit it. An
// admitted node is marked as accepting until the caller ends the
// handshake with Accepted or Refused. Once Close has started nobody is
// admitted (ErrShutdown).
func (p *Peers[C]) Admit(node wire.NodeName, decide func(s *Slot[C]) error) (*Slot[C], error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return nil, ErrShutdown
	}
	s := p.slot(node)
	if err := decide(s); err != nil {
		p.tidy(node)
		return nil, err
	}
	s.accepting = true
	return s, nil
}

// Accepted ends an admitted handshake that succeeded: c becomes the node's
// connection.
func (p *Peers[C]) Accepted(s *Slot[C], c C) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.install(s, c)
	s.accepting = false
	s.notify()
	p.tidy(s.node)
	return err
}

// Refused ends an admitted handshake that failed; the node is forgotten
// if nothing else holds it.
func (p *Peers[C]) Refused(s *Slot[C]) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.accepting = false
	s.notify()
	p.tidy(s.node)
}

// install makes c its node's connection and starts serving it. Called with
// mu held; a connection that arrived during shutdown is hung up.
func (p *Peers[C]) install(s *Slot[C], c C) error {
	if p.closing {
		p.cfg.Hangup(c, "node shutting down")
		return ErrShutdown
	}
	if old, ok := s.Conn(); ok {
		p.cfg.Hangup(old, "replaced by a new connection")
	}
	info := c.Info()
	s.conn, s.gone = c, make(chan struct{})
	p.cfg.Log.Info("node up", "node", info.Node, "protocol", info.Protocol, "addr", info.Address, "direction", info.Direction)
	p.cfg.Report.Up(info)
	p.wg.Add(1)
	go p.serve(s, c, s.gone)
	return nil
}

// serve runs c until it is down, then forgets it and reports the down.
func (p *Peers[C]) serve(s *Slot[C], c C, gone chan struct{}) {
	defer p.wg.Done()
	p.cfg.Serve(p.ctx, c)
	p.mu.Lock()
	if s.conn == c {
		var zero C
		s.conn, s.gone = zero, nil
		s.notify()
		p.tidy(s.node)
	}
	p.mu.Unlock()
	if p.cfg.Forgotten != nil {
		p.cfg.Forgotten(c)
	}
	reason, detail := p.cfg.DownCause(c)
	p.cfg.Report.Down(c.Info(), reason, detail)
	close(gone)
	p.cfg.Log.Info("node down", "node", s.node.String(), "protocol", p.cfg.Protocol, "reason", detail)
}

// Disconnect hangs up the connection to node, if any, for why, and
// reports whether there was one once it is forgotten. The next use
// reconnects.
func (p *Peers[C]) Disconnect(node wire.NodeName, why string) bool {
	p.mu.Lock()
	var c C
	var gone chan struct{}
	if s := p.slots[node]; s != nil {
		c, gone = s.conn, s.gone
	}
	p.mu.Unlock()
	if gone == nil {
		return false
	}
	p.cfg.Hangup(c, why)
	<-gone
	return true
}

// Links lists the connections up now, sorted by node name.
func (p *Peers[C]) Links() []wire.LinkInfo {
	p.mu.Lock()
	out := make([]wire.LinkInfo, 0, len(p.slots))
	for _, s := range p.slots {
		if c, ok := s.Conn(); ok {
			out = append(out, c.Info())
		}
	}
	p.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// Nodes returns how many nodes the Peers holds anything for: a
// connection, or an attempt in progress. A node is forgotten once it has
// neither.
func (p *Peers[C]) Nodes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.slots)
}

// Go runs f in a goroutine the Peers owns: Close waits for it, and f's
// ctx ends when Close starts. Once Close has started it runs nothing and
// reports false.
func (p *Peers[C]) Go(f func(ctx context.Context)) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return false
	}
	p.work.run(f)
	return true
}

// Check verifies within ctx that the bookkeeping answers: it takes and
// releases the lock. A stuck protocol fails it, which stops the systemd
// watchdog pings.
func (p *Peers[C]) Check(ctx context.Context) error {
	for !p.mu.TryLock() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s connections' lock held past the check deadline: %w", p.cfg.Protocol, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	p.mu.Unlock()
	return nil
}

// Close hangs up every connection (the peers see it at once) and waits for
// every goroutine the Peers started. Safe to call again.
func (p *Peers[C]) Close() {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		p.wg.Wait()
		return
	}
	p.closing = true
	var conns []C
	for _, s := range p.slots {
		if c, ok := s.Conn(); ok {
			conns = append(conns, c)
		}
		s.notify()
	}
	p.mu.Unlock()
	p.cancel()
	for _, c := range conns {
		if p.cfg.Farewell != nil {
			p.cfg.Farewell(c)
		}
		p.cfg.Hangup(c, "node shutting down")
	}
	p.wg.Wait()
}
