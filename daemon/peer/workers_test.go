package peer

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestWorkersRunEveryJobAndStopWithTheContext: jobs handed in from many
// goroutines all run with the workers' context; once it ends the idle
// workers end too, so the owner's wait returns.
func TestWorkersRunEveryJobAndStopWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	w := newWorkers(ctx, &wg)
	var ran atomic.Int32
	var callers sync.WaitGroup
	for range 4 {
		callers.Go(func() {
			for range 100 {
				w.run(func(got context.Context) {
					if got != ctx {
						t.Error("a job got another context")
					}
					ran.Add(1)
				})
			}
		})
	}
	callers.Wait()
	cancel()
	wg.Wait()
	if n := ran.Load(); n != 400 {
		t.Fatalf("%d jobs ran, want 400", n)
	}
}

// TestIdleWorkerTakesTheNextJob: a worker that finished its job and waits
// is handed the next one instead of a new goroutine starting.
func TestIdleWorkerTakesTheNextJob(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	w := newWorkers(ctx, &wg)
	w.run(func(context.Context) {})
	second := make(chan struct{})
	// The first worker is idle once it is ready to take a job: the send
	// below succeeds only through it, as run's would.
	w.jobs <- func(context.Context) { close(second) }
	<-second
	cancel()
	wg.Wait()
}
