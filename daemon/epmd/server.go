// Package epmd is chatd's port mapper: a client for any EPMD-compatible
// mapper (Register, Lookup, Names), an embedded mapper (Server) that speaks
// the same protocol as Erlang's epmd, and a Registrar that keeps a node
// registered for its whole life, starting or taking over the embedded mapper
// when no mapper answers.
//
// A registration lives exactly as long as the TCP connection it was made on,
// as with epmd. The byte layouts are in package wire (wire/epmd.go).
package epmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"chatd/internal/fdgate"
	"chatd/wire"
)

// Defaults for the zero fields of ServerConfig.
const (
	// DefaultPacketTimeout is how long a connection that has not registered
	// may stay silent (epmd's default -packet_timeout).
	DefaultPacketTimeout = 60 * time.Second
	// DefaultWriteTimeout bounds each reply write.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultMaxConns bounds concurrent connections, registered ones included.
	DefaultMaxConns = 1024
)

// packetTimeoutGrace is what epmd's whole-second clock adds to its
// -packet_timeout: epmd closes a silent client at the first check (about
// one a second) whose time(2) is more than the timeout seconds past the
// second of the client's last byte, so a client may pause for the timeout
// and most of a second more. epmd -packet_timeout 1 answers a client that
// pauses 1.8 s between bytes and closes a silent one after 2 s; the
// embedded mapper does the same with PacketTimeout 1 s.
const packetTimeoutGrace = time.Second

// ServerConfig configures an embedded mapper. The zero value is ready to use.
type ServerConfig struct {
	// Logger receives debug records about refused and malformed
	// connections; nil discards them.
	Logger *slog.Logger
	// PacketTimeout closes a connection that has not registered once it
	// has sent nothing for this long and one second more (epmd's clock
	// counts whole seconds); every read restarts it, as with epmd's
	// -packet_timeout. 0 means DefaultPacketTimeout.
	PacketTimeout time.Duration
	// WriteTimeout bounds each reply write; 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// MaxConns bounds concurrent connections; the excess is closed at once.
	// 0 means DefaultMaxConns.
	MaxConns int
	// Addresses are the IP addresses or host names ListenPort listens on
	// besides 127.0.0.1 and ::1, as epmd's ERL_EPMD_ADDRESS.
	Addresses []string
	// Gate is the node's descriptor gate (internal/fdgate): the mapper
	// listens and accepts through it; nil means none.
	Gate *fdgate.Gate

	// listen binds for ListenPort; nil means net.ListenConfig's, through
	// Gate (tests replace it to play a host without IPv6).
	listen func(ctx context.Context, network, address string) (net.Listener, error)
	// host is the name of the node that runs this mapper, set by the
	// Registrar that starts it; its registration does not keep KILL_REQ
	// from OK (see Server.kill). Empty for a mapper without a node.
	host string
}

// Server is an embedded EPMD-compatible mapper. Loopback clients may
// register and list names; other clients may only look names up.
type Server struct {
	cfg  ServerConfig
	log  *slog.Logger
	lns  []net.Listener // at least one, all on port
	port uint32         // the listening port, reported in NAMES replies
	done chan struct{}  // closed when Close starts
	wg   sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	mu       sync.Mutex
	closed   bool                   // guarded by mu
	conns    map[net.Conn]struct{}  // guarded by mu
	nodes    map[string]*registered // guarded by mu; by name
	creation uint32                 // guarded by mu; the last creation handed out
}

// registered is one node registration and the connection that holds it.
type registered struct {
	entry wire.NodeEntry
	conn  net.Conn
}

// Listen starts an embedded mapper on addr (e.g. "127.0.0.1:4369") with the
// default ServerConfig. ctx bounds the bind only; the server runs until
// Close.
func Listen(ctx context.Context, addr string, logger *slog.Logger) (*Server, error) {
	return ServerConfig{Logger: logger}.Listen(ctx, addr)
}

// Listen starts an embedded mapper on addr alone, configured by c (whose
// Addresses it ignores; ListenPort listens where epmd does). ctx bounds
// the bind only; the server runs until Close.
func (c ServerConfig) Listen(ctx context.Context, addr string) (*Server, error) {
	ln, err := c.Gate.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start port mapper on %s: %w", addr, err)
	}
	return c.serve(ln), nil
}

