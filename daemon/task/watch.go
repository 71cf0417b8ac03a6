package task

import (
	"context"

	"chatd/wire"
)

// WatchBuffer is the number of events a Watch channel holds; a watcher that
// falls further behind loses events (see Dropped).
const WatchBuffer = 256

// watcher is one Watch channel. Sends to ch and its close happen under
// Supervisor.mu, so they never race.
type watcher struct {
	ch   chan wire.TaskInfo
	stop func() bool // unregisters the context.AfterFunc that closes ch
}

// Watch returns a channel that receives a TaskInfo snapshot when a task
// starts and another when it finishes, until ctx ends or the supervisor is
// closed; then the channel is closed. Tasks never wait for watchers: when
// the channel's buffer (WatchBuffer) is full, events are dropped and counted
// (see Dropped). Watch on a closed supervisor returns a closed channel.
func (s *Supervisor) Watch(ctx context.Context) <-chan wire.TaskInfo {
	w := &watcher{ch: make(chan wire.TaskInfo, WatchBuffer)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watchersClosed {
		close(w.ch)
		return w.ch
	}
	s.watchers[w] = struct{}{}
	w.stop = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.removeWatcherLocked(w)
	})
	return w.ch
}

// Dropped returns the number of watch events dropped so far because a
// watcher's buffer was full, summed over all watchers.
func (s *Supervisor) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// publishLocked offers info to every watcher without blocking.
func (s *Supervisor) publishLocked(info wire.TaskInfo) {
	for w := range s.watchers {
		select {
		case w.ch <- info:
		default:
			s.dropped++
		}
	}
}

// removeWatcherLocked closes w's channel unless that happened already.
func (s *Supervisor) removeWatcherLocked(w *watcher) {
	if _, ok := s.watchers[w]; !ok {
		return
	}
	delete(s.watchers, w)
	close(w.ch)
}

// closeWatchersLocked closes every Watch channel; Close calls it last.
func (s *Supervisor) closeWatchersLocked() {
	s.watchersClosed = true
	for w := range s.watchers {
		w.stop()
		s.removeWatcherLocked(w)
	}
}
