package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"chatd/wire"
)

// runProfile counts what one call costs each process on its way, as
// numbers that do not depend on how loaded the machine is: allocations
// (and bytes) from the Go runtime's own counters, goroutine wake-ups
// (hand-offs), goroutines started, idle Ps started and scheduler-visible
// system calls from an execution trace, and every system call from
// `strace -c -f`. CPU time per call is printed too, but it does depend on
// the machine. Lines, one figure each, per call:
//
//	profile PATH SIDE allocs|bytes|cpu_us|wakeups|goroutines|proc_wakes|trace_syscalls|syscalls VALUE
//
// PATH: link (a node embedded here calls -peer's echo, the node-to-node
// path; sides bench, this process, and the peer), call (POST /v1/call echo
// on -socket's node, which calls -peer; sides the API node and the peer),
// send (POST /v1/send to -peer; the same sides). -detail gets the wake-ups
// by where the goroutine waited and the system calls by name; -cpu DIR
// gets CPU profiles of every side under 64 callers.
func runProfile(args []string) error {
	fs := newFlags("profile")
	socket := fs.String("socket", "", "the API node's control socket")
	peerSocket := fs.String("peer-socket", "", "the peer's control socket")
	peer := fs.String("peer", "kate@localhost", "the peer's node name")
	n := fs.Int("n", 2000, "calls per measurement")
	useStrace := fs.Bool("strace", true, "count system calls with strace")
	detail := fs.String("detail", "", "file for the wake-up sites and system calls by name")
	cpuDir := fs.String("cpu", "", "directory for CPU profiles under 64 callers; empty: none")
	paths := fs.String("paths", "yamux,link,trivial,call,send", "what to measure")
	_ = fs.Parse(args)
	if *socket == "" || *peerSocket == "" {
		return errors.New("want -socket (the API node's control socket) and -peer-socket (the peer's)")
	}
	ctx := context.Background()
	p, err := newProfiler(ctx, *socket, *peerSocket, *peer)
	if err != nil {
		return err
	}
	defer p.close()
	var det bytes.Buffer
	for _, name := range strings.Split(*paths, ",") {
		pp, ok := p.paths[name]
		if !ok {
			return fmt.Errorf("unknown path %q: want yamux, link, trivial, call or send", name)
		}
		if err := p.measure(ctx, pp, *n, *useStrace, &det); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if *cpuDir != "" {
			if err := p.cpuProfiles(ctx, pp, *cpuDir); err != nil {
				return fmt.Errorf("%s: cpu profiles: %w", name, err)
			}
		}
	}
	if *detail != "" {
		return os.WriteFile(*detail, det.Bytes(), 0o644)
	}
	return nil
}

// profSide is one process on a call's way: this process (sock "") or a
// chatd node, read through its control socket.
type profSide struct {
	name string
	pid  int
	node *chatdNode // nil for this process
}

// profPath is a way a call goes and the processes on it.
type profPath struct {
	name  string
	op    func(context.Context) error
	sides []profSide
}

// profiler holds the nodes being profiled and the embedded caller.
type profiler struct {
	paths map[string]profPath
	stop  func()
}

func newProfiler(ctx context.Context, socket, peerSocket, peer string) (*profiler, error) {
	api, kate := remoteNode(socket), remoteNode(peerSocket)
	var sides [2]profSide
	for i, nd := range []*chatdNode{api, kate} {
		st, err := nd.status(ctx)
		if err != nil {
			return nil, fmt.Errorf("status of %s: %w", nd.sock, err)
		}
		sides[i] = profSide{name: strings.SplitN(st.Node, "@", 2)[0], pid: st.PID, node: nd}
	}
	target, err := wire.ParseNodeName(peer, "")
	if err != nil {
		return nil, err
	}
	node, err := startBenchNode(ctx)
	if err != nil {
		return nil, err
	}
	hc := unixHTTPClient(socket, 64)
	call, _ := json.Marshal(wire.CallRequest{Node: peer, Function: "echo", Args: []string{"x"}})
	send, _ := json.Marshal(wire.SendRequest{To: peer, Text: "hi"})
	self := profSide{name: "bench", pid: os.Getpid()}
	echo := wire.Call{Function: "echo", Args: []string{"x"}}
	p := &profiler{paths: map[string]profPath{
		"link": {"link", func(ctx context.Context) error { _, err := node.Core().Call(ctx, target, echo); return err },
			[]profSide{self, sides[1]}},
		"call": {"call", func(ctx context.Context) error { return post(ctx, hc, wire.PathCall, call) }, sides[:]},
		"send": {"send", func(ctx context.Context) error { return post(ctx, hc, wire.PathSend, send) }, sides[:]},
	}}
	dir, err := os.MkdirTemp("", "chatbench-profile-")
	if err != nil {
		return nil, err
	}
	refs, stopRefs, err := refPaths(dir)
	p.stop = func() { stopRefs(); hc.CloseIdleConnections(); _ = node.Stop(); _ = os.RemoveAll(dir) }
	if err != nil {
		p.stop()
		return nil, err
	}
	maps.Copy(p.paths, refs)
	return p, nil
}