// serve starts a Server accepting on lns (at least one, all on one port),
// which it then owns.
func (c ServerConfig) serve(lns ...net.Listener) *Server {
	c = c.withDefaults()
	s := &Server{
		cfg:      c,
		log:      c.Logger,
		lns:      lns,
		done:     make(chan struct{}),
		conns:    make(map[net.Conn]struct{}),
		nodes:    make(map[string]*registered),
		creation: 4 + rand.Uint32N(1<<30),
	}
	if ta, ok := lns[0].Addr().(*net.TCPAddr); ok {
		s.port = uint32(ta.Port)
	}
	for _, ln := range lns {
		s.wg.Add(1)
		go s.acceptLoop(ln)
	}
	return s
}

// withDefaults fills in the zero fields.
func (c ServerConfig) withDefaults() ServerConfig {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PacketTimeout <= 0 {
		c.PacketTimeout = DefaultPacketTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.listen == nil {
		c.listen = c.Gate.Listen
	}
	return c
}

// Addr returns the first address the server listens on (127.0.0.1 when
// started by ListenPort).
func (s *Server) Addr() net.Addr { return s.lns[0].Addr() }

// Addrs returns every address the server listens on.
func (s *Server) Addrs() []net.Addr {
	addrs := make([]net.Addr, len(s.lns))
	for i, ln := range s.lns {
		addrs[i] = ln.Addr()
	}
	return addrs
}

// Close stops accepting, closes every connection (ending every
// registration) and waits for the server's goroutines. It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		close(s.done)
		var errs []error
		for _, ln := range s.lns {
			if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, fmt.Errorf("close port mapper %s: %w", ln.Addr(), err))
			}
		}
		s.closeErr = errors.Join(errs...)
		s.wg.Wait()
	})
	return s.closeErr
}

// acceptLoop accepts on ln until Close, backing off on temporary errors
// such as EMFILE like net/http does (5 ms doubling up to 1 s).
func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if !temporary(err) {
				s.log.Error("port mapper stopped accepting", "addr", ln.Addr().String(), "err", err)
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("port mapper accept failed; retrying", "addr", ln.Addr().String(), "err", err, "backoff", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-s.done:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		backoff = 0
		if !s.track(conn) {
			s.log.Debug("port mapper refused connection: too many connections", "remote", conn.RemoteAddr().String())
			conn.Close()
			continue
		}
		s.wg.Add(1)
		go s.handle(conn)
	}
}

// temporary reports whether an Accept error is worth retrying.
func temporary(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS,
		syscall.ENOMEM, syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EINTR, syscall.EAGAIN} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// track records conn unless the server is closed or full.
func (s *Server) track(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= s.cfg.MaxConns {
		return false
	}
	s.conns[conn] = struct{}{}
	return true
}

// untrack closes conn and forgets it.
func (s *Server) untrack(conn net.Conn) {
	conn.Close()
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
}

// permitted is the access policy: loopback clients may send any request,
// others only PORT_PLEASE2 (epmd also lets them list names; chatd does not).
func permitted(tag wire.EPMDTag, remote net.Addr) bool {
	return tag == wire.EPMDPortPlease2Req || isLoopback(remote)
}

// isLoopback reports whether a is a TCP address in 127.0.0.0/8 or ::1
// (IPv4-mapped forms included).
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	return ok && ip.Unmap().IsLoopback()
}

// handle serves one connection: exactly one request, then either a reply
// and close, or (ALIVE2) a registration held until the connection ends.
func (s *Server) handle(conn net.Conn) {
	defer s.wg.Done()
	defer s.untrack(conn)
	remote := conn.RemoteAddr().String()
	req, err := wire.ReadEPMDRequest(packetReader{conn: conn, timeout: s.cfg.PacketTimeout + packetTimeoutGrace})
	if refused := (*wire.Alive2RefusedError)(nil); errors.As(err, &refused) && isLoopback(conn.RemoteAddr()) {
		s.log.Debug("port mapper refused registration", "remote", remote, "err", err)
		_ = s.write(conn, refused.Reply())
		return
	}
	if err != nil {
		if !errors.Is(err, io.EOF) && !s.isClosed() {
			s.log.Debug("port mapper closed connection: bad request", "remote", remote, "err", err)
		}
		return
	}
	if !permitted(req.Tag(), conn.RemoteAddr()) {
		s.log.Debug("port mapper refused request from remote client", "remote", remote, "request", req.Tag().String())
		return
	}
	switch r := req.(type) {
	case wire.Alive2Req:
		s.alive2(conn, r)
	case wire.PortPlease2Req:
		s.portPlease2(conn, r)
	case wire.NamesReq:
		s.names(conn)
	case wire.KillReq:
		s.kill(conn)
	}
}

