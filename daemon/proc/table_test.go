package proc

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire"
)

func TestShell(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	sh := tb.Shell()
	if sh == nil {
		t.Fatal("Shell() = nil")
	}
	want := wire.Pid{Node: testNode, ID: 1, Creation: testCreation}
	if sh.Pid() != want {
		t.Fatalf("shell pid %v, want %v", sh.Pid(), want)
	}
	if !sh.LinkedTo().IsZero() {
		t.Fatalf("shell linked to %v", sh.LinkedTo())
	}
	if p, err := tb.Lookup(want); err != nil || p != sh {
		t.Fatalf("Lookup(%v) = %p, %v; want the shell", want, p, err)
	}
	list := tb.List()
	if len(list) != 1 {
		t.Fatalf("List() = %#v, want the shell alone", list)
	}
	if got := list[0]; got.Pid != "<kate@localhost.1.7>" || got.Function != "shell" ||
		got.Args != "" || got.LinkedTo != "" || got.Mailbox != 0 || got.Started.IsZero() {
		t.Fatalf("List()[0] = %#v", got)
	}
	if isDone(sh) {
		t.Fatal("the shell has ended")
	}
}

func TestSpawnRunsBody(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	var out output
	args := make(chan []string, 1)
	p := mustSpawn(t, tb, Spec{
		Function: "greet", Args: []string{"kate", "alex"}, LinkedTo: tb.Shell().Pid(), Output: out.print,
		Run: func(ctx context.Context, p *Process) error {
			args <- p.args
			p.Print("hello")
			p.Print("")
			p.Print("bye")
			return nil
		},
	})
	if want := (wire.Pid{Node: testNode, ID: 2, Creation: testCreation}); p.Pid() != want {
		t.Fatalf("first spawned pid %v, want %v", p.Pid(), want)
	}
	if p.LinkedTo() != tb.Shell().Pid() {
		t.Fatalf("LinkedTo() = %v, want the shell", p.LinkedTo())
	}
	if reason := waitDone(t, p); reason != "normal" {
		t.Fatalf("reason %q, want normal", reason)
	}
	if got := <-args; !reflect.DeepEqual(got, []string{"kate", "alex"}) {
		t.Fatalf("body saw args %q", got)
	}
	if got, want := out.get(), []string{"hello", "", "bye"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("output %q, want %q", got, want)
	}
	if _, err := tb.Lookup(p.Pid()); !errors.Is(err, ErrNoProcess) {
		t.Fatalf("Lookup after exit: %v, want ErrNoProcess", err)
	}
	if n := len(tb.List()); n != 1 {
		t.Fatalf("List() has %d entries after the process ended, want the shell alone", n)
	}
	// Ids are never reused.
	if q := mustSpawn(t, tb, Spec{}); q.Pid().ID != 3 {
		t.Fatalf("second spawned pid %v, want id 3", q.Pid())
	}
}

func TestPrintWithoutOutput(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	p := mustSpawn(t, tb, Spec{Run: func(ctx context.Context, p *Process) error {
		p.Print("nobody listens")
		return nil
	}})
	if reason := waitDone(t, p); reason != wire.ExitNormal {
		t.Fatalf("reason %q, want normal", reason)
	}
}

func TestExitReasons(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(context.Context, *Process) error
		want string
	}{
		{"returns nil", func(context.Context, *Process) error { return nil }, "normal"},
		{"returns an error", func(context.Context, *Process) error { return errors.New("boom") }, "boom"},
		{"returns a wrapped error", func(context.Context, *Process) error {
			return fmt.Errorf("count %q: %w", "x", errors.New("not a number"))
		}, `count "x": not a number`},
		{"panics with a string", func(context.Context, *Process) error { panic("kaboom") }, "panic: kaboom"},
		{"panics with an error", func(context.Context, *Process) error { panic(errors.New("bad state")) }, "panic: bad state"},
		{"index out of range", func(_ context.Context, p *Process) error {
			return errors.New(p.args[3])
		}, "panic: runtime error: index out of range [3] with length 0"},
		{"no body", nil, "panic: runtime error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTestTable(t, 10, 10)
			p, err := tb.Spawn(Spec{Function: "f", Run: tc.run})
			if err != nil {
				t.Fatalf("Spawn: %v", err)
			}
			if reason := waitDone(t, p); !strings.HasPrefix(reason, tc.want) {
				t.Fatalf("reason %q, want %q", reason, tc.want)
			}
			// The table keeps working.
			if n := len(tb.List()); n != 1 {
				t.Fatalf("List() has %d entries after the process ended", n)
			}
			q := mustSpawn(t, tb, Spec{Run: func(context.Context, *Process) error { return nil }})
			if reason := waitDone(t, q); reason != wire.ExitNormal {
				t.Fatalf("next process: reason %q", reason)
			}
		})
	}
}