func (p *profiler) close() { p.stop() }

// remoteNode is a client of a node chatbench did not start.
func remoteNode(sock string) *chatdNode {
	return &chatdNode{childProc: &childProc{name: sock}, node: sock, sock: sock, hc: unixHTTPClient(sock, 4)}
}

// measure prints the per-call figures of pp's sides: n calls for the
// counters, n traced, n under strace.
func (p *profiler) measure(ctx context.Context, pp profPath, n int, useStrace bool, det io.Writer) error {
	if _, err := sequential(ctx, min(n, 200), pp.op); err != nil {
		return err
	}
	took, err := p.counters(ctx, pp, n)
	if err != nil {
		return err
	}
	if err := p.traces(ctx, pp, n, took, det); err != nil {
		return err
	}
	if useStrace {
		return p.syscalls(ctx, pp, n, det)
	}
	return nil
}

// counters prints allocations, bytes and CPU per call, and returns how
// long the n calls took.
func (p *profiler) counters(ctx context.Context, pp profPath, n int) (time.Duration, error) {
	before := make([]procCounters, len(pp.sides))
	for i, s := range pp.sides {
		c, err := s.counters(ctx)
		if err != nil {
			return 0, err
		}
		before[i] = c
	}
	t0 := time.Now()
	if err := repeat(ctx, n, pp.op); err != nil {
		return 0, err
	}
	took := time.Since(t0)
	for i, s := range pp.sides {
		after, err := s.counters(ctx)
		if err != nil {
			return 0, err
		}
		d := after.minus(before[i]).minus(s.readCost(ctx))
		per := func(v float64) float64 { return v / float64(n) }
		fmt.Printf("profile %s %s allocs %.1f\n", pp.name, s.name, per(d.mallocs))
		fmt.Printf("profile %s %s bytes %.0f\n", pp.name, s.name, per(d.bytes))
		fmt.Printf("profile %s %s cpu_us %.1f\n", pp.name, s.name, per(d.cpu)*1e6)
	}
	return took, nil
}

// procCounters are a process's cumulative allocations, allocated bytes
// and CPU seconds.
type procCounters struct{ mallocs, bytes, cpu float64 }

func (a procCounters) minus(b procCounters) procCounters {
	return procCounters{a.mallocs - b.mallocs, a.bytes - b.bytes, a.cpu - b.cpu}
}

// counters reads the side's counters: this process's from the runtime, a
// node's from GET /metrics.
func (s profSide) counters(ctx context.Context) (procCounters, error) {
	cpu, err := cpuSeconds(s.pid)
	if err != nil {
		return procCounters{}, err
	}
	if s.node == nil {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return procCounters{float64(ms.Mallocs), float64(ms.TotalAlloc), cpu}, nil
	}
	c, err := s.node.scrape(ctx)
	c.cpu = cpu
	return c, err
}

// cpuSeconds is the CPU time pid's threads have run, from the scheduler's
// own nanosecond counts (/proc/PID/task/*/schedstat; the clock-tick counts
// of /proc/PID/stat are too coarse for a per-call figure).
func cpuSeconds(pid int) (float64, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no schedstat for pid %d (%v)", pid, err)
	}
	var ns float64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that just exited
		}
		var run float64
		if _, err := fmt.Sscan(string(b), &run); err == nil {
			ns += run
		}
	}
	return ns / 1e9, nil
}

// readCost is what reading the counters costs the side itself (a scrape
// of /metrics allocates): the median of three differences of two reads in
// a row; it is taken off the difference around the calls.
func (s profSide) readCost(ctx context.Context) procCounters {
	if s.node == nil {
		return procCounters{}
	}
	var ds []procCounters
	prev, err := s.counters(ctx)
	for range 3 {
		if err != nil {
			return procCounters{}
		}
		var next procCounters
		next, err = s.counters(ctx)
		ds = append(ds, next.minus(prev))
		prev = next
	}
	if err != nil {
		return procCounters{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].mallocs < ds[j].mallocs })
	d := ds[1]
	d.cpu = 0 // the calls' CPU is read from the scheduler, which a scrape hardly moves
	return d
}

