package rpc

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"chatd/daemon/link"
	"chatd/daemon/task"
	"chatd/wire"
)

// TimeoutGrace is how long past a call's await timeout the executing node
// lets its task run: the caller cancels it at the timeout, so this only
// matters when the cancel cannot arrive.
const TimeoutGrace = 2 * time.Second

// Preparer turns an incoming call into a task. A non-OK status refuses the
// call with the error's text.
type Preparer func(caller wire.NodeName, c wire.Call) (task.Spec, wire.ResultStatus, error)

// Deliverer puts a message in a local process's mailbox, saying why not
// with a status and error.
type Deliverer func(m wire.PidSend) (wire.ResultStatus, error)

// Server runs the calls that arrive on calls streams as supervised tasks,
// and delivers messages to local processes.
type Server struct {
	Sup     *task.Supervisor
	Prepare Preparer
	Deliver Deliverer
	Log     *slog.Logger
}

// serverStream is one calls stream being served.
type serverStream struct {
	srv    *Server
	caller wire.NodeName
	s      net.Conn
	wmu    sync.Mutex
	wbuf   []byte // guarded by wmu

	mu    sync.Mutex
	tasks map[uint64]*task.Task // guarded by mu: running tasks by call id
	wg    sync.WaitGroup        // result writers
}

// Handle serves one calls stream until it ends; it is a link.StreamHandler.
func (srv *Server) Handle(ctx context.Context, l *link.Link, s net.Conn, fr *wire.FrameReader) {
	ss := &serverStream{srv: srv, caller: l.Peer(), s: s, tasks: make(map[uint64]*task.Task)}
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
			r := wire.Result{ID: m.ID, Status: wire.ResultOK}
			if status, err := srv.Deliver(m); err != nil {
				r.Status, r.Value = status, err.Error()
			}
			ss.send(r)
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
	spec, status, err := ss.srv.Prepare(ss.caller, c)
	if err == nil {
		if c.Timeout > 0 {
			spec.Timeout = c.Timeout + TimeoutGrace
		}
		id := c.ID
		spec.OnDone = func(t *task.Task) { ss.finish(ctx, id, t) }
		ss.wg.Add(1)
		// Register before the task can finish, under the same lock.
		ss.mu.Lock()
		var t *task.Task
		t, err = ss.srv.Sup.Start(ctx, spec)
		if err == nil {
			ss.tasks[id] = t
		}
		ss.mu.Unlock()
		if err == nil {
			return
		}
		ss.wg.Done()
		status = StartStatus(err)
	}
	ss.send(wire.Result{ID: c.ID, Status: status, Value: err.Error()})
}

// finish sends the result of t, which has just finished (task.Spec.OnDone,
// called in the task's goroutine). A task cancelled because its
// stream or link ended (ctx) gets no result: the caller must see the link
// go down, not a cancelled task.
func (ss *serverStream) finish(ctx context.Context, id uint64, t *task.Task) {
	defer ss.wg.Done()
	<-t.Done()
	ss.mu.Lock()
	delete(ss.tasks, id)
	ss.mu.Unlock()
	if ctx.Err() != nil && t.State() == wire.TaskCancelled {
		return
	}
	ss.send(ResultOf(id, t))
}

func (ss *serverStream) cancel(id uint64) {
	ss.mu.Lock()
	t := ss.tasks[id]
	ss.mu.Unlock()
	if t != nil {
		t.Cancel()
	}
}

func (ss *serverStream) send(r wire.Result) {
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	ss.wbuf = wire.AppendFrameWith(ss.wbuf[:0], wire.FrameResult, func(b []byte) []byte { return wire.AppendResult(b, r) })
	_, _ = ss.s.Write(ss.wbuf) // a dead stream: the caller sees the link go down
}

// StartStatus is the result status for a task the supervisor would not
// start.
func StartStatus(err error) wire.ResultStatus {
	switch {
	case errors.Is(err, task.ErrOverloaded):
		return wire.ResultOverloaded
	case errors.Is(err, task.ErrShutdown):
		return wire.ResultUnavailable
	}
	return wire.ResultFailed
}

// ResultOf describes a finished task as a call result.
func ResultOf(id uint64, t *task.Task) wire.Result {
	v, err := t.Result()
	if err == nil {
		return wire.Result{ID: id, Status: wire.ResultOK, Value: v}
	}
	status := wire.ResultFailed
	switch {
	case errors.Is(err, task.ErrShutdown):
		status = wire.ResultUnavailable
	case t.State() == wire.TaskTimeout:
		status = wire.ResultTimeout
	case t.State() == wire.TaskCancelled:
		status = wire.ResultCancelled
	}
	var pe *task.PanicError
	if errors.As(err, &pe) {
		status = wire.ResultPanic
	}
	return wire.Result{ID: id, Status: status, Value: err.Error()}
}