func TestKillEndsReceive(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	receiving := make(chan struct{})
	recvErr := make(chan error, 1)
	p := mustSpawn(t, tb, Spec{Function: "loop", Run: func(ctx context.Context, p *Process) error {
		close(receiving)
		_, err := p.Receive(context.Background())
		recvErr <- err
		return err
	}})
	<-receiving
	p.Kill("stop it")
	if reason := waitDone(t, p); reason != "stop it" {
		t.Fatalf("reason %q, want the kill reason", reason)
	}
	if err := <-recvErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive in a killed process: %v, want context.Canceled", err)
	}
	if _, err := tb.Lookup(p.Pid()); !errors.Is(err, ErrNoProcess) {
		t.Fatalf("Lookup after kill: %v, want ErrNoProcess", err)
	}
	p.Kill("again") // harmless after the end
	if p.Reason() != "stop it" {
		t.Fatalf("reason changed to %q", p.Reason())
	}
}

func TestKillWinsOverTheBodysError(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	p := mustSpawn(t, tb, Spec{Run: func(ctx context.Context, p *Process) error {
		<-ctx.Done()
		return errors.New("cleanup failed")
	}})
	p.Kill("killed")
	if reason := waitDone(t, p); reason != "killed" {
		t.Fatalf("reason %q, want killed", reason)
	}
}

func TestLookupAndSendErrors(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	ended := mustSpawn(t, tb, Spec{Run: func(context.Context, *Process) error { return nil }})
	waitDone(t, ended)
	for _, tc := range []struct {
		name    string
		pid     wire.Pid
		wantMsg string
	}{
		{"other node", wire.Pid{Node: wire.NodeName{Name: "alex", Host: "localhost"}, ID: 1, Creation: testCreation}, "it is not on kate@localhost"},
		{"other host", wire.Pid{Node: wire.NodeName{Name: "kate", Host: "box"}, ID: 1, Creation: testCreation}, "it is not on kate@localhost"},
		{"earlier creation", wire.Pid{Node: testNode, ID: 1, Creation: testCreation - 1}, "it belonged to an earlier start of kate@localhost"},
		{"later creation", wire.Pid{Node: testNode, ID: 1, Creation: testCreation + 1}, "earlier start"},
		{"ended process", ended.Pid(), "it has ended or never existed"},
		{"never existed", wire.Pid{Node: testNode, ID: 999, Creation: testCreation}, "it has ended or never existed"},
		{"id zero", wire.Pid{Node: testNode, ID: 0, Creation: testCreation}, "it has ended or never existed"},
		{"zero pid", wire.Pid{}, "is not on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tb.Lookup(tc.pid)
			if !errors.Is(err, ErrNoProcess) || !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), tc.pid.String()) {
				t.Fatalf("Lookup(%v) = %v, %v; want ErrNoProcess naming the pid and saying %q", tc.pid, p, err, tc.wantMsg)
			}
			if p != nil {
				t.Fatalf("Lookup(%v) returned a process with its error", tc.pid)
			}
			err = tb.Send(tc.pid, msg("hi"))
			if !errors.Is(err, ErrNoProcess) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Send(%v) = %v, want ErrNoProcess saying %q", tc.pid, err, tc.wantMsg)
			}
			if errors.Is(err, ErrMailboxFull) {
				t.Fatalf("Send(%v) = %v, also ErrMailboxFull", tc.pid, err)
			}
		})
	}
	if n := len(tb.Shell().Drain()); n != 0 {
		t.Fatalf("a failed send reached the shell: %d messages", n)
	}
}