// scrape reads go_memstats_mallocs_total and
// go_memstats_alloc_bytes_total from the node's /metrics.
func (nd *chatdNode) scrape(ctx context.Context) (procCounters, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := nd.get(ctx, wire.PathMetrics)
	if err != nil {
		return procCounters{}, err
	}
	defer resp.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp)
	if err != nil {
		return procCounters{}, fmt.Errorf("parse %s metrics: %w", nd.sock, err)
	}
	val := func(name string) (float64, error) {
		f, ok := fams[name]
		if !ok || len(f.GetMetric()) == 0 {
			return 0, fmt.Errorf("%s has no %s in /metrics", nd.sock, name)
		}
		m := f.GetMetric()[0]
		if m.GetCounter() != nil {
			return m.GetCounter().GetValue(), nil
		}
		return m.GetUntyped().GetValue(), nil
	}
	var c procCounters
	var errs [2]error
	c.mallocs, errs[0] = val("go_memstats_mallocs_total")
	c.bytes, errs[1] = val("go_memstats_alloc_bytes_total")
	return c, errors.Join(errs[:]...)
}

// get makes a GET of path on the node and returns the body of a 200.
func (nd *chatdNode) get(ctx context.Context, path string) (io.ReadCloser, error) {
	req, err := newGet(ctx, path)
	if err != nil {
		return nil, err
	}
	resp, err := nd.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s on %s: %s: %s", path, nd.sock, resp.Status, bytes.TrimSpace(b))
	}
	return resp.Body, nil
}

// traces prints the trace figures per call: every side traced while n
// calls run. A node's trace lasts a fixed time (GET
// /debug/pprof/trace?seconds=N), chosen from how long the calls took
// untraced (took).
func (p *profiler) traces(ctx context.Context, pp profPath, n int, took time.Duration, det io.Writer) error {
	secs := int(math.Ceil(3*took.Seconds() + 1))
	if secs > maxTraceSeconds {
		return fmt.Errorf("%d calls took %s; a trace of them would last over %d s: lower -n", n, took, maxTraceSeconds)
	}
	type got struct {
		b   []byte
		err error
	}
	results := make([]chan got, len(pp.sides))
	var self bytes.Buffer
	// The nodes' traces are read once this process's own trace has
	// stopped, so that reading them is not in it; they wait meanwhile in
	// the socket and in the nodes' trace buffers.
	selfDone := make(chan struct{})
	for i, s := range pp.sides {
		results[i] = make(chan got, 1)
		if s.node == nil {
			continue
		}
		go func() {
			body, err := s.node.get(ctx, fmt.Sprintf("%strace?seconds=%d", wire.PathDebugPprof, secs))
			if err != nil {
				results[i] <- got{err: err}
				return
			}
			defer body.Close()
			<-selfDone
			b, err := io.ReadAll(body)
			results[i] <- got{b, err}
		}()
	}
	time.Sleep(300 * time.Millisecond) // the nodes' traces have started
	t0 := time.Now()
	if slices.ContainsFunc(pp.sides, func(s profSide) bool { return s.node == nil }) {
		if err := trace.Start(&self); err != nil {
			return err
		}
	}
	err := repeat(ctx, n, pp.op)
	trace.Stop() // nothing when not started
	close(selfDone)
	if err != nil {
		return err
	}
	if d := time.Since(t0); d > time.Duration(secs)*time.Second-500*time.Millisecond {
		return fmt.Errorf("the traced calls took %s, longer than the nodes' %d s traces", d, secs)
	}
	for i, s := range pp.sides {
		b := self.Bytes()
		if s.node != nil {
			g := <-results[i]
			if g.err != nil {
				return fmt.Errorf("trace of %s: %w", s.name, g.err)
			}
			b = g.b
		}
		c, err := countTrace(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("trace of %s: %w", s.name, err)
		}
		per := func(v int) float64 { return float64(v) / float64(n) }
		fmt.Printf("profile %s %s wakeups %.2f\n", pp.name, s.name, per(c.wakeups))
		fmt.Printf("profile %s %s goroutines %.2f\n", pp.name, s.name, per(c.created))
		fmt.Printf("profile %s %s proc_wakes %.2f\n", pp.name, s.name, per(c.procWakes))
		fmt.Printf("profile %s %s trace_syscalls %.2f\n", pp.name, s.name, per(c.syscalls))
		for _, sc := range c.topSites(n, 0.05) {
			fmt.Fprintf(det, "%s %s wake %.2f %s\n", pp.name, s.name, sc.perCall, sc.site)
		}
	}
	return nil
}

