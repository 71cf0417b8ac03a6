package daemon

import (
	"context"
	"errors"
	"time"

	"chatd/config"
	"chatd/daemon/function"
	"chatd/daemon/rpc"
	"chatd/daemon/task"
	"chatd/wire"
)

// Call runs c on node's supervisor and awaits the result: on this node's
// own supervisor when node is this node or tasks.placement is "local",
// else over the link. c.Timeout 0 means tasks.await_timeout.
func (n *Node) Call(ctx context.Context, node wire.NodeName, c wire.Call) (string, error) {
	if c.Timeout <= 0 {
		c.Timeout = n.cfg.Tasks.AwaitTimeout.D()
	}
	if err := wire.ValidateCall(c); err != nil {
		return "", &rpc.CallError{Node: node, Function: c.Function, Status: wire.ResultBadRequest, Message: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	if node == n.self || n.cfg.Tasks.Placement == config.PlacementLocal {
		return n.callLocal(ctx, node, c)
	}
	l, err := n.links.Link(ctx, node)
	if err != nil {
		return "", err
	}
	cl, err := n.calls.Get(ctx, l)
	if err != nil {
		return "", err
	}
	return cl.Call(ctx, c)
}

// callLocal runs c on this node's supervisor with this node as the caller,
// reporting errors as if node had run it.
func (n *Node) callLocal(ctx context.Context, node wire.NodeName, c wire.Call) (string, error) {
	start := time.Now()
	spec, status, err := n.prepare(n.self, c)
	if err != nil {
		return "", &rpc.CallError{Node: node, Function: c.Function, Status: status, Message: err.Error()}
	}
	t, err := n.sup.Start(ctx, spec)
	if err != nil {
		return "", &rpc.CallError{Node: node, Function: c.Function, Status: rpc.StartStatus(err), Message: err.Error()}
	}
	select {
	case <-t.Done():
	case <-ctx.Done():
		t.Cancel()
		<-t.Done()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", &rpc.CallError{Node: node, Function: c.Function, Status: wire.ResultTimeout,
				Message: c.Function + " timed out after " + time.Since(start).Round(time.Millisecond).String() + " (the task was cancelled)"}
		}
	}
	r := rpc.ResultOf(0, t)
	if r.Status != wire.ResultOK {
		return "", &rpc.CallError{Node: node, Function: c.Function, Status: r.Status, Message: r.Value}
	}
	return r.Value, nil
}

// prepare turns a call from caller into a task running a builtin function.
func (n *Node) prepare(caller wire.NodeName, c wire.Call) (task.Spec, wire.ResultStatus, error) {
	f, status, err := n.lookupFunc(c.Function, c.Args)
	if err != nil {
		return task.Spec{}, status, err
	}
	env := &function.Env{
		Node: n.self, Caller: caller, MsgID: c.MsgID, Flags: c.Flags,
		Sink: n.sink, ResponderReply: n.responderReply, Call: n.Call,
	}
	return task.Spec{
		Function: c.Function, Args: c.Args, Caller: caller.String(), Run: n.taskIO(env, f, c.Args),
	}, wire.ResultOK, nil
}

// responderReply is the text this node answers every message with.
func (n *Node) responderReply() string { return *n.reply.Load() }

// Send implements control.ChatBackend: receive_message on to's supervisor.
func (n *Node) Send(ctx context.Context, to wire.NodeName, text string) (wire.SendResponse, error) {
	id := function.NewMessageID()
	_, err := n.Call(ctx, to, wire.Call{Function: "receive_message", Args: []string{text}, MsgID: id})
	if err != nil {
		return wire.SendResponse{}, err
	}
	return wire.SendResponse{ID: id, From: n.self.String(), To: to.String()}, nil
}

// CallFunction implements control.ChatBackend.
func (n *Node) CallFunction(ctx context.Context, node wire.NodeName, fn string, args []string, timeout time.Duration) (wire.CallResponse, error) {
	start := time.Now()
	v, err := n.Call(ctx, node, wire.Call{Function: fn, Args: args, Timeout: timeout})
	if err != nil {
		return wire.CallResponse{}, err
	}
	return wire.CallResponse{Node: node.String(), Function: fn, Result: v,
		DurationMs: float64(time.Since(start).Microseconds()) / 1000}, nil
}

// Tasks implements control.ChatBackend.
func (n *Node) Tasks(all bool) []wire.TaskInfo { return n.sup.List(all) }

// WatchTasks implements control.ChatBackend.
func (n *Node) WatchTasks(ctx context.Context) <-chan wire.TaskInfo { return n.sup.Watch(ctx) }

// Messages implements control.ChatBackend.
func (n *Node) Messages(count int) []wire.Message { return n.sink.Recent(count) }

// FollowMessages implements control.ChatBackend.
func (n *Node) FollowMessages(ctx context.Context) (<-chan wire.Message, func() error) {
	return n.sink.Follow(ctx)
}

// Functions implements control.ChatBackend.
func (n *Node) Functions() []wire.FunctionInfo { return n.funcs.List() }
