package epmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"chatd/internal/fdgate"
	"chatd/wire"
)

// Sentinel errors callers test with errors.Is.
var (
	// ErrNoMapper means nothing accepted the connection at the mapper
	// address; the caller may start an embedded mapper.
	ErrNoMapper = errors.New("no port mapper running")
	// ErrNameInUse means the mapper refused a registration because the
	// name is already registered.
	ErrNameInUse = errors.New("node name is already in use")
	// ErrNotRegistered means the mapper knows no node by that name.
	ErrNotRegistered = errors.New("node not registered")
)

// ReplyTimeout bounds every client exchange with a mapper (dial, request,
// reply) when the caller's context allows longer, as OTP's client does.
const ReplyTimeout = 10 * time.Second

// NodeEntry is what a mapper returns for a registered node.
type NodeEntry = wire.NodeEntry

// NameEntry is one registered node as listed by Names.
type NameEntry = wire.NameEntry

// Registration is a node registration held open with a mapper. It lasts
// until Close or until the mapper drops the connection (see Done).
type Registration struct {
	conn     net.Conn
	creation uint32
	done     chan struct{} // closed by watch when the connection ends

	closeOnce sync.Once
	closeErr  error
}

// Client talks to mappers, creating its connections through Gate.
type Client struct {
	// Gate is the descriptor gate its dials go through (internal/fdgate);
	// nil means none.
	Gate *fdgate.Gate
}

// Register registers name with the mapper at mapperAddr as a chatd node
// listening on port (wire.ChatdAlive2Req). A refused connection yields
// ErrNoMapper, a taken name ErrNameInUse. It is Client.Register without a
// gate.
func Register(ctx context.Context, mapperAddr, name string, port uint16) (*Registration, error) {
	return Client{}.Register(ctx, mapperAddr, name, port)
}

// Lookup asks the mapper at mapperAddr for the node registered as name
// (PORT_PLEASE2). An unknown name yields ErrNotRegistered. It is
// Client.Lookup without a gate.
func Lookup(ctx context.Context, mapperAddr, name string) (NodeEntry, error) {
	return Client{}.Lookup(ctx, mapperAddr, name)
}

// Names lists the nodes registered with the mapper at mapperAddr (NAMES).
// It is Client.Names without a gate.
func Names(ctx context.Context, mapperAddr string) ([]NameEntry, error) {
	return Client{}.Names(ctx, mapperAddr)
}

// Register is the package's Register, dialling through the gate.
func (cl Client) Register(ctx context.Context, mapperAddr, name string, port uint16) (*Registration, error) {
	frame, err := wire.AppendEPMDRequest(nil, wire.ChatdAlive2Req(name, port))
	if err != nil {
		return nil, fmt.Errorf("register %q with port mapper %s: %w", name, mapperAddr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, ReplyTimeout)
	defer cancel()
	conn, err := cl.dial(ctx, mapperAddr)
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", name, err)
	}
	reply, err := exchange(ctx, conn, frame, wire.ReadAlive2Reply)
	if err == nil && reply.Result != 0 {
		err = fmt.Errorf("%w (result %d)", ErrNameInUse, reply.Result)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("register %s with port mapper %s: %w", name, mapperAddr, err)
	}
	r := &Registration{conn: conn, creation: reply.Creation, done: make(chan struct{})}
	go r.watch()
	return r, nil
}

// watch waits for the mapper to close the connection (or to send anything,
// which no mapper should) and then closes done. Close stops it.
func (r *Registration) watch() {
	defer close(r.done)
	var b [1]byte
	_, _ = r.conn.Read(b[:])
	r.conn.Close()
}

// Creation returns the creation the mapper assigned to this registration.
func (r *Registration) Creation() uint32 { return r.creation }

// Done returns a channel closed when the registration has ended: the mapper
// connection dropped or Close was called.
func (r *Registration) Done() <-chan struct{} { return r.done }