func TestMaxProcesses(t *testing.T) {
	tb := newTestTable(t, 10, 3) // the shell and two more
	a := mustSpawn(t, tb, Spec{})
	_, release, err := tb.Attach("task", nil)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	_, err = tb.Spawn(Spec{Function: "one too many", Run: untilKilled})
	if !errors.Is(err, ErrTooMany) || !strings.Contains(err.Error(), "3 alive (processes.max)") {
		t.Fatalf("Spawn over the limit: %v, want ErrTooMany saying 3 alive", err)
	}
	if _, _, err := tb.Attach("task", nil); !errors.Is(err, ErrTooMany) {
		t.Fatalf("Attach over the limit: %v, want ErrTooMany", err)
	}
	// Room again once one ends, either way.
	release()
	b := mustSpawn(t, tb, Spec{})
	a.Kill("make room")
	waitDone(t, a)
	c := mustSpawn(t, tb, Spec{})
	if _, err := tb.Spawn(Spec{Function: "f", Run: untilKilled}); !errors.Is(err, ErrTooMany) {
		t.Fatalf("Spawn over the limit again: %v, want ErrTooMany", err)
	}
	if b.Pid().ID != 4 || c.Pid().ID != 5 {
		t.Fatalf("pids %v, %v; want ids 4 and 5", b.Pid(), c.Pid())
	}
}

func TestAttach(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	p, release, err := tb.Attach("await", []string{"x"})
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	if isDone(p) {
		t.Fatal("an attached process has ended before release")
	}
	if got, err := tb.Lookup(p.Pid()); err != nil || got != p {
		t.Fatalf("Lookup(%v) = %p, %v; want the attached process", p.Pid(), got, err)
	}
	list := tb.List()
	if len(list) != 2 || list[1].Pid != p.Pid().String() || list[1].Function != "await" || list[1].Args != "x" || list[1].LinkedTo != "" {
		t.Fatalf("List() = %#v", list)
	}
	// The caller's own goroutine receives: nothing else runs for p.
	if err := tb.Send(p.Pid(), msg("for the task")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
	defer cancel()
	if m, err := p.Receive(ctx); err != nil || m.Text != "for the task" {
		t.Fatalf("Receive = %#v, %v", m, err)
	}

	release()
	if !isDone(p) || p.Reason() != wire.ExitNormal {
		t.Fatalf("after release: done %v, reason %q; want done, normal", isDone(p), p.Reason())
	}
	if _, err := tb.Lookup(p.Pid()); !errors.Is(err, ErrNoProcess) {
		t.Fatalf("Lookup after release: %v, want ErrNoProcess", err)
	}
	if err := tb.Send(p.Pid(), msg("late")); !errors.Is(err, ErrNoProcess) {
		t.Fatalf("Send after release: %v, want ErrNoProcess", err)
	}
	if n := len(tb.List()); n != 1 {
		t.Fatalf("List() has %d entries after release", n)
	}
	if _, err := p.Receive(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive after release: %v, want context.Canceled", err)
	}
	release() // twice is harmless
}

func TestKillAttached(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	p := mustAttach(t, tb, "await")
	errc := make(chan error, 1)
	go func() {
		_, err := p.Receive(context.Background())
		errc <- err
	}()
	p.Kill("cancelled")
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive in a killed attached process: %v, want context.Canceled", err)
	}
}

