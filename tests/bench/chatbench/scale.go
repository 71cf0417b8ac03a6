package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runScale measures what chatd costs as it grows, with real chatd
// processes started from -chatd on the caller's mapper port, runtime
// directory and cookie:
//
//	mesh N seconds rss_per_node_bytes bytes_per_link cpu_ms_per_link idle_cores
//	tasks10k N rss_bytes_per_task heap_and_stack_bytes_per_task
//
// mesh: N nodes, every node pings every other one (64 callers at a time);
// seconds from the first ping to the last pong, the nodes' mean RSS after,
// (mean RSS after - mean RSS idle) / (N-1), the CPU all the nodes spent
// while the mesh formed per link made (N(N-1)/2 of them; the pings on
// links made already are counted in), and the cores the formed mesh keeps
// busy when nothing is asked of it (keepalives), over idleWindow from
// idleSettle after the last pong. tasks10k: N calls of
// `sleep 3s` from alex to kate all in flight at once; kate's growth
// divided by N in RSS, and in live heap plus goroutine stacks (both read
// after a collection, GET /v1/status?gc=1).
func runScale(args []string) error {
	fs := newFlags("scale")
	chatd := fs.String("chatd", "chatd", "the chatd binary")
	nodes := fs.String("nodes", "50,100,200", "mesh sizes; empty: no mesh runs")
	tasks := fs.Int("tasks", 10000, "calls in flight at once; 0: no task run")
	workers := fs.Int("workers", 64, "concurrent pings in a mesh")
	sleep := fs.String("sleep", "3s", "how long each task sleeps")
	ready := fs.Duration("ready-timeout", 60*time.Second, "how long started nodes may take to answer")
	timeout := fs.Duration("timeout", 20*time.Minute, "bound on the whole run")
	_ = fs.Parse(args)
	var sizes []int
	if *nodes != "" {
		var err error
		if sizes, err = parseInts(*nodes); err != nil {
			return err
		}
	}
	for _, n := range sizes {
		if n < 2 {
			return fmt.Errorf("mesh of %d nodes: want at least 2", n)
		}
	}
	if *workers < 1 || *tasks < 0 {
		return errors.New("want -workers >= 1 and -tasks >= 0")
	}
	if os.Getenv("CHATD_RUNTIME_DIR") == "" {
		return errors.New("CHATD_RUNTIME_DIR must name the nodes' runtime directory")
	}
	ctx, stop := benchContext(*timeout)
	defer stop()
	for _, n := range sizes {
		if err := measureMesh(ctx, *chatd, n, *workers, *ready); err != nil {
			return fmt.Errorf("mesh of %d: %w", n, err)
		}
	}
	if *tasks > 0 {
		if err := measureTasks(ctx, *chatd, *tasks, *sleep, *ready); err != nil {
			return fmt.Errorf("tasks10k with %d: %w", *tasks, err)
		}
	}
	return nil
}

// measureMesh starts n nodes, has every ordered pair ping and prints the
// mesh line. Every node is stopped before it returns.
func measureMesh(ctx context.Context, chatd string, n, workers int, ready time.Duration) error {
	cl := &nodeCluster{chatd: chatd}
	defer cl.stop()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("node%d", i+1)
	}
	// node1 alone first: it may have to start the embedded port mapper.
	if err := cl.start(names[:1]); err != nil {
		return err
	}
	if _, err := cl.waitReady(ctx, ready); err != nil {
		return err
	}
	if err := cl.start(names[1:]); err != nil {
		return err
	}
	idle, err := cl.waitReady(ctx, ready)
	if err != nil {
		return err
	}

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type pair struct{ from, to int }
	pairs := make(chan pair)
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		pingErr error
	)
	for range min(workers, n*(n-1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range pairs {
				from, to := cl.nodes[p.from], cl.nodes[p.to]
				if err := from.ping(pctx, to.node); err != nil {
					errOnce.Do(func() { pingErr = fmt.Errorf("%s pings %s: %w", from.node, to.node, err); cancel() })
				}
			}
		}()
	}
	cpu0, err := cl.cpuSeconds()
	if err != nil {
		return err
	}
	t0 := time.Now()
	// Round d has node i ping node i+d: every round spreads callers and
	// callees over all the nodes.
