package core

import (
	"sync"

	"chatd/daemon/function"
	"chatd/wire"
)

// replies collects, for each send in flight, the messages its recipient
// sends back to this node before the send returns: a responder's answer
// (the lesson's moebi's chicken?), which lands here as part of the send.
type replies struct {
	mu      sync.Mutex
	waiting map[wire.NodeName][]*sendWait // by recipient, oldest first; guarded by mu
}

// sendWait is one send's collected replies.
type sendWait struct {
	msgs []wire.Message // guarded by replies.mu
}

// wait starts collecting what to sends here; done ends it and returns
// what came.
func (r *replies) wait(to wire.NodeName) (done func() []wire.Message) {
	w := &sendWait{}
	r.mu.Lock()
	if r.waiting == nil {
		r.waiting = make(map[wire.NodeName][]*sendWait)
	}
	r.waiting[to] = append(r.waiting[to], w)
	r.mu.Unlock()
	return func() []wire.Message {
		r.mu.Lock()
		defer r.mu.Unlock()
		ws := r.waiting[to]
		for i, x := range ws {
			if x == w {
				ws = append(ws[:i:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(r.waiting, to)
		} else {
			r.waiting[to] = ws
		}
		return w.msgs
	}
}

// note gives m, just delivered to this node's sink, to a send to its
// sender in flight: the oldest one that has no reply yet, else the
// oldest. A responder answers each message once, so concurrent sends to
// it each get one answer.
func (r *replies) note(m wire.Message) {
	from, err := wire.ParseNodeName(m.From, "")
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ws := r.waiting[from]
	if len(ws) == 0 {
		return
	}
	w := ws[0]
	for _, x := range ws {
		if len(x.msgs) == 0 {
			w = x
			break
		}
	}
	w.msgs = append(w.msgs, m)
}

// replySink is the sink a task's receive_message writes to: the node's
// sink, whose deliveries the sends in flight hear of.
type replySink struct {
	sink    function.MessageSink
	replies *replies
}

// Deliver implements function.MessageSink.
func (s replySink) Deliver(m wire.Message) error {
	if err := s.sink.Deliver(m); err != nil {
		return err
	}
	s.replies.note(m)
	return nil
}
