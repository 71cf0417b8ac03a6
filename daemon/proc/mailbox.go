package proc

import (
	"context"
	"fmt"
	"sync"
	"time"

	"chatd/wire"
)

// Message is one entry of a mailbox: a message from another process, or
// an exit notice from a linked one.
type Message struct {
	From   wire.Pid
	Text   string
	Exit   bool   // an exit notice rather than a message
	Reason string // the exit reason of a notice
	Time   time.Time
}

// Info returns m for the control API.
func (m Message) Info() wire.MailboxMessage {
	return wire.MailboxMessage{From: m.From.String(), Text: m.Text, Exit: m.Exit, Reason: m.Reason, Time: m.Time}
}

// mailbox is a bounded FIFO queue of messages.
type mailbox struct {
	limit int
	mu    sync.Mutex
	queue []Message     // guarded by mu
	ready chan struct{} // holds a token while the queue is not empty
}

func newMailbox(limit int) *mailbox {
	return &mailbox{limit: limit, ready: make(chan struct{}, 1)}
}

// put appends m, or fails with ErrMailboxFull at the limit.
func (mb *mailbox) put(m Message) error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if len(mb.queue) >= mb.limit {
		return fmt.Errorf("%w (%d messages waiting, processes.mailbox)", ErrMailboxFull, len(mb.queue))
	}
	mb.queue = append(mb.queue, m)
	select {
	case mb.ready <- struct{}{}:
	default:
	}
	return nil
}

// take waits for the oldest message until ctx ends.
func (mb *mailbox) take(ctx context.Context) (Message, error) {
	for {
		mb.mu.Lock()
		if len(mb.queue) > 0 {
			m := mb.queue[0]
			mb.queue[0] = Message{}
			mb.queue = mb.queue[1:]
			if len(mb.queue) > 0 {
				select {
				case mb.ready <- struct{}{}:
				default:
				}
			}
			mb.mu.Unlock()
			return m, nil
		}
		mb.mu.Unlock()
		select {
		case <-mb.ready:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// drain removes and returns every message, oldest first.
func (mb *mailbox) drain() []Message {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	out := mb.queue
	mb.queue = nil
	return out
}

func (mb *mailbox) len() int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return len(mb.queue)
}
