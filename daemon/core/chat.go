package core

import (
	"context"
	"time"

	"chatd/daemon/function"
	"chatd/wire"
)

// SendMessage delivers text to the node to: receive_message on its supervisor.
// Success means to's sink took the message (and, when to is a responder,
// that its reply landed here). The messages to sent back to this node
// while the send was in flight are its replies.
func (c *Core) SendMessage(ctx context.Context, to wire.NodeName, text string) (wire.SendResponse, error) {
	id := function.NewMessageID()
	collected := func() []wire.Message { return nil }
	if !c.runsHere(to) {
		collected = c.sends.wait(to)
	}
	_, err := c.Call(ctx, to, wire.Call{Function: "receive_message", Args: []string{text}, MsgID: id})
	replies := collected()
	if err != nil {
		return wire.SendResponse{}, err
	}
	ranOn, local := c.placement(to)
	return wire.SendResponse{ID: id, From: c.cfg.Self.String(), To: to.String(), RanOn: ranOn.String(), Local: local,
		Replies: replies}, nil
}

// CallFunction runs function on node and awaits its result, timing it
// (timeout 0: the await timeout).
func (c *Core) CallFunction(ctx context.Context, node wire.NodeName, fn string, args []string, timeout time.Duration) (wire.CallResponse, error) {
	start := time.Now()
	v, err := c.Call(ctx, node, wire.Call{Function: fn, Args: args, Timeout: timeout})
	if err != nil {
		return wire.CallResponse{}, err
	}
	ranOn, local := c.placement(node)
	return wire.CallResponse{Node: node.String(), Function: fn, Result: v,
		DurationMs: float64(time.Since(start).Microseconds()) / 1000, RanOn: ranOn.String(), Local: local}, nil
}

// Tasks lists the running tasks, and with all the finished ones kept.
func (c *Core) Tasks(all bool) []wire.TaskInfo { return c.cfg.Sup.List(all) }

// WatchTasks streams task starts and finishes until ctx ends.
func (c *Core) WatchTasks(ctx context.Context) <-chan wire.TaskInfo { return c.cfg.Sup.Watch(ctx) }

// Messages returns up to count recent received messages (≤ 0: all kept).
func (c *Core) Messages(count int) []wire.Message { return c.cfg.Sink.Recent(count) }

// FollowMessages streams received messages until ctx ends; the func says
// why the stream ended early, if it did.
func (c *Core) FollowMessages(ctx context.Context) (<-chan wire.Message, func() error) {
	return c.cfg.Sink.Follow(ctx)
}

// Functions lists the builtin functions.
func (c *Core) Functions() []wire.FunctionInfo { return c.cfg.Funcs.List() }
