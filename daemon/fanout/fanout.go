// Package fanout streams events to watchers: each watch is a buffered
// channel that ends when its context does or when the fan-out closes. A
// publisher never waits for a watcher: one that has fallen a whole buffer
// behind either misses the event (counted) or is ended with a last event
// saying so, as its owner chooses.
//
// The node's event streams are built on it: node events (package
// nodewatch) and task events (package task).
package fanout

import (
	"context"
	"sync"
)

// Config is how a Fanout treats its watchers.
type Config[T any] struct {
	// Buffer is how many events a watcher may have unread.
	Buffer int
	// Lagged, if set, makes the last event of a watcher with Buffer events
	// unread from the event it cannot take, and ends its watch; if nil, the
	// watcher misses the event (see Dropped).
	Lagged func(ev T) T
	// Stamp, if set, completes each event (its time, say) under the lock
	// that orders the events, so that every watcher sees stamps in order.
	Stamp func(ev *T)
}

// Fanout is a set of watchers. It starts no goroutines: a watcher's ctx
// ending is handled by context.AfterFunc.
type Fanout[T any] struct {
	cfg Config[T]

	mu       sync.Mutex
	watchers map[*watcher[T]]struct{} // guarded by mu
	dropped  uint64                   // guarded by mu: events watchers missed
	closed   bool                     // guarded by mu: Close was called
	end      *T                       // guarded by mu: Close's last event of every watch
}

// watcher is one Watch call's channel. ch is sent to and closed only with
// Fanout.mu held; it has room for Buffer events and a last one.
type watcher[T any] struct {
	ch   chan T
	stop func() bool // deregisters the context.AfterFunc that ends the watch
}

// New returns a Fanout with no watchers.
func New[T any](cfg Config[T]) *Fanout[T] {
	return &Fanout[T]{cfg: cfg, watchers: make(map[*watcher[T]]struct{})}
}

// Watch returns a channel that receives every event published from now on,
// in order. It is closed when ctx ends, after a Lagged event, or after
// Close's last event; on a closed Fanout it holds only that last event.
// Buffered events can still be read after the close.
func (f *Fanout[T]) Watch(ctx context.Context) <-chan T {
	w := &watcher[T]{ch: make(chan T, f.cfg.Buffer+1)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		if f.end != nil {
			w.ch <- *f.end
		}
		close(w.ch)
		return w.ch
	}
	f.watchers[w] = struct{}{}
	w.stop = context.AfterFunc(ctx, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.endLocked(w, nil)
	})
	return w.ch
}

// Publish stamps ev and offers it to every watcher without blocking.
func (f *Fanout[T]) Publish(ev T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg.Stamp != nil {
		f.cfg.Stamp(&ev)
	}
	for w := range f.watchers {
		switch {
		case len(w.ch) < f.cfg.Buffer:
			w.ch <- ev
		case f.cfg.Lagged != nil:
			last := f.cfg.Lagged(ev)
			f.endLocked(w, &last)
		default:
			f.dropped++
		}
	}
}

// Dropped returns how many events watchers missed because their buffer
// was full, summed over all watchers.
func (f *Fanout[T]) Dropped() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dropped
}

// Close ends every watch, and every later one at once, with last as its
// final event if not nil. It reports false, changing nothing, when the
// Fanout was closed already.
func (f *Fanout[T]) Close(last *T) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.closed, f.end = true, last
	for w := range f.watchers {
		f.endLocked(w, last)
	}
	return true
}

// endLocked ends w's watch, with last as its final event if not nil,
// unless it has ended already. f.mu must be held.
func (f *Fanout[T]) endLocked(w *watcher[T], last *T) {
	if _, ok := f.watchers[w]; !ok {
		return
	}
	delete(f.watchers, w)
	if last != nil {
		w.ch <- *last
	}
	close(w.ch)
	w.stop()
}