func TestList(t *testing.T) {
	tb := newTestTable(t, 10, 20)
	sh := tb.Shell()
	long := strings.Repeat("é", 50) // 100 bytes
	var spawned []*Process
	for i := range 11 { // ids 2..12, so that 10 sorts after 9
		spec := Spec{Function: fmt.Sprintf("f%d", i), Args: []string{"a", fmt.Sprint(i)}}
		if i%2 == 0 {
			spec.LinkedTo = sh.Pid()
		}
		if i == 10 {
			spec.Args = []string{long}
		}
		spawned = append(spawned, mustSpawn(t, tb, spec))
	}
	for i := range 3 {
		if err := tb.Send(spawned[4].Pid(), msg(fmt.Sprint(i))); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if err := tb.Send(sh.Pid(), msg("x")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	list := tb.List()
	if len(list) != 12 {
		t.Fatalf("List() has %d entries, want 12", len(list))
	}
	for i, info := range list {
		wantPid := wire.Pid{Node: testNode, ID: uint64(i + 1), Creation: testCreation}
		if info.Pid != wantPid.String() {
			t.Fatalf("List()[%d].Pid = %s, want %s (sorted by id)", i, info.Pid, wantPid)
		}
		if i == 0 {
			if info.Function != "shell" || info.Mailbox != 1 {
				t.Fatalf("shell: %#v", info)
			}
			continue
		}
		n := i - 1
		want := wire.ProcessInfo{Pid: wantPid.String(), Function: fmt.Sprintf("f%d", n), Args: fmt.Sprintf("a %d", n), Started: info.Started}
		if n%2 == 0 {
			want.LinkedTo = "<kate@localhost.1.7>"
		}
		if n == 4 {
			want.Mailbox = 3
		}
		if n == 10 {
			want.Args = strings.Repeat("é", 40) + "…"
		}
		if info != want || info.Started.IsZero() {
			t.Fatalf("List()[%d] = %#v, want %#v", i, info, want)
		}
	}
}

func TestClose(t *testing.T) {
	tb := NewTable(Config{Node: testNode, Creation: testCreation, Mailbox: 10, Max: 100, Logger: testLogger(t)})
	var cleaned atomic.Int32
	var ps []*Process
	for range 5 {
		ps = append(ps, mustSpawn(t, tb, Spec{Run: func(ctx context.Context, p *Process) error {
			_, err := p.Receive(context.Background())
			cleaned.Add(1) // after the kill, before the goroutine ends
			return err
		}}))
	}
	ps = append(ps, mustSpawn(t, tb, Spec{})) // waits on its context
	att, release, err := tb.Attach("task", nil)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	defer release()

	tb.Close()
	for _, p := range ps {
		if !isDone(p) {
			t.Fatalf("process %s is still running after Close", p.Pid())
		}
		if p.Reason() != "shutdown" {
			t.Fatalf("process %s ended with %q, want shutdown", p.Pid(), p.Reason())
		}
	}
	if n := cleaned.Load(); n != 5 {
		t.Fatalf("Close returned before %d bodies finished", 5-n)
	}
	for _, p := range []*Process{att, tb.Shell()} {
		if _, err := p.Receive(context.Background()); !errors.Is(err, context.Canceled) {
			t.Fatalf("Receive on %s after Close: %v, want context.Canceled", p.Pid(), err)
		}
	}
	if _, err := tb.Spawn(Spec{Function: "late", Run: untilKilled}); !errors.Is(err, ErrShutdown) {
		t.Fatalf("Spawn after Close: %v, want ErrShutdown", err)
	}
	if _, _, err := tb.Attach("late", nil); !errors.Is(err, ErrShutdown) {
		t.Fatalf("Attach after Close: %v, want ErrShutdown", err)
	}
	tb.Close() // twice is harmless
}

// TestSpawnDuringClose races Spawn against Close: every Spawn either
// fails with ErrShutdown or returns a process whose body Close has waited
// for, so that no body runs once Close has returned.
func TestSpawnDuringClose(t *testing.T) {
	for range 300 {
		tb := NewTable(Config{Node: testNode, Creation: testCreation, Mailbox: 10, Max: 1 << 20})
		var closed atomic.Bool
		var late atomic.Int32 // bodies seen running after Close returned
		run := func(ctx context.Context, p *Process) error {
			if closed.Load() {
				late.Add(1)
			}
			<-ctx.Done()
			if closed.Load() {
				late.Add(1)
			}
			return ctx.Err()
		}
		var mu sync.Mutex
		var ps []*Process // guarded by mu
		var wg sync.WaitGroup
		const spawners = 4
		busy := make(chan struct{}, spawners) // a token per spawner once it has spawned
		for range spawners {
			wg.Go(func() {
				for first := true; ; first = false {
					p, err := tb.Spawn(Spec{Function: "f", Run: run})
					if errors.Is(err, ErrShutdown) {
						return
					}
					if err != nil {
						t.Errorf("Spawn: %v", err)
						return
					}
					mu.Lock()
					ps = append(ps, p)
					mu.Unlock()
					if first {
						busy <- struct{}{}
					}
				}
			})
		}
		for range spawners {
			<-busy
		}
		tb.Close()
		closed.Store(true)
		wg.Wait()
		if n := late.Load(); n != 0 {
			t.Fatalf("%d process bodies ran after Close returned", n)
		}
		for _, p := range ps {
			if !isDone(p) {
				t.Fatalf("process %s was spawned during Close and is still running after it", p.Pid())
			}
		}
	}
}