feed:
	for d := 1; d < n; d++ {
		for i := range n {
			select {
			case pairs <- pair{i, (i + d) % n}:
			case <-pctx.Done():
				break feed
			}
		}
	}
	close(pairs)
	wg.Wait()
	elapsed := time.Since(t0)
	if pingErr != nil {
		return pingErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	cpu1, err := cl.cpuSeconds()
	if err != nil {
		return err
	}
	idleCPU, err := cl.idleCores(ctx)
	if err != nil {
		return err
	}
	links := float64(n*(n-1)) / 2
	var idleSum, afterSum float64
	for i, nd := range cl.nodes {
		st, err := nd.status(ctx)
		if err != nil {
			return err
		}
		if st.Links != n-1 {
			return fmt.Errorf("%s has %d links after the pings, want %d", nd.node, st.Links, n-1)
		}
		idleSum += float64(idle[i].RSSBytes)
		afterSum += float64(st.RSSBytes)
	}
	meanIdle, meanAfter := idleSum/float64(n), afterSum/float64(n)
	fmt.Printf("mesh %d %.3f %.0f %.0f %.3f %.3f\n", n, elapsed.Seconds(), meanAfter, (meanAfter-meanIdle)/float64(n-1),
		(cpu1-cpu0)/links*1e3, idleCPU)
	return nil
}

// The idle mesh is watched for idleWindow, idleSettle after the last pong
// (the formation's last frames and collections are over by then).
const (
	idleSettle = 2 * time.Second
	idleWindow = 5 * time.Second
)

// idleCores is the cores the cluster's nodes keep busy over idleWindow,
// from idleSettle on.
func (cl *nodeCluster) idleCores(ctx context.Context) (float64, error) {
	var cpu [2]float64
	for i, d := range []time.Duration{idleSettle, idleWindow} {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		var err error
		if cpu[i], err = cl.cpuSeconds(); err != nil {
			return 0, err
		}
	}
	return (cpu[1] - cpu[0]) / idleWindow.Seconds(), nil
}

// cpuSeconds is the CPU time the cluster's nodes have used.
func (cl *nodeCluster) cpuSeconds() (float64, error) {
	var sum float64
	for _, nd := range cl.nodes {
		s, err := cpuSeconds(nd.cmd.Process.Pid)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", nd.name, err)
		}
		sum += s
	}
	return sum, nil
}

// measureTasks starts kate and alex (max_running raised), puts n calls of
// `sleep` from alex to kate in flight at once and prints the tasks10k
// line from kate's growth once 95% of them run there.
func measureTasks(ctx context.Context, chatd string, n int, sleep string, ready time.Duration) error {
	dir, err := os.MkdirTemp("", "chatbench-tasks-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfgPath := filepath.Join(dir, "chatd.toml")
	cfg := fmt.Sprintf("[tasks]\nmax_running = %d\n", max(100000, 2*n))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}

	cl := &nodeCluster{chatd: chatd, args: []string{"--config", cfgPath}}
	defer cl.stop()
	if err := cl.start([]string{"kate", "alex"}); err != nil {
		return err
	}
	st, err := cl.waitReady(ctx, ready)
	if err != nil {
		return err
	}
	kate, alex, kateName := cl.nodes[0], cl.nodes[1], st[0].Node
	// Link alex to kate first, so kate's baseline has the link in it.
	if err := alex.ping(ctx, kateName); err != nil {
		return fmt.Errorf("alex pings kate: %w", err)
	}
	before, err := kate.measured(ctx)
	if err != nil {
		return err
	}

	body, err := json.Marshal(map[string]any{
		"node": kateName, "function": "sleep", "args": []string{sleep}, "timeout": "10s",
	})
	if err != nil {
		return err
	}
	raw := fmt.Appendf(nil, "POST /v1/call HTTP/1.1\r\nHost: chatd\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	// Every call has its own connection (HTTP/1.1 has one request in
	// flight per connection); at most 256 are being dialled and written
	// at a time, then they wait for their answers together.
	callCtx, cancelCalls := context.WithTimeout(ctx, 2*time.Minute)
	dialing := make(chan struct{}, 256)
	var (
		wg       sync.WaitGroup
		failed   atomic.Int64
		errOnce  sync.Once
		firstErr error
	)
	defer func() { cancelCalls(); wg.Wait() }()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := rawCall(callCtx, alex.sock, raw, dialing); err != nil {
				failed.Add(1)
				errOnce.Do(func() { firstErr = err })
			}
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	need := int(math.Ceil(0.95 * float64(n)))
	peak := 0
	var during nodeStatus
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for during.Tasks < need {
		select {
		case <-allDone:
			return fmt.Errorf("at most %d tasks ran on kate at once, want %d (%d of %d calls failed; first: %v)",
				peak, need, failed.Load(), n, firstErr)
		case <-callCtx.Done():
			return fmt.Errorf("at most %d tasks ran on kate at once, want %d: %w", peak, need, callCtx.Err())
		case <-tick.C:
		}
		if during, err = kate.status(callCtx); err != nil {
			return err
		}
		peak = max(peak, during.Tasks)
	}
	if during, err = kate.measured(callCtx); err != nil {
		return err
	}
	select {
	case <-allDone:
	case <-callCtx.Done():
		return fmt.Errorf("waiting for the calls to finish: %w", callCtx.Err())
	}
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d calls failed; first: %w", f, n, firstErr)
	}
	perTask := func(after, before uint64) float64 { return (float64(after) - float64(before)) / float64(n) }
	fmt.Printf("tasks10k %d %.0f %.0f\n", n, perTask(during.RSSBytes, before.RSSBytes),
		perTask(during.HeapBytes+during.StackBytes, before.HeapBytes+before.StackBytes))
	return nil
}

