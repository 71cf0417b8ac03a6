package calls

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"chatd/daemon/peer"
	"chatd/wire"
)

// Server runs the calls that arrive on calls streams as supervised tasks
// of the node's core, and delivers messages to its processes.
type Server struct {
	Local peer.Local
	Log   *slog.Logger
}

// serverStream is one calls stream being served.
type serverStream struct {
	srv    *Server
	caller wire.NodeName
	s      net.Conn
	load   *atomic.Int64 // the link's calls in flight (see NewClient); nil: not counted
	wmu    sync.Mutex
	wbuf   []byte // guarded by wmu

	mu      sync.Mutex
	cancels map[uint64]func() // guarded by mu: running calls' cancels by call id
	wg      sync.WaitGroup    // calls whose result is still to be written
}

// Handle serves one calls stream from caller until it ends. Calls still
// running then are cancelled, and their results never sent: the caller
// sees the stream (or the link) go down instead. A call counts in load
// from its frame's arrival until its result is written (nil: not counted).
func (srv *Server) Handle(ctx context.Context, caller wire.NodeName, s net.Conn, fr *wire.FrameReader, load *atomic.Int64) {
	ss := &serverStream{srv: srv, caller: caller, s: s, load: load, cancels: make(map[uint64]func())}
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel() // cancels every task still running for this stream
		ss.wg.Wait()
	}()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f.Type {
		case wire.FrameCall:
			c, err := wire.ParseCall(f.Payload)
			if err != nil {
				srv.Log.Warn("bad call frame", "node", ss.caller.String(), "err", err)
				return
			}
			ss.start(ctx, c)
		case wire.FrameSend:
			m, err := wire.ParsePidSend(f.Payload)
			if err != nil {
				srv.Log.Warn("bad send frame", "node", ss.caller.String(), "err", err)
				return
			}
			ss.count(1)
			ss.send(result(m.ID, "", srv.Local.Deliver(m.From, m.To, m.Text)))
			ss.count(-1)
		case wire.FrameCancel:
			id, err := wire.ParseCancel(f.Payload)
			if err != nil {
				return
			}
			ss.cancel(id)
		default:
			srv.Log.Warn("unexpected frame on a calls stream", "node", ss.caller.String(), "type", f.Type.String())
			return
		}
	}
}

// start runs c as a task and arranges for its result to be sent.
func (ss *serverStream) start(ctx context.Context, c wire.Call) {
	id := c.ID
	ss.count(1)
	ss.wg.Add(1)
	// Register the cancel before the call can finish, under the same lock.
	ss.mu.Lock()
	cancel, err := ss.srv.Local.StartCall(ctx, ss.caller, c, func(v string, err error) { ss.finish(ctx, id, v, err) })
	if err == nil {
		ss.cancels[id] = cancel
	}
	ss.mu.Unlock()
	if err != nil {
		ss.wg.Done()
		ss.send(result(id, "", err))
		ss.count(-1)
	}
}

// finish sends a call's result (peer.Local's done, in the task's
// goroutine). A call cancelled because its stream or link ended (ctx) gets
// no result: the caller must see the link go down, not a cancelled task.
func (ss *serverStream) finish(ctx context.Context, id uint64, v string, err error) {
	defer ss.wg.Done()
	defer ss.count(-1)
	ss.mu.Lock()
	delete(ss.cancels, id)
	ss.mu.Unlock()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return
	}
	ss.send(result(id, v, err))
}

// count adds delta to the link's calls in flight.
func (ss *serverStream) count(delta int64) {
	if ss.load != nil {
		ss.load.Add(delta)
	}
}

func (ss *serverStream) cancel(id uint64) {
	ss.mu.Lock()
	cancel := ss.cancels[id]
	ss.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (ss *serverStream) send(r wire.Result) {
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	ss.wbuf = appendResultFrame(ss.wbuf[:0], r)
	_, _ = ss.s.Write(ss.wbuf) // a dead stream: the caller sees the link go down
}

// appendResultFrame appends r's Result frame to b. It is kept out of send
// (not inlined): the encoding's temporaries, about 900 bytes, would
// otherwise stay on the stack under the write, which is yamux's deepest
// path, and make every task goroutine grow its stack once more (a copy
// that took a fifth of the peer's CPU under 64 callers).
//
//go:noinline
func appendResultFrame(b []byte, r wire.Result) []byte {
	return wire.AppendFrameWith(b, wire.FrameResult, func(b []byte) []byte { return wire.AppendResult(b, r) })
}

// result is the Result frame for call id: its value, or err's kind and
// message.
func result(id uint64, v string, err error) wire.Result {
	if err == nil {
		return wire.Result{ID: id, Value: v}
	}
	code, msg := peer.Describe(err)
	return wire.Result{ID: id, Code: code, Value: msg}
}
