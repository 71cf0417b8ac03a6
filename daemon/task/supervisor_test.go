package task

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"chatd/wire"
)

func TestOverloaded(t *testing.T) {
	s := newTestSupervisor(t, Config{MaxRunning: 2})
	first, second := make(chan struct{}), make(chan struct{})
	a := mustStart(t, s, Spec{Function: "a", Run: blockUntil(first, "a")})
	b := mustStart(t, s, Spec{Function: "b", Run: blockUntil(second, "b")})

	_, err := s.Start(context.Background(), Spec{Function: "c", Run: untilCancelled})
	if !errors.Is(err, ErrOverloaded) {
		t.Fatalf("third Start: error = %v, want ErrOverloaded", err)
	}
	if want := "overloaded: 2 tasks running (tasks.max_running)"; err.Error() != want {
		t.Errorf("third Start: error = %q, want %q", err, want)
	}

	close(first)
	waitDone(t, a)
	c := mustStart(t, s, Spec{Function: "c", Run: blockUntil(second, "c")})
	close(second)
	waitDone(t, b)
	waitDone(t, c)
	if n := s.Running(); n != 0 {
		t.Errorf("Running() = %d, want 0", n)
	}
}

func TestHistoryBound(t *testing.T) {
	tests := []struct {
		name    string
		history int
		runs    int
		wantIDs []uint64
	}{
		{"under the bound", 5, 3, []uint64{3, 2, 1}},
		{"ring wraps", 3, 7, []uint64{7, 6, 5}},
		{"exactly full", 2, 2, []uint64{2, 1}},
		{"none kept", -1, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSupervisor(t, Config{History: tt.history})
			for i := range tt.runs {
				waitDone(t, mustStart(t, s, Spec{Function: fmt.Sprint("f", i)}))
			}
			if got := ids(s.List(true)); !equalIDs(got, tt.wantIDs) {
				t.Errorf("List(true) IDs = %v, want %v", got, tt.wantIDs)
			}
		})
	}
}

func TestDefaultHistory(t *testing.T) {
	s := New(Config{})
	defer s.Close(context.Background())
	if got := len(s.history.buf); got != DefaultHistory {
		t.Errorf("history size = %d, want %d", got, DefaultHistory)
	}
}

func TestListOrderAndTruncation(t *testing.T) {
	s := newTestSupervisor(t, Config{})
	release := make(chan struct{})
	long := strings.Repeat("x", 300)

	t1 := mustStart(t, s, Spec{Function: "one", Run: func(context.Context) (string, error) { return long, nil }})
	waitDone(t, t1)
	t2 := mustStart(t, s, Spec{Function: "two", Args: []string{strings.Repeat("a", 50), strings.Repeat("b", 50)},
		Caller: "kate@localhost", Run: blockUntil(release, "")})
	t3 := mustStart(t, s, Spec{Function: "three", Run: func(context.Context) (string, error) {
		return "", errors.New(long)
	}})
	waitDone(t, t3)
	t4 := mustStart(t, s, Spec{Function: "four", Args: []string{"hi", "there"}, Run: blockUntil(release, "")})

	if got, want := ids(s.List(false)), []uint64{t2.ID(), t4.ID()}; !equalIDs(got, want) {
		t.Errorf("List(false) IDs = %v, want %v", got, want)
	}
	all := s.List(true)
	if got, want := ids(all), []uint64{2, 4, 3, 1}; !equalIDs(got, want) {
		t.Fatalf("List(true) IDs = %v, want %v", got, want)
	}
	two, four, three, one := all[0], all[1], all[2], all[3]
	if want := strings.Repeat("a", 50) + " " + strings.Repeat("b", 29) + "…"; two.Args != want {
		t.Errorf("args = %q, want %q", two.Args, want)
	}
	if two.State != wire.TaskRunning || two.Caller != "kate@localhost" || two.DurationMs < 0 {
		t.Errorf("running task info = %+v", two)
	}
	if four.Args != "hi there" {
		t.Errorf("args = %q, want %q", four.Args, "hi there")
	}
	if want := strings.Repeat("x", maxResult) + "…"; one.Result != want || one.State != wire.TaskOK {
		t.Errorf("ok task info = %+v, want truncated result", one)
	}
	if want := strings.Repeat("x", maxResult) + "…"; three.Error != want || three.State != wire.TaskFailed {
		t.Errorf("failed task info = %+v, want truncated error", three)
	}
	if res, _ := t1.Result(); res != long {
		t.Errorf("Result() was truncated to %d bytes; only listings truncate", len(res))
	}
	close(release)
	waitDone(t, t2)
	waitDone(t, t4)
}

