package proc

import (
	"context"
	"fmt"
	"time"

	"chatd/internal/fifo"
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
	q     *fifo.Queue[Message]
}

func newMailbox(limit int) *mailbox {
	return &mailbox{limit: limit, q: fifo.New[Message](limit)}
}

// put appends m, or fails with ErrMailboxFull at the limit.
func (mb *mailbox) put(m Message) error {
	if !mb.q.Put(m) {
		return fmt.Errorf("%w (%d messages waiting, processes.mailbox)", ErrMailboxFull, mb.limit)
	}
	return nil
}

// take waits for the oldest message until ctx ends.
func (mb *mailbox) take(ctx context.Context) (Message, error) { return mb.q.Take(ctx) }

// drain removes and returns every message, oldest first.
func (mb *mailbox) drain() []Message { return mb.q.Drain() }

func (mb *mailbox) len() int { return mb.q.Len() }