// repeat runs op n times, one after the other, recording nothing.
func repeat(ctx context.Context, n int, op func(context.Context) error) error {
	for range n {
		if err := op(ctx); err != nil {
			return err
		}
	}
	return nil
}

// newGet is a GET of path on a control socket.
func newGet(ctx context.Context, path string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, "GET", "http://chatd"+path, nil)
}

// maxTraceSeconds is the longest trace a node serves.
const maxTraceSeconds = 60

// syscalls prints the system calls per call of every side, counted by
// strace while n calls run.
func (p *profiler) syscalls(ctx context.Context, pp profPath, n int, det io.Writer) error {
	dir, err := os.MkdirTemp("", "chatbench-strace-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := exec.LookPath("strace"); err != nil {
		return errors.New("strace is not installed (apt-get install strace), or run with -strace=false")
	}
	traced := make([]*straced, len(pp.sides))
	defer func() {
		for _, s := range traced {
			if s != nil {
				_, _ = s.stop()
			}
		}
	}()
	for pass := range 2 { // this process last: strace -f would follow the fork of another strace
		for i, s := range pp.sides {
			if (s.node == nil) != (pass == 1) {
				continue
			}
			if traced[i], err = startStrace(ctx, s.pid, dir); err != nil {
				return err
			}
		}
	}
	if err := repeat(ctx, n, pp.op); err != nil {
		return err
	}
	for i, s := range pp.sides {
		counts, err := traced[i].stop()
		traced[i] = nil
		if err != nil {
			return err
		}
		io := counts["total"]
		for name, c := range counts {
			if runtimeSyscalls[name] {
				io -= c
			}
		}
		fmt.Printf("profile %s %s syscalls %.2f\n", pp.name, s.name, float64(counts["total"])/float64(n))
		fmt.Printf("profile %s %s io_syscalls %.2f\n", pp.name, s.name, float64(io)/float64(n))
		names := make([]string, 0, len(counts))
		for name := range counts {
			names = append(names, name)
		}
		sort.Slice(names, func(i, j int) bool { return counts[names[i]] > counts[names[j]] })
		for _, name := range names {
			if per := float64(counts[name]) / float64(n); per >= 0.05 && name != "total" {
				fmt.Fprintf(det, "%s %s syscall %.2f %s\n", pp.name, s.name, per, name)
			}
		}
	}
	return nil
}

// runtimeSyscalls are the system calls the Go runtime makes for itself
// (threads sleeping and waking, memory, signals): how many there are
// depends on timing, unlike the I/O calls a call needs.
var runtimeSyscalls = map[string]bool{
	"futex": true, "nanosleep": true, "sched_yield": true, "madvise": true, "mmap": true, "munmap": true,
	"rt_sigreturn": true, "rt_sigprocmask": true, "sigaltstack": true, "getpid": true, "gettid": true,
	"tgkill": true, "clock_gettime": true, "restart_syscall": true,
}

// cpuProfiles writes a CPU profile of every side of pp while 64 callers
// run it for 5 s: DIR/PATH-SIDE.pprof, for `go tool pprof`.
func (p *profiler) cpuProfiles(ctx context.Context, pp profPath, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	const secs = 5
	errc := make(chan error, len(pp.sides))
	for _, s := range pp.sides {
		file := filepath.Join(dir, pp.name+"-"+s.name+".pprof")
		if s.node == nil {
			stop, err := startCPUProfile(file)
			if err != nil {
				return err
			}
			defer stop()
			continue
		}
		go func() {
			body, err := s.node.get(ctx, fmt.Sprintf("%sprofile?seconds=%d", wire.PathDebugPprof, secs))
			if err != nil {
				errc <- err
				return
			}
			defer body.Close()
			b, err := io.ReadAll(body)
			if err == nil {
				err = os.WriteFile(file, b, 0o644)
			}
			errc <- err
		}()
	}
	if _, err := throughput(ctx, 64, secs*time.Second, pp.op); err != nil {
		return err
	}
	for _, s := range pp.sides {
		if s.node != nil {
			if err := <-errc; err != nil {
				return err
			}
		}
	}
	return nil
}