func TestClose(t *testing.T) {
	t.Run("waits for running tasks", func(t *testing.T) {
		s := New(Config{})
		release := make(chan struct{})
		task := mustStart(t, s, Spec{Function: "slow", Run: blockUntil(release, "finished")})
		closed := make(chan error, 1)
		go func() { closed <- s.Close(context.Background()) }()

		for { // until Close has begun; probes that start finish at once
			_, err := s.Start(context.Background(), Spec{Function: "probe", Run: quick})
			if errors.Is(err, ErrShutdown) {
				break
			}
			if err != nil {
				t.Fatalf("probe Start: %v", err)
			}
			runtime.Gosched()
		}
		select {
		case err := <-closed:
			t.Fatalf("Close returned (%v) while a task was running", err)
		default:
		}
		close(release)
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
		if res, err := task.Result(); task.State() != wire.TaskOK || res != "finished" || err != nil {
			t.Errorf("task after Close: %s %q %v, want ok", task.State(), res, err)
		}
	})

	t.Run("cancels tasks that outlive ctx", func(t *testing.T) {
		s := New(Config{})
		task := mustStart(t, s, Spec{Function: "forever", Run: untilCancelled})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := s.Close(ctx)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "1 running tasks") {
			t.Errorf("Close: error = %v, want one cancelled task and context.Canceled", err)
		}
		select {
		case <-task.Done():
		default:
			t.Fatal("Close returned before the cancelled task finished")
		}
		_, terr := task.Result()
		if task.State() != wire.TaskCancelled || !errors.Is(terr, ErrShutdown) || !errors.Is(terr, context.Canceled) {
			t.Errorf("task: state %s, error %v; want cancelled by ErrShutdown", task.State(), terr)
		}
	})

	t.Run("idempotent, then Start fails and Watch is closed", func(t *testing.T) {
		s := New(Config{})
		watch := s.Watch(context.Background())
		for i := range 2 {
			if err := s.Close(context.Background()); err != nil {
				t.Fatalf("Close #%d: %v", i+1, err)
			}
		}
		if _, err := s.Start(context.Background(), Spec{Function: "late", Run: untilCancelled}); !errors.Is(err, ErrShutdown) {
			t.Errorf("Start after Close: error = %v, want ErrShutdown", err)
		}
		if _, ok := <-watch; ok {
			t.Error("Watch channel open after Close")
		}
		if _, ok := <-s.Watch(context.Background()); ok {
			t.Error("Watch after Close returned an open channel")
		}
	})
}

func TestCheck(t *testing.T) {
	s := newTestSupervisor(t, Config{MaxRunning: 1})
	if err := s.Check(context.Background()); err != nil {
		t.Errorf("Check: %v", err)
	}
	s.mu.Lock() // a wedged supervisor
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Check(ctx)
	s.mu.Unlock()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Check with the lock held: error = %v, want context.Canceled", err)
	}
}

// TestConcurrent runs 1,000 short tasks started at once while others list,
// watch and check; run it with -race.
func TestConcurrent(t *testing.T) {
	const n = 1000
	s := newTestSupervisor(t, Config{MaxRunning: n})
	ctx, cancel := context.WithCancel(context.Background())
	watch := s.Watch(ctx)

	var wg sync.WaitGroup
	tasks := make([]*Task, n)
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			task, err := s.Start(context.Background(), Spec{Function: "echo", Args: []string{fmt.Sprint(i)},
				Run: func(context.Context) (string, error) { return fmt.Sprint(i), nil }})
			if err != nil {
				errs <- err
				return
			}
			tasks[i] = task
			s.List(i%2 == 0)
			_ = task.Info()
			if err := s.Check(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := make(map[uint64]bool, n)
	for i, task := range tasks {
		waitDone(t, task)
		if res, err := task.Result(); res != fmt.Sprint(i) || err != nil {
			t.Errorf("task %d: Result() = %q, %v", task.ID(), res, err)
		}
		if seen[task.ID()] || task.ID() < 1 || task.ID() > n {
			t.Errorf("task ID %d duplicated or out of 1..%d", task.ID(), n)
		}
		seen[task.ID()] = true
	}
	if got := len(s.List(true)); got != n || s.Running() != 0 {
		t.Errorf("List(true) has %d tasks, Running() = %d; want %d and 0", got, s.Running(), n)
	}
	cancel()
	events := 0
	for range watch {
		events++
	}
	if want := 2 * n; uint64(events)+s.Dropped() != uint64(want) {
		t.Errorf("watch got %d events, %d dropped; want %d in all", events, s.Dropped(), want)
	}
}

func ids(infos []wire.TaskInfo) []uint64 {
	var out []uint64
	for _, info := range infos {
		out = append(out, info.ID)
	}
	return out
}

func equalIDs(a, b []uint64) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}
