package task

import (
	"context"
	"testing"
	"time"

	"chatd/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// newTestSupervisor returns a supervisor that is closed when the test ends.
func newTestSupervisor(t *testing.T, cfg Config) *Supervisor {
	t.Helper()
	s := New(cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// mustStart starts spec and fails the test if that fails.
func mustStart(t *testing.T, s *Supervisor, spec Spec) *Task {
	t.Helper()
	if spec.Run == nil {
		spec.Run = quick
	}
	task, err := s.Start(context.Background(), spec)
	if err != nil {
		t.Fatalf("Start(%q): %v", spec.Function, err)
	}
	return task
}

// waitDone waits for task to finish.
func waitDone(t *testing.T, task *Task) {
	t.Helper()
	select {
	case <-task.Done():
	case <-time.After(testkit.Wait):
		t.Fatalf("task %d did not finish", task.ID())
	}
}

// blockUntil returns a task body that returns result once release is closed,
// or the context's error when its context ends first.
func blockUntil(release <-chan struct{}, result string) Func {
	return func(ctx context.Context) (string, error) {
		select {
		case <-release:
			return result, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// untilCancelled is a task body that runs until its context ends.
func untilCancelled(ctx context.Context) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
}

// quick is a task body that returns at once.
func quick(context.Context) (string, error) { return "", nil }
