package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"chatd/wire"
)

// errStopNow ends the wait for running tasks when the operator asks again.
var errStopNow = errors.New("asked again to stop")

// maxListedTasks bounds the tasks the waiting line names.
const maxListedTasks = 5

// stopNow returns a context that ends when Options.StopNow closes, and the
// func that releases it.
func (n *Node) stopNow() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	if n.opts.StopNow != nil {
		go func() {
			select {
			case <-n.opts.StopNow:
				cancel(errStopNow)
			case <-ctx.Done():
			}
		}()
	}
	return ctx, func() { cancel(nil) }
}

// drain lets the running tasks finish within tasks.stop_grace, or until
// now ends. Peers' new calls are refused; the links of peers owed no
// result close at once, so they see this node down, and every other link
// as soon as its last result is out. Then the tasks still running are
// cancelled.
func (n *Node) drain(now context.Context) {
	grace := n.applied.Tasks.StopGrace.D()
	ctx, cancel := context.WithTimeoutCause(now, grace, fmt.Errorf("tasks.stop_grace (%s) is over", grace))
	defer cancel()
	n.gate.Close()
	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- n.sup.Close(ctx) }()
	n.closeUnowedLinks()
	running := n.sup.List(false)
	if len(running) > 0 && grace > 0 {
		msg := fmt.Sprintf("waiting up to %s for %s", grace, countOf(len(running), "running task"))
		if n.opts.StopNowHint != nil {
			msg += "; " + n.opts.StopNowHint()
		}
		n.log.Info(msg, "tasks", describeTasks(running))
		n.notify("STATUS=stopping: " + msg)
	}
	for {
		select {
		case err := <-closed:
			switch {
			case err != nil:
				n.log.Warn("running tasks cancelled: "+context.Cause(ctx).Error(), "tasks", describeTasks(running))
			case len(running) > 0:
				n.log.Info("running tasks finished", "after", time.Since(start).Round(time.Millisecond).String())
			}
			return
		case <-n.gate.Changed():
			n.closeUnowedLinks()
		}
	}
}

// closeUnowedLinks closes the link of every peer that no call of its is
// running here for.
func (n *Node) closeUnowedLinks() {
	for _, l := range n.router.Links() {
		node, err := wire.ParseNodeName(l.Node, n.cfg.Host)
		if err != nil || n.gate.Owed(node) {
			continue
		}
		n.router.Disconnect(node, "node shutting down")
	}
}

// describeTasks names tasks for a log line: "sleep 10s for alex@localhost".
func describeTasks(tasks []wire.TaskInfo) string {
	var parts []string
	for i, t := range tasks {
		if i == maxListedTasks {
			parts = append(parts, fmt.Sprintf("and %d more", len(tasks)-i))
			break
		}
		p := t.Function
		if t.Args != "" {
			p += " " + t.Args
		}
		parts = append(parts, p+" for "+t.Caller)
	}
	return strings.Join(parts, ", ")
}

// countOf is "1 running task" or "3 running tasks".
func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
