// Package fifo is a bounded first-in first-out queue that never blocks a
// producer and that a consumer can wait on: the mailbox of a process,
// chatd's own (daemon/proc) and those the BEAM sees (daemon/beam). It
// grows with what is queued, so an empty queue costs a few words.
package fifo

import (
	"context"
	"sync"
)

// Queue holds up to a limit of values, oldest first. Safe for concurrent
// use.
type Queue[T any] struct {
	limit int
	mu    sync.Mutex
	items []T           // guarded by mu
	ready chan struct{} // holds a token while items may be waiting
}

// New returns an empty queue that holds up to limit values.
func New[T any](limit int) *Queue[T] {
	return &Queue[T]{limit: limit, ready: make(chan struct{}, 1)}
}

// Put appends v; it reports false, dropping v, when the queue is full.
func (q *Queue[T]) Put(v T) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) >= q.limit {
		return false
	}
	q.items = append(q.items, v)
	q.signal()
	return true
}

// Poll removes and returns the oldest value, if there is one, without
// waiting.
func (q *Queue[T]) Poll() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero T
	if len(q.items) == 0 {
		return zero, false
	}
	v := q.items[0]
	q.items[0] = zero
	q.items = q.items[1:]
	if len(q.items) > 0 {
		q.signal()
	}
	return v, true
}

// Take removes and returns the oldest value, waiting for one until ctx
// ends.
func (q *Queue[T]) Take(ctx context.Context) (T, error) {
	for {
		if v, ok := q.Poll(); ok {
			return v, nil
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

// Ready has a value when a value may be waiting (Poll says whether), for
// a consumer that selects over more than the queue.
func (q *Queue[T]) Ready() <-chan struct{} { return q.ready }

// Drain removes and returns every value, oldest first.
func (q *Queue[T]) Drain() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.items
	q.items = nil
	return out
}

// Len is how many values are waiting.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// signal leaves a token in ready. Called with mu held.
func (q *Queue[T]) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
