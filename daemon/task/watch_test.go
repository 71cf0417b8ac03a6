package task

import (
	"context"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

// next receives one event from ch.
func next(t *testing.T, ch <-chan wire.TaskInfo) wire.TaskInfo {
	t.Helper()
	select {
	case info, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed")
		}
		return info
	case <-time.After(testkit.Wait):
		t.Fatal("no watch event")
	}
	return wire.TaskInfo{}
}

func TestWatchStartAndFinish(t *testing.T) {
	s := newTestSupervisor(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	watch := s.Watch(ctx)

	release := make(chan struct{})
	task := mustStart(t, s, Spec{Function: "greet", Args: []string{"kate"}, Run: blockUntil(release, "hello")})
	if got := next(t, watch); got.ID != task.ID() || got.State != wire.TaskRunning || got.Args != "kate" {
		t.Errorf("start event = %+v, want task %d running", got, task.ID())
	}
	close(release)
	if got := next(t, watch); got.ID != task.ID() || got.State != wire.TaskOK || got.Result != "hello" {
		t.Errorf("finish event = %+v, want task %d ok with result", got, task.ID())
	}

	cancel()
	for range watch { // drains until the channel is closed
	}
	waitDone(t, mustStart(t, s, Spec{Function: "unwatched"})) // no send on the closed channel
}

func TestSlowWatcherDoesNotBlockTasks(t *testing.T) {
	s := newTestSupervisor(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := s.Watch(ctx) // never read until the end

	const runs = WatchBuffer // two events each: half are dropped
	for i := range runs {
		task := mustStart(t, s, Spec{Function: "quick"})
		waitDone(t, task)
		if i == runs-1 && task.ID() != runs {
			t.Errorf("last task ID = %d, want %d", task.ID(), runs)
		}
	}
	if got, want := s.Dropped(), uint64(2*runs-WatchBuffer); got != want {
		t.Errorf("Dropped() = %d, want %d", got, want)
	}
	if got := len(slow); got != WatchBuffer {
		t.Errorf("slow watcher holds %d events, want %d", got, WatchBuffer)
	}
	if first := next(t, slow); first.ID != 1 || first.State != wire.TaskRunning {
		t.Errorf("first buffered event = %+v, want task 1 starting", first)
	}
}
