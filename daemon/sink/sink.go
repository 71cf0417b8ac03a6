// Package sink is where a node writes the chat messages it receives: one
// record per message in journald under systemd, else one line on stdout
// (README, "The chat"). A Sink keeps the most recent messages
// for GET /v1/messages and streams new ones to followers
// (GET /v1/messages?follow=1).
//
// Delivery: Sink.Deliver returns nil only after the
// Writer wrote the message; only then may the sender be told "delivered".
// A message whose write failed is not kept and not streamed.
package sink

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"chatd/wire"
)

// DefaultKeep is the number of recent messages a Sink keeps when
// Config.Keep is not positive.
const DefaultKeep = 1000

// Config configures a Sink.
type Config struct {
	Writer Writer       // where messages are written; required
	Keep   int          // recent messages kept in memory for GET /v1/messages; <= 0: DefaultKeep
	Logger *slog.Logger // operational log (never the message text); nil: discard
}

// Sink writes received messages with its Writer, keeps the most recent ones
// and streams new ones to followers. It is safe for concurrent use and
// starts no goroutines of its own (a follower's ctx ending is handled by
// context.AfterFunc). It needs no Close.
type Sink struct {
	w   Writer
	log *slog.Logger

	// deliverLock is a one-slot semaphore used as a mutex. Deliver holds it
	// across w.Write and the publish that follows, so journal/stdout, the
	// ring and every follower see messages in one order. It is a channel so
	// that Check can give up when its ctx ends.
	deliverLock chan struct{}

	mu        sync.Mutex // guards ring, start, count, followers, delivered; never held across a Write
	ring      []wire.Message
	start     int // index in ring of the oldest kept message
	count     int // messages kept, <= len(ring)
	followers map[*follower]struct{}
	delivered uint64 // messages delivered since New
}

// New returns a Sink that writes with cfg.Writer. It panics if cfg.Writer
// is nil.
func New(cfg Config) *Sink {
	if cfg.Writer == nil {
		panic("sink.New: Config.Writer is nil")
	}
	keep := cfg.Keep
	if keep <= 0 {
		keep = DefaultKeep
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sink{
		w:           cfg.Writer,
		log:         log,
		deliverLock: make(chan struct{}, 1),
		ring:        make([]wire.Message, keep),
		followers:   make(map[*follower]struct{}),
	}
}

// Deliver writes m with the Writer. Only when that succeeded is m kept
// among the recent messages and sent to followers, and nil returned; the
// sender may be told "delivered" only after Deliver returned nil. The
// Writer's error is returned as is (it names the message). If m.Time is
// zero, Deliver sets it to the current time first.
//
// Deliver calls are serialised; a Writer that blocks blocks the callers
// behind it (Check reports that).
func (s *Sink) Deliver(m wire.Message) error {
	if m.Time.IsZero() {
		m.Time = time.Now().Round(0) // wall clock only: compares equal after a JSON round trip
	}
	s.deliverLock <- struct{}{}
	defer func() { <-s.deliverLock }()
	if err := s.w.Write(m); err != nil {
		return err
	}
	s.publish(m)
	s.log.Debug("message delivered", "id", m.ID, "from", m.From, "to", m.To)
	return nil
}

// publish keeps m in the ring and offers it to every follower, cutting off
// those whose buffer is full.
func (s *Sink) publish(m wire.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delivered++
	if s.count < len(s.ring) {
		s.ring[(s.start+s.count)%len(s.ring)] = m
		s.count++
	} else {
		s.ring[s.start] = m
		s.start = (s.start + 1) % len(s.ring)
	}
	for f := range s.followers {
		select {
		case f.ch <- m:
		default:
			s.cutLocked(f, ErrFollowerTooSlow)
			s.log.Debug("follower cut off", "reason", ErrFollowerTooSlow, "message", m.ID)
		}
	}
}

// Delivered returns how many messages were delivered since New.
func (s *Sink) Delivered() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// Recent returns up to n of the most recent messages, oldest first; n <= 0
// returns all kept (at most Config.Keep). The slice is the caller's.
func (s *Sink) Recent(n int) []wire.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.count
	if n > 0 && n < k {
		k = n
	}
	out := make([]wire.Message, k)
	first := s.start + s.count - k
	for i := range out {
		out[i] = s.ring[(first+i)%len(s.ring)]
	}
	return out
}

// Check takes and releases the sink's locks within ctx, for a watchdog: an
// error means a Deliver has been stuck in its Writer (e.g. journald not
// answering) at least since Check was called.
func (s *Sink) Check(ctx context.Context) error {
	select {
	case s.deliverLock <- struct{}{}:
		<-s.deliverLock
	case <-ctx.Done():
		return fmt.Errorf("sink: delivery lock still held (writer stuck?): %w", context.Cause(ctx))
	}
	// mu is never held across I/O, so taking it cannot block for long;
	// taking it proves no bug left it locked.
	s.mu.Lock()
	defer s.mu.Unlock()
	return nil
}
