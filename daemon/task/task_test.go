package task

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"chatd/wire"
)

func TestStates(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		run     Func
		timeout time.Duration
		// act runs after Start; cancelCaller cancels the ctx given to Start.
		act        func(task *Task, cancelCaller context.CancelFunc)
		callerCtx  func() (context.Context, context.CancelFunc)
		wantState  string
		wantResult string
		wantIs     []error
		wantErr    string
	}{
		{
			name:       "ok",
			run:        func(context.Context) (string, error) { return "hi", nil },
			wantState:  wire.TaskOK,
			wantResult: "hi",
		},
		{
			name:      "failed",
			run:       func(context.Context) (string, error) { return "ignored", errBoom },
			wantState: wire.TaskFailed,
			wantIs:    []error{errBoom},
			wantErr:   "boom",
		},
		{
			name:      "panic",
			run:       func(context.Context) (string, error) { panic("kaboom") },
			wantState: wire.TaskFailed,
			wantErr:   "panic: kaboom",
		},
		{
			name:      "panic with error",
			run:       func(context.Context) (string, error) { panic(errBoom) },
			wantState: wire.TaskFailed,
			wantIs:    []error{errBoom},
			wantErr:   "panic: boom",
		},
		{
			name: "goexit",
			run: func(context.Context) (string, error) {
				runtime.Goexit()
				return "", nil
			},
			wantState: wire.TaskFailed,
			wantIs:    []error{errGoexit},
		},
		{
			name:      "timeout",
			run:       untilCancelled,
			timeout:   time.Millisecond,
			wantState: wire.TaskTimeout,
			wantIs:    []error{context.DeadlineExceeded},
			wantErr:   "timed out after 1ms",
		},
		{
			name: "caller deadline",
			run:  untilCancelled,
			callerCtx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), time.Millisecond)
			},
			wantState: wire.TaskTimeout,
			wantIs:    []error{context.DeadlineExceeded},
			wantErr:   "timed out (the caller's deadline passed)",
		},
		{
			name:      "cancelled by Cancel",
			run:       untilCancelled,
			act:       func(task *Task, _ context.CancelFunc) { task.Cancel() },
			wantState: wire.TaskCancelled,
			wantIs:    []error{context.Canceled},
			wantErr:   "cancelled",
		},
		{
			name:      "cancelled by caller",
			run:       untilCancelled,
			act:       func(_ *Task, cancel context.CancelFunc) { cancel() },
			wantState: wire.TaskCancelled,
			wantIs:    []error{context.Canceled},
			wantErr:   "cancelled",
		},
		{
			name: "cancelled but returned a result",
			run: func(ctx context.Context) (string, error) {
				<-ctx.Done()
				return "finished anyway", nil
			},
			act:        func(task *Task, _ context.CancelFunc) { task.Cancel() },
			wantState:  wire.TaskOK,
			wantResult: "finished anyway",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSupervisor(t, Config{})
			ctx, cancel := context.WithCancel(context.Background())
			if tt.callerCtx != nil {
				ctx, cancel = tt.callerCtx()
			}
			defer cancel()
			task, err := s.Start(ctx, Spec{Function: tt.name, Run: tt.run, Timeout: tt.timeout})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if tt.act != nil {
				tt.act(task, cancel)
			}
			waitDone(t, task)

			if got := task.State(); got != tt.wantState {
				t.Errorf("State() = %q, want %q", got, tt.wantState)
			}
			res, err := task.Result()
			if res != tt.wantResult {
				t.Errorf("Result() = %q, want %q", res, tt.wantResult)
			}
			if (err != nil) != (tt.wantState != wire.TaskOK) {
				t.Errorf("Result() error = %v, want error: %t", err, tt.wantState != wire.TaskOK)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("Result() error = %v, want errors.Is %v", err, target)
				}
			}
			if tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("Result() error = %v, want %q", err, tt.wantErr)
			}
			info := task.Info()
			if info.State != tt.wantState || info.Result != tt.wantResult {
				t.Errorf("Info() = %+v, want state %q result %q", info, tt.wantState, tt.wantResult)
			}
			if err != nil && info.Error != err.Error() {
				t.Errorf("Info().Error = %q, want %q", info.Error, err.Error())
			}
		})
	}
}