// rawCall sends one prepared POST /v1/call on a connection of its own and
// checks the answer is 200. dialing bounds the connections being set up.
func rawCall(ctx context.Context, sock string, raw []byte, dialing chan struct{}) error {
	select {
	case dialing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	conn, err := dialUnixRetry(ctx, sock)
	if err != nil {
		<-dialing
		return err
	}
	defer conn.Close()
	unblock := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer unblock()
	_, err = conn.Write(raw)
	<-dialing
	if err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /v1/call: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

// dialUnixRetry connects to a Unix socket, retrying while its accept
// queue is full (EAGAIN) until ctx ends.
func dialUnixRetry(ctx context.Context, sock string) (net.Conn, error) {
	var d net.Dialer
	backoff := time.Millisecond
	for {
		c, err := d.DialContext(ctx, "unix", sock)
		if err == nil || !errors.Is(err, syscall.EAGAIN) {
			return c, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// benchContext ends at timeout or on SIGINT/SIGTERM, so that the deferred
// stops of the processes a benchmark started run in every case.
func benchContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	sctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(sctx, timeout)
	return ctx, func() { cancel(); stopSignals() }
}

// childProc is a process chatbench started. It gets SIGKILL if chatbench
// dies first (Pdeathsig), and stop ends it on every other path.
type childProc struct {
	name   string
	cmd    *exec.Cmd
	done   chan struct{} // closed once the process was reaped
	err    error         // Wait's answer, set before done is closed
	stderr *tailBuffer
}

// startChild starts cmd. The caller sets cmd's environment and output;
// stderr, when cmd has none, is kept for error messages.
func startChild(name string, cmd *exec.Cmd) (*childProc, error) {
	c := &childProc{name: name, cmd: cmd, done: make(chan struct{}), stderr: &tailBuffer{}}
	if cmd.Stderr == nil {
		cmd.Stderr = c.stderr
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 2 * time.Second // output copying never holds up a stop
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// exited says the process ended early, with the end of its stderr.
func (c *childProc) exited() error {
	return fmt.Errorf("%s exited (%v); stderr: %s", c.name, c.err, c.stderr)
}

// stop sends SIGTERM and SIGKILL after grace, and returns once the process
// was reaped.
func (c *childProc) stop(grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// childEnv is the caller's environment for a chatd or erl child, without
// the settings that belong to chatbench itself or would change a node's
// behaviour under test (CHATD_TICK), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CHATD_TICK", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// tailBuffer keeps the last few KiB written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

const tailKeep = 4 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 2*tailKeep {
		t.b = append(t.b[:0], t.b[len(t.b)-tailKeep:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b[max(0, len(t.b)-tailKeep):]))
}

// chatdNode is a chatd process and a client for its control socket.
type chatdNode struct {
	*childProc
	node string // the name it was started with
	sock string
	hc   *http.Client
}

// nodeCluster is the chatd processes one measurement started.
type nodeCluster struct {
	chatd string
	args  []string // after --name NAME
	nodes []*chatdNode
}

// start starts a chatd per name; they answer once waitReady says so.
func (cl *nodeCluster) start(names []string) error {
	rt := os.Getenv("CHATD_RUNTIME_DIR")
	for _, name := range names {
		cmd := exec.Command(cl.chatd, append([]string{"--name", name}, cl.args...)...)
		cmd.Env = childEnv()
		c, err := startChild("chatd "+name, cmd)
		if err != nil {
			return err
		}
		sock := filepath.Join(rt, name, "control.sock")
		cl.nodes = append(cl.nodes, &chatdNode{childProc: c, node: name, sock: sock, hc: unixHTTPClient(sock, 64)})
	}
	return nil
}

// waitReady waits until every node answers GET /v1/status, at most
// timeout, and returns their first answers.
func (cl *nodeCluster) waitReady(ctx context.Context, timeout time.Duration) ([]nodeStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := make([]nodeStatus, len(cl.nodes))
	for i, nd := range cl.nodes {
		for {
			st, err := nd.status(ctx)
			if err == nil {
				if !strings.HasPrefix(st.Node, nd.node+"@") {
					return nil, fmt.Errorf("%s: %s answers as %s", nd.name, nd.sock, st.Node)
				}
				out[i] = st
				break
			}
			select {
			case <-nd.done:
				return nil, nd.exited()
			case <-ctx.Done():
				return nil, fmt.Errorf("%s does not answer on %s: %v", nd.name, nd.sock, err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return out, nil
}

// stop stops every node at once: SIGTERM, then SIGKILL after 5 s.
func (cl *nodeCluster) stop() {
	var wg sync.WaitGroup
	for _, nd := range cl.nodes {
		wg.Go(func() {
			nd.hc.CloseIdleConnections()
			nd.stop(5 * time.Second)
		})
	}
	wg.Wait()
	cl.nodes = nil
}

// nodeStatus is the part of GET /v1/status chatbench reads.
type nodeStatus struct {
	Node       string `json:"node"`
	PID        int    `json:"pid"`
	Links      int    `json:"links"`
	Tasks      int    `json:"tasks"`
	HeapBytes  uint64 `json:"heap_bytes"`
	StackBytes uint64 `json:"stack_bytes"`
	RSSBytes   uint64 `json:"rss_bytes"`
}

func (nd *chatdNode) status(ctx context.Context) (nodeStatus, error) {
	var st nodeStatus
	err := nd.api(ctx, "GET", "/v1/status", nil, &st)
	return st, err
}

// measured is status after a garbage collection on the node, so that its
// heap figure is the live heap, comparable between two readings.
func (nd *chatdNode) measured(ctx context.Context) (nodeStatus, error) {
	var st nodeStatus
	err := nd.api(ctx, "GET", "/v1/status?gc=1", nil, &st)
	return st, err
}

// ping has the node ping peer and wants "pong".
func (nd *chatdNode) ping(ctx context.Context, peer string) error {
	var resp struct {
		Result string `json:"result"`
		Reason string `json:"reason"`
	}
	if err := nd.api(ctx, "POST", "/v1/ping", map[string]string{"node": peer}, &resp); err != nil {
		return err
	}
	if resp.Result != "pong" {
		return fmt.Errorf("%s: %s", resp.Result, resp.Reason)
	}
	return nil
}

// api makes one control API request of at most 30 s and decodes the
// answer into out.
func (nd *chatdNode) api(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	b, err := roundTrip(ctx, nd.hc, method, path, body, 1<<20)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// unixHTTPClient talks HTTP to the Unix socket sock, keeping up to idle
// connections alive.
func unixHTTPClient(sock string, idle int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialUnixRetry(ctx, sock)
		},
		MaxIdleConnsPerHost: idle,
		DisableCompression:  true,
	}}
}