// Close ends the registration and waits for its goroutine. It is
// idempotent.
func (r *Registration) Close() error {
	r.closeOnce.Do(func() {
		if err := r.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			r.closeErr = fmt.Errorf("close port mapper registration with %s: %w", r.conn.RemoteAddr(), err)
		}
	})
	<-r.done
	return r.closeErr
}

// Lookup is the package's Lookup, dialling through the gate.
func (cl Client) Lookup(ctx context.Context, mapperAddr, name string) (NodeEntry, error) {
	frame, err := wire.AppendEPMDRequest(nil, wire.PortPlease2Req{Name: name})
	if err != nil {
		return NodeEntry{}, fmt.Errorf("look up %q at port mapper %s: %w", name, mapperAddr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, ReplyTimeout)
	defer cancel()
	conn, err := cl.dial(ctx, mapperAddr)
	if err != nil {
		return NodeEntry{}, fmt.Errorf("look up %s: %w", name, err)
	}
	defer conn.Close()
	reply, err := exchange(ctx, conn, frame, wire.ReadPort2Resp)
	if err == nil && reply.Result != 0 {
		err = ErrNotRegistered
	}
	if err != nil {
		return NodeEntry{}, fmt.Errorf("look up %s at port mapper %s: %w", name, mapperAddr, err)
	}
	return reply.Node, nil
}

// Names is the package's Names, dialling through the gate. Like OTP's
// client it rejects a reply whose port is not the one dialled.
func (cl Client) Names(ctx context.Context, mapperAddr string) ([]NameEntry, error) {
	frame, err := wire.AppendEPMDRequest(nil, wire.NamesReq{})
	if err != nil {
		return nil, fmt.Errorf("list names at port mapper %s: %w", mapperAddr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, ReplyTimeout)
	defer cancel()
	port, err := cl.mapperPort(ctx, mapperAddr)
	if err != nil {
		return nil, err
	}
	conn, err := cl.dial(ctx, mapperAddr)
	if err != nil {
		return nil, fmt.Errorf("list names: %w", err)
	}
	defer conn.Close()
	reply, err := exchange(ctx, conn, frame, wire.ReadNamesResp)
	if err == nil && reply.Port != uint32(port) {
		err = fmt.Errorf("reply is for port %d, not %d", reply.Port, port)
	}
	if err != nil {
		return nil, fmt.Errorf("list names at port mapper %s: %w", mapperAddr, err)
	}
	return reply.Nodes, nil
}

// mapperPort returns the numeric port of mapperAddr (a service name is
// looked up in /etc/services, through the gate).
func (cl Client) mapperPort(ctx context.Context, mapperAddr string) (int, error) {
	_, service, err := net.SplitHostPort(mapperAddr)
	if err != nil {
		return 0, fmt.Errorf("port mapper address %q: %w", mapperAddr, err)
	}
	var port int
	cl.Gate.Shared(func() { port, err = net.DefaultResolver.LookupPort(ctx, "tcp", service) })
	if err != nil {
		return 0, fmt.Errorf("port mapper address %q: %w", mapperAddr, err)
	}
	return port, nil
}

// dial connects to the mapper; a refused connection wraps ErrNoMapper.
func (cl Client) dial(ctx context.Context, mapperAddr string) (net.Conn, error) {
	conn, err := cl.Gate.DialContext(ctx, "tcp", mapperAddr)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%w at %s: %w", ErrNoMapper, mapperAddr, err)
		}
		return nil, fmt.Errorf("dial port mapper %s: %w", mapperAddr, err)
	}
	return conn, nil
}

// exchange writes frame and reads the reply with read, until ctx (which
// must carry a deadline) ends: then the connection's deadline is moved to
// the past and ctx's error returned.
func exchange[T any](ctx context.Context, conn net.Conn, frame []byte, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	_, err := conn.Write(frame)
	var v T
	if err == nil {
		v, err = read(conn)
	}
	if !stop() || ctx.Err() != nil { // cancelled or timed out, possibly mid-read
		return zero, ctx.Err()
	}
	if err != nil {
		return zero, err
	}
	return v, nil
}
