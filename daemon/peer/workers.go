package peer

import (
	"context"
	"sync"
	"time"
)

// workerIdle is how long a worker goroutine waits for more work before it
// ends.
const workerIdle = 5 * time.Second

// workers runs functions on goroutines it keeps for a while after they
// finish, so that a steady stream of short jobs (an Erlang node's erpc
// calls each spawn a process) reuses goroutines whose stacks have already
// grown instead of starting, and growing, a new one for each. Only as
// many goroutines as jobs that ran at once are kept, and each ends after
// workerIdle without work or when ctx ends.
type workers struct {
	ctx  context.Context
	wg   *sync.WaitGroup                // counts the goroutines; the owner waits
	jobs chan func(ctx context.Context) // unbuffered: taken only by an idle worker
}

func newWorkers(ctx context.Context, wg *sync.WaitGroup) *workers {
	return &workers{ctx: ctx, wg: wg, jobs: make(chan func(context.Context))}
}

// run runs f on an idle worker, or on a new one when none is idle.
func (w *workers) run(f func(ctx context.Context)) {
	select {
	case w.jobs <- f:
		return
	default:
	}
	w.wg.Add(1)
	go w.work(f)
}

// work runs f, then the jobs it is handed, until it idles out or ctx ends.
func (w *workers) work(f func(ctx context.Context)) {
	defer w.wg.Done()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		f(w.ctx)
		f = nil
		idle.Reset(workerIdle)
		select {
		case f = <-w.jobs:
		case <-idle.C:
			return
		case <-w.ctx.Done():
			return
		}
	}
}
