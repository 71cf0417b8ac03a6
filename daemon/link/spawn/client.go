package spawn

import (
	"context"
	"fmt"
	"net"
	"time"

	"chatd/daemon/peer"
	"chatd/wire"
)

// Remote is a process started on a peer, followed over its spawn stream.
type Remote struct {
	pid wire.Pid
	s   net.Conn
	fr  *wire.FrameReader
}

// Start sends sp to node on s, a spawn stream whose Open frame was sent,
// and waits until ctx ends for the process's pid or the refusal. On success
// the caller must Follow the process; on error s is closed.
func Start(ctx context.Context, node wire.NodeName, s net.Conn, maxFrame int, sp wire.Spawn) (*Remote, error) {
	fr := wire.NewFrameReader(s, maxFrame)
	pid, err := request(ctx, node, s, fr, sp)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return &Remote{pid: pid, s: s, fr: fr}, nil
}

// Pid is the remote process's pid.
func (r *Remote) Pid() wire.Pid { return r.pid }

// Follow relays the process's output to out until it exits, then reports
// the exit and closes the stream. A stream that ends first means the
// connection went away: the exit is wire.ExitNoConnection. Close the
// stream's link (or call Stop) to end it early.
func (r *Remote) Follow(out peer.Output) {
	defer r.s.Close()
	out.Exit(r.follow(out))
}

// Stop ends the stream, which kills the remote process; a Follow in
// progress reports wire.ExitNoConnection.
func (r *Remote) Stop() { _ = r.s.Close() }

func (r *Remote) follow(out peer.Output) string {
	for {
		f, err := r.fr.ReadFrame()
		if err != nil {
			return wire.ExitNoConnection
		}
		switch f.Type {
		case wire.FrameOutput:
			out.Line(string(f.Payload))
		case wire.FrameExit:
			return string(f.Payload)
		default:
			return wire.ExitNoConnection
		}
	}
}

// request sends the spawn and reads the pid (or the refusal).
func request(ctx context.Context, node wire.NodeName, s net.Conn, fr *wire.FrameReader, sp wire.Spawn) (wire.Pid, error) {
	stop := context.AfterFunc(ctx, func() { _ = s.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := wire.WriteFrame(s, wire.FrameSpawn, wire.AppendSpawn(nil, sp)); err != nil {
		return wire.Pid{}, &peer.ConnectError{Node: node, Err: peer.ErrLinkDown}
	}
	f, err := fr.ReadFrame()
	if err != nil {
		if ctx.Err() != nil {
			return wire.Pid{}, &peer.CallError{Node: node, Function: sp.Function, Kind: wire.CodeTimeout, Message: "spawn timed out"}
		}
		return wire.Pid{}, &peer.ConnectError{Node: node, Err: peer.ErrLinkDown}
	}
	switch f.Type {
	case wire.FrameSpawned:
		return wire.ParsePidPayload(f.Payload)
	case wire.FrameError:
		code, text, _ := wire.ParseError(f)
		return wire.Pid{}, &peer.CallError{Node: node, Function: sp.Function, Kind: code, Message: text}
	}
	return wire.Pid{}, fmt.Errorf("spawn on %s: %w: got %s", node, peer.ErrProtocol, f.Type)
}
