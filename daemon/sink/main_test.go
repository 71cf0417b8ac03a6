package sink

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// msg returns a message numbered i.
func msg(i int) wire.Message {
	return wire.Message{
		ID:   fmt.Sprintf("id-%d", i),
		From: "alex@localhost",
		To:   "kate@localhost",
		Text: fmt.Sprintf("hi %d", i),
	}
}

// deliver delivers msg(i) for each i in [from, to) and fails the test on
// an error.
func deliver(t *testing.T, s *Sink, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := s.Deliver(msg(i)); err != nil {
			t.Fatalf("Deliver(%d): %v", i, err)
		}
	}
}

// ids returns the IDs of msgs.
func ids(msgs []wire.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// idRange returns the IDs of msg(from) .. msg(to-1).
func idRange(from, to int) []string {
	out := []string{}
	for i := from; i < to; i++ {
		out = append(out, msg(i).ID)
	}
	return out
}

var errDiskFull = errors.New("disk full")

// failingWriter fails every message whose text is "fail" and records the
// others in memory.
type failingWriter struct {
	memory
}

func (w *failingWriter) Write(m wire.Message) error {
	if m.Text == "fail" {
		return fmt.Errorf("write message %s: %w", m.ID, errDiskFull)
	}
	return w.memory.Write(m)
}

// blockingWriter blocks every Write until release is closed, after
// announcing it on entered.
type blockingWriter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newBlockingWriter() *blockingWriter {
	return &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
}

func (w *blockingWriter) Write(wire.Message) error {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	return nil
}

// memory is a Writer that collects messages, for tests. It never fails. The zero value is ready to use and it is safe
// for concurrent use.
type memory struct {
	mu   sync.Mutex // guards msgs
	msgs []wire.Message
}

// Write appends m to the collected messages.
func (w *memory) Write(m wire.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, m)
	return nil
}

// Messages returns a copy of the messages written so far, oldest first.
func (w *memory) Messages() []wire.Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]wire.Message, len(w.msgs))
	copy(out, w.msgs)
	return out
}
