package beam

import (
	"context"
	"sync"
)

// mailbox is a spawned process's bounded FIFO queue of messages: put
// never blocks (beyond limit a message is dropped), take waits. It grows
// with what is queued, so a process that never gets a message costs a few
// words, not a buffer of limit envelopes (an erpc call spawns one).
type mailbox struct {
	limit int
	mu    sync.Mutex
	queue []envelope    // guarded by mu
	ready chan struct{} // holds a token while the queue is not empty
}

func newMailbox(limit int) *mailbox {
	return &mailbox{limit: limit, ready: make(chan struct{}, 1)}
}

// put queues e; it reports false, dropping e, when the queue is full.
func (mb *mailbox) put(e envelope) bool {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if len(mb.queue) >= mb.limit {
		return false
	}
	mb.queue = append(mb.queue, e)
	select {
	case mb.ready <- struct{}{}:
	default:
	}
	return true
}

// poll returns the oldest message, if there is one, without waiting.
func (mb *mailbox) poll() (envelope, bool) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if len(mb.queue) == 0 {
		return envelope{}, false
	}
	e := mb.queue[0]
	mb.queue[0] = envelope{}
	mb.queue = mb.queue[1:]
	if len(mb.queue) > 0 {
		select {
		case mb.ready <- struct{}{}:
		default:
		}
	}
	return e, true
}

// take returns the oldest message, waiting for one until ctx ends.
func (mb *mailbox) take(ctx context.Context) (envelope, error) {
	for {
		if e, ok := mb.poll(); ok {
			return e, nil
		}
		select {
		case <-mb.ready:
		case <-ctx.Done():
			return envelope{}, ctx.Err()
		}
	}
}