// kill answers KILL_REQ with epmd's bytes, NO while a node is registered
// and OK when none is, but never stops: the embedded mapper lives as long
// as the node that runs it (cfg.host). That node does not count, since it
// cannot be left without its mapper, so OK comes once every other node has
// gone, as from an epmd whose last node has gone.
func (s *Server) kill(conn net.Conn) {
	reply := wire.EPMDKillOK
	s.mu.Lock()
	for name := range s.nodes {
		if name != s.cfg.host {
			reply = wire.EPMDKillRefused
			break
		}
	}
	s.mu.Unlock()
	s.log.Debug("port mapper got KILL_REQ; it stops only with its node", "remote", conn.RemoteAddr().String(), "reply", reply)
	_ = s.write(conn, []byte(reply))
}

// packetReader reads from conn, giving each read the packet timeout (with
// its grace), so that a client that keeps sending stays, as with epmd, and
// one that falls silent is closed.
type packetReader struct {
	conn    net.Conn
	timeout time.Duration
}

func (r packetReader) Read(p []byte) (int, error) {
	if err := r.conn.SetReadDeadline(time.Now().Add(r.timeout)); err != nil {
		return 0, err
	}
	return r.conn.Read(p)
}

// alive2 registers the node and holds the registration until the client
// closes the connection, sends anything, or the server closes.
func (s *Server) alive2(conn net.Conn, req wire.Alive2Req) {
	node := &registered{entry: req.Entry(), conn: conn}
	creation, ok := s.register(node)
	remote := conn.RemoteAddr().String()
	if !ok {
		s.log.Debug("port mapper refused registration: name in use", "name", req.Name, "remote", remote)
		_ = s.write(conn, wire.AppendAlive2Reply(nil, req.HighestVersion, 1, wire.EPMDDuplicateCreation))
		return
	}
	defer s.unregister(node)
	if req.HighestVersion < 6 { // older nodes get a 16-bit creation in 1..3, as from epmd
		creation = creation%3 + 1
	}
	if err := s.write(conn, wire.AppendAlive2Reply(nil, req.HighestVersion, 0, creation)); err != nil {
		return
	}
	s.log.Debug("port mapper registered node", "name", req.Name, "port", req.Port, "creation", creation, "remote", remote)
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		return
	}
	var b [1]byte
	_, err := conn.Read(b[:])
	s.log.Debug("port mapper unregistered node", "name", req.Name, "remote", remote, "err", err)
}

// register adds node unless its name is taken, returning a fresh creation.
func (s *Server) register(node *registered) (uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.nodes[node.entry.Name]; taken {
		return 0, false
	}
	s.creation++
	if s.creation < 4 {
		s.creation = 4
	}
	s.nodes[node.entry.Name] = node
	return s.creation, true
}

// unregister removes node if it still holds its name.
func (s *Server) unregister(node *registered) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nodes[node.entry.Name] == node {
		delete(s.nodes, node.entry.Name)
	}
}

func (s *Server) portPlease2(conn net.Conn, req wire.PortPlease2Req) {
	reply := wire.Port2Resp{Result: 1}
	s.mu.Lock()
	if node, ok := s.nodes[req.Name]; ok {
		reply = wire.Port2Resp{Node: node.entry}
	}
	s.mu.Unlock()
	b, err := reply.Append(nil)
	if err != nil { // registered entries were validated when decoded
		s.log.Error("port mapper cannot encode PORT2_RESP", "name", req.Name, "err", err)
		return
	}
	_ = s.write(conn, b)
}

func (s *Server) names(conn net.Conn) {
	reply := wire.NamesResp{Port: s.port}
	s.mu.Lock()
	for _, node := range s.nodes {
		reply.Nodes = append(reply.Nodes, wire.NameEntry{Name: node.entry.Name, Port: int(node.entry.Port)})
	}
	s.mu.Unlock()
	slices.SortFunc(reply.Nodes, func(a, b wire.NameEntry) int { return strings.Compare(a.Name, b.Name) })
	b, err := reply.Append(nil)
	if err != nil {
		s.log.Error("port mapper cannot encode NAMES reply", "err", err)
		return
	}
	_ = s.write(conn, b)
}

// write sends b within the write timeout; a failure only ends this
// connection, so it is logged at debug level.
func (s *Server) write(conn net.Conn, b []byte) error {
	if err := conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout)); err != nil {
		return err
	}
	if _, err := conn.Write(b); err != nil {
		s.log.Debug("port mapper reply failed", "remote", conn.RemoteAddr().String(), "err", err)
		return err
	}
	return nil
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
