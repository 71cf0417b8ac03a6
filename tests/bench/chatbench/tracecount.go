package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"golang.org/x/exp/trace"
)

// traceCounts is what an execution trace says a process did: how often a
// goroutine was made runnable by another (a wake-up: a hand-off from one
// goroutine to another, or from the network poller to a goroutine), how
// many goroutines it started, how often an idle P was started (an OS
// thread woken to run goroutines) and how many system calls went through
// the scheduler. The goroutines of the trace itself (runtime/trace's
// writer, the handler serving it) are left out.
type traceCounts struct {
	wakeups   int
	created   int
	procWakes int
	syscalls  int
	// bySite counts the wake-ups by where the goroutine waited: the first
	// frame outside the runtime and the standard library's plumbing, and
	// the runtime's reason (e.g. "github.com/hashicorp/yamux.(*Stream).Read
	// [select]").
	bySite map[string]int
}

// tracePlumbing are the function name prefixes a wait site skips: the
// runtime and the standard library layers every wait goes through.
var tracePlumbing = []string{"runtime.", "internal/", "sync.", "syscall.", "net.", "bufio.", "io.", "os.", "time.", "context."}

// traceOwn marks the goroutines that serve the trace itself.
var traceOwn = []string{"runtime/trace.", "runtime.ReadTrace", "runtime.(*traceAdvancerState)", "chatd/daemon/control.record", "chatd/daemon/control.(*handler).execTrace", "main.serveDebugTrace", "main.(*profiler).traces.func"}

// countTrace reads a whole execution trace (runtime/trace's format) and
// counts what it shows.
func countTrace(r io.Reader) (traceCounts, error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return traceCounts{}, fmt.Errorf("read trace: %w", err)
	}
	type gstate struct {
		own   bool   // serves the trace: not counted
		site  string // where it waits now
		start string // the function it runs, when the trace shows it
	}
	gs := map[trace.GoID]*gstate{}
	g := func(id trace.GoID) *gstate {
		s := gs[id]
		if s == nil {
			s = &gstate{}
			gs[id] = s
		}
		return s
	}
	type wake struct {
		id   trace.GoID
		site string
	}
	var wakes []wake // judged at the end: a goroutine shows it is the trace's own later
	c := traceCounts{bySite: map[string]int{}}
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return traceCounts{}, fmt.Errorf("read trace: %w", err)
		}
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		switch st.Resource.Kind {
		case trace.ResourceProc:
			if from, to := st.Proc(); from == trace.ProcIdle && to == trace.ProcRunning {
				c.procWakes++
			}
		case trace.ResourceGoroutine:
			id := st.Resource.Goroutine()
			s := g(id)
			if isOwn(st.Stack) || (ev.Goroutine() == id && isOwn(ev.Stack())) {
				s.own = true
			}
			from, to := st.Goroutine()
			if s.start == "" {
				for f := range st.Stack.Frames() {
					s.start = f.Func // the outermost frame: the goroutine's function
				}
			}
			switch {
			case from == trace.GoNotExist && to == trace.GoRunnable:
				c.created++
			case to == trace.GoWaiting:
				if from == trace.GoUndetermined && st.Stack == trace.NoStack && ev.Stack() == trace.NoStack {
					s.site = "" // the trace began while it waited; where is unknown
				} else {
					s.site = waitSite(st.Stack, ev.Stack()) + " [" + st.Reason + "]"
				}
			case from == trace.GoWaiting && to == trace.GoRunnable:
				site := s.site
				if site == "" { // waiting since before the trace began: name the waker
					site = "(waiting before the trace) woken by " + waitSite(ev.Stack())
				}
				if strings.HasPrefix(site, runtimeWaker) && s.start != "" {
					site = s.start + " " + site
				}
				wakes = append(wakes, wake{id, site})
			case to == trace.GoSyscall:
				if !s.own {
					c.syscalls++
				}
			}
		}
	}
	for _, w := range wakes {
		if gs[w.id].own {
			continue
		}
		c.wakeups++
		c.bySite[w.site]++
	}
	return c, nil
}

// isOwn reports whether stk belongs to the trace's own goroutines.
func isOwn(stk trace.Stack) bool {
	for f := range stk.Frames() {
		for _, p := range traceOwn {
			if strings.HasPrefix(f.Func, p) {
				return true
			}
		}
	}
	return false
}

// waitSite is the first frame of the first non-empty stack outside the
// plumbing, or the innermost frame when all of it is plumbing.
func waitSite(stks ...trace.Stack) string {
	for _, stk := range stks {
		first := ""
		for f := range stk.Frames() {
			if first == "" {
				first = f.Func
			}
			if !isPlumbing(f.Func) {
				return f.Func
			}
		}
		if first != "" {
			return first
		}
	}
	return runtimeWaker
}

// runtimeWaker names a wake-up with no goroutine's stack behind it.
const runtimeWaker = "the runtime (a timer or the network poller)"

func isPlumbing(fn string) bool {
	for _, p := range tracePlumbing {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// topSites returns the sites with at least min wake-ups per call, most
// first.
func (c traceCounts) topSites(calls int, min float64) []siteCount {
	var out []siteCount
	for s, n := range c.bySite {
		if per := float64(n) / float64(calls); per >= min {
			out = append(out, siteCount{s, per})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].perCall != out[j].perCall {
			return out[i].perCall > out[j].perCall
		}
		return out[i].site < out[j].site
	})
	return out
}

// siteCount is a wait site and its wake-ups per call.
type siteCount struct {
	site    string
	perCall float64
}