func TestPanicIsLoggedAndSupervisorSurvives(t *testing.T) {
	var logs bytes.Buffer
	s := newTestSupervisor(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	task := mustStart(t, s, Spec{Function: "crash", Run: func(context.Context) (string, error) {
		panic("crash requested")
	}})
	waitDone(t, task)

	_, err := task.Result()
	var perr *PanicError
	if !errors.As(err, &perr) {
		t.Fatalf("Result() error = %v (%T), want *PanicError", err, err)
	}
	if perr.Value != "crash requested" || !bytes.Contains(perr.Stack, []byte("TestPanicIsLogged")) {
		t.Errorf("PanicError = %v with stack %q, want value and the panicking stack", perr.Value, perr.Stack)
	}
	lines := []string{"", ""} // the error record, the stack's
	for l := range strings.SplitSeq(logs.String(), "\n") {
		switch {
		case strings.Contains(l, `msg="task panicked"`):
			lines[0] = l
		case strings.Contains(l, `msg="task panic stack"`):
			lines[1] = l
		}
	}
	for _, want := range []string{"level=ERROR", "task panicked", "crash requested"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("error record %q lacks %q", lines[0], want)
		}
	}
	if strings.Contains(lines[0], "stack=") || strings.Contains(lines[0], `\n`) {
		t.Errorf("error record %q holds the stack, want one readable line", lines[0])
	}
	for _, want := range []string{"level=DEBUG", "task panic stack", "stack=", "TestPanicIsLogged"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("debug record %q lacks %q", lines[1], want)
		}
	}

	next := mustStart(t, s, Spec{Function: "after", Run: func(context.Context) (string, error) { return "alive", nil }})
	waitDone(t, next)
	if res, err := next.Result(); res != "alive" || err != nil {
		t.Errorf("task after panic: Result() = %q, %v", res, err)
	}
}

func TestResultWhileRunning(t *testing.T) {
	s := newTestSupervisor(t, Config{})
	release := make(chan struct{})
	task := mustStart(t, s, Spec{Function: "block", Run: blockUntil(release, "done")})
	if _, err := task.Result(); !errors.Is(err, ErrRunning) {
		t.Errorf("Result() while running: error = %v, want ErrRunning", err)
	}
	if got := task.State(); got != wire.TaskRunning {
		t.Errorf("State() = %q, want running", got)
	}
	close(release)
	waitDone(t, task)
	if res, err := task.Result(); res != "done" || err != nil {
		t.Errorf("Result() = %q, %v, want done", res, err)
	}
}

func TestStartRejects(t *testing.T) {
	s := newTestSupervisor(t, Config{})
	if _, err := s.Start(context.Background(), Spec{Function: "nobody"}); err == nil {
		t.Error("Start without Run: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Start(ctx, Spec{Function: "late", Run: untilCancelled}); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with ended ctx: error = %v, want context.Canceled", err)
	}
	if n := s.Running(); n != 0 {
		t.Errorf("Running() = %d after rejected starts, want 0", n)
	}
}

// TestRunInTheCallersGoroutine: Run returns a finished task, in the state
// Start's would end in, recorded like one; a running one is listed, and
// Close cancels it.
func TestRunInTheCallersGoroutine(t *testing.T) {
	tests := []struct {
		name       string
		run        Func
		timeout    time.Duration
		wantState  string
		wantResult string
		wantErr    string
	}{
		{"ok", func(context.Context) (string, error) { return "hi", nil }, 0, wire.TaskOK, "hi", ""},
		{"failed", func(context.Context) (string, error) { return "", errors.New("boom") }, 0, wire.TaskFailed, "", "boom"},
		{"panic", func(context.Context) (string, error) { panic("kaboom") }, 0, wire.TaskFailed, "", "panic: kaboom"},
		{"timeout", untilCancelled, time.Millisecond, wire.TaskTimeout, "", "timed out after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSupervisor(t, Config{})
			onDone := 0
			task, err := s.Run(context.Background(), Spec{Function: tt.name, Run: tt.run, Timeout: tt.timeout, OnDone: func(*Task) { onDone++ }})
			if err != nil {
				t.Fatal(err)
			}
			if got := task.State(); got != tt.wantState || onDone != 1 {
				t.Fatalf("state %q, OnDone called %d times; want %q, once", got, onDone, tt.wantState)
			}
			v, err := task.Result()
			if v != tt.wantResult || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Result() = %q, %v; want %q, %q", v, err, tt.wantResult, tt.wantErr)
			}
			if l := s.List(true); len(l) != 1 || l[0].State != tt.wantState {
				t.Errorf("List(true) = %+v, want the one task, %s", l, tt.wantState)
			}
		})
	}
	t.Run("close cancels it", func(t *testing.T) {
		s := New(Config{})
		running := make(chan struct{})
		ran := make(chan *Task, 1)
		go func() {
			task, _ := s.Run(context.Background(), Spec{Function: "wait", Run: func(ctx context.Context) (string, error) {
				close(running)
				return untilCancelled(ctx)
			}})
			ran <- task
		}()
		<-running
		if l := s.List(false); len(l) != 1 || l[0].State != wire.TaskRunning {
			t.Fatalf("List(false) = %+v, want the running task", l)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // stop waiting at once: cancel the task
		_ = s.Close(ctx)
		if task := <-ran; task.State() != wire.TaskCancelled {
			t.Errorf("state after Close = %q, want cancelled", task.State())
		}
	})
}
