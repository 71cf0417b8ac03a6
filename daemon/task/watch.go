package task

import (
	"context"

	"chatd/wire"
)

// WatchBuffer is the number of events a Watch channel holds; a watcher that
// falls further behind loses events (see Dropped).
const WatchBuffer = 256

// Watch returns a channel that receives a TaskInfo snapshot when a task
// starts and another when it finishes, until ctx ends or the supervisor is
// closed; then the channel is closed. Tasks never wait for watchers: when
// the channel's buffer (WatchBuffer) is full, events are dropped and counted
// (see Dropped). Watch on a closed supervisor returns a closed channel.
func (s *Supervisor) Watch(ctx context.Context) <-chan wire.TaskInfo { return s.watches.Watch(ctx) }

// Dropped returns the number of watch events dropped so far because a
// watcher's buffer was full, summed over all watchers.
func (s *Supervisor) Dropped() uint64 { return s.watches.Dropped() }
