// Package tests is chatd's end-to-end suite: it builds the real binaries,
// starts real nodes with a private runtime directory and a private port
// mapper port, drives them with chatctl and the control API, and reads
// what they logged.
package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"chatd/client"
	"chatd/internal/testkit"
	"chatd/wire"
)

// bins holds the paths of the binaries TestMain built.
type bins struct {
	chatd, chatctl string
	chatdPlain     string // chatd without -race, for memory figures
}

var built bins // set once by TestMain before any test runs

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chatd-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	built = bins{chatd: filepath.Join(dir, "chatd"), chatctl: filepath.Join(dir, "chatctl"), chatdPlain: filepath.Join(dir, "chatd-plain")}
	for _, b := range []struct{ out, pkg, flag string }{
		{built.chatd, "chatd/cmd/chatd", "-race"},
		{built.chatctl, "chatd/cmd/chatctl", "-race"},
		{built.chatdPlain, "chatd/cmd/chatd", "-trimpath"},
	} {
		// The Makefile's build tags, so that the tests run what is installed.
		cmd := exec.Command("go", "build", b.flag, "-tags", "urfave_cli_no_docs", "-o", b.out, b.pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", b.pkg, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cluster is a private world of nodes: its own runtime directory, state
// directory, cookie and mapper port.
type cluster struct {
	t          *testing.T
	dir        string
	runtime    string
	cookieFile string
	mapperPort int
	env        []string // extra environment for every node
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	dir := t.TempDir()
	c := &cluster{t: t, dir: dir, runtime: filepath.Join(dir, "run"), mapperPort: freePort(t)}
	c.cookieFile = c.writeCookie("cookie", "e2e-shared-cookie-0123456789abcdef", 0o600)
	return c
}

func (c *cluster) writeCookie(name, content string, mode os.FileMode) string {
	c.t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, []byte(content+"\n"), mode); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// freePort returns a port for a cluster's mapper that was free on both
// loopbacks a moment ago, and that no other cluster of this suite is given
// until t ends, in this test process or in another one on the machine: a
// port is a cluster's while it holds the lock of reservedPorts/PORT. A
// free port alone is not enough: the cluster binds it only when its first
// node starts, and another suite running meanwhile (two make test-faults
// on one machine) could have picked the same one and become that
// cluster's mapper. It is picked at random below the kernel's ephemeral
// range (net.ipv4.ip_local_port_range), never from it: there any outgoing
// connection may hold it as its local port, and the mapper's listen would
// fail with EADDRINUSE.
func freePort(t *testing.T) int {
	t.Helper()
	lo, hi := ephemeralPorts()
	for range 1000 {
		p := 10000 + rand.IntN(20000)
		if p >= lo && p <= hi {
			continue
		}
		release, ok := reservePort(t, p)
		if !ok {
			continue
		}
		if canListen("127.0.0.1", p) && canListen("::1", p) {
			t.Cleanup(release)
			return p
		}
		release()
	}
	t.Fatalf("no free port in 10000..29999 outside the ephemeral range %d..%d", lo, hi)
	return 0
}

// reservedPorts is where freePort's locks live, one file a port, shared
// by every test process on the machine.
var reservedPorts = filepath.Join(os.TempDir(), "chatd-test-ports")

// reservePort takes the lock of port p without waiting; false when
// another cluster holds it. The lock goes with its descriptor, so a test
// process that dies leaves none behind.
func reservePort(t *testing.T, p int) (release func(), ok bool) {
	t.Helper()
	if err := os.MkdirAll(reservedPorts, 0o755); err != nil {
		t.Fatalf("port reservations: %v", err)
	}
	_ = os.Chmod(reservedPorts, 0o1777) // every user's suites share it; fails unless ours
	// Read-only: a lock needs no more, and another user's file allows it.
	f, err := os.OpenFile(filepath.Join(reservedPorts, strconv.Itoa(p)), os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatalf("port reservations: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			t.Fatalf("reserve port %d (%s): %v", p, f.Name(), err)
		}
		return nil, false
	}
	return func() { f.Close() }, true
}

// ephemeralPorts reads the kernel's ephemeral port range (Linux's default
// when it cannot).
func ephemeralPorts() (lo, hi int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if f := strings.Fields(string(b)); err == nil && len(f) == 2 {
		lo, err1 := strconv.Atoi(f[0])
		hi, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil {
			return lo, hi
		}
	}
	return 32768, 60999
}

// canListen reports whether port is free on host; a host without that
// loopback (no IPv6) does not count against it.
func canListen(host string, port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return !errors.Is(err, syscall.EADDRINUSE) && host != "127.0.0.1"
	}
	ln.Close()
	return true
}

// debianTool finds the program name from the Debian package pkg; the suite
// needs it (make deps installs it), so its absence fails rather than skips.
func debianTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install Debian package %s (make deps)", name, pkg)
	}
	return p
}

// baseEnv is the environment of every process the cluster starts.
func (c *cluster) baseEnv() []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + c.dir,
		"CHATD_RUNTIME_DIR=" + c.runtime,
		"STATE_DIRECTORY=" + filepath.Join(c.dir, "state"),
		"CHATD_MAPPER_PORT=" + strconv.Itoa(c.mapperPort),
		// The binaries are built with -race, whose runtime otherwise sleeps
		// 1s at exit.
		"GORACE=atexit_sleep_ms=0",
	}
	return append(env, c.env...)
}

// node is one running chatd process.
type node struct {
	c      *cluster
	name   string
	cmd    *exec.Cmd
	stdout *testkit.Buffer
	stderr *testkit.Buffer
	exited chan struct{} // closed when the process has exited
	err    error         // the Wait result, once exited is closed
	client *client.Client
	hc     *http.Client // raw HTTP, for the fault tests that set its connections and timeout themselves
}

// nodeOpt changes how a node is started.
type nodeOpt func(*nodeSpec)

type nodeSpec struct {
	bin  string
	args []string
	env  []string
}

// plain runs the chatd built without the race detector, whose memory
// figures mean something.
func plain() nodeOpt { return func(s *nodeSpec) { s.bin = built.chatdPlain } }

func withArgs(a ...string) nodeOpt { return func(s *nodeSpec) { s.args = append(s.args, a...) } }

// withConfig writes toml to a file and starts the node with --config.
func (c *cluster) withConfig(name, toml string) nodeOpt {
	p := filepath.Join(c.dir, name+".toml")
	if err := os.WriteFile(p, []byte(toml), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return withArgs("--config", p)
}

// start runs chatd --name name and waits until its control socket answers.
func (c *cluster) start(name string, opts ...nodeOpt) *node {
	c.t.Helper()
	n := c.spawn(name, opts...)
	n.waitReady()
	return n
}

// spawn runs chatd --name name without waiting for readiness.
func (c *cluster) spawn(name string, opts ...nodeOpt) *node {
	c.t.Helper()
	spec := nodeSpec{bin: built.chatd, args: []string{"--name", name, "--cookie-file", c.cookieFile}}
	for _, o := range opts {
		o(&spec)
	}
	cmd := exec.Command(spec.bin, spec.args...)
	cmd.Env = append(c.baseEnv(), spec.env...)
	return c.run(name, cmd)
}

// run starts cmd as the node called name, collecting its output, and stops
// it when the test ends (printing its output if the test failed).
func (c *cluster) run(name string, cmd *exec.Cmd) *node {
	c.t.Helper()
	n := &node{c: c, name: name, cmd: cmd, stdout: &testkit.Buffer{}, stderr: &testkit.Buffer{}, exited: make(chan struct{})}
	n.client, n.hc = client.New(n.socket()), unixClient(n.socket())
	cmd.Stdout, cmd.Stderr = n.stdout, n.stderr
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start chatd %s: %v", name, err)
	}
	go func() {
		n.err = cmd.Wait()
		close(n.exited)
	}()
	c.t.Cleanup(func() {
		n.client.CloseIdleConnections()
		n.hc.CloseIdleConnections()
		n.stop(syscall.SIGTERM, 10*time.Second)
		if c.t.Failed() {
			c.t.Logf("--- %s stderr:\n%s--- %s stdout:\n%s", name, n.stderr.String(), name, n.stdout.String())
		}
	})
	return n
}

// socket is the node's control socket path.
func (n *node) socket() string { return filepath.Join(n.c.runtime, n.name, "control.sock") }

// waitReady waits until the control socket answers /v1/status, failing
// the test if the process exits first. It leaves no kept-alive connection
// behind, so that the node's descriptors and goroutines are its own.
func (n *node) waitReady() {
	n.c.t.Helper()
	waitFor(n.c.t, 15*time.Second, n.name+" to answer on its control socket", func() bool {
		select {
		case <-n.exited:
			n.c.t.Fatalf("chatd %s exited before it was ready: %v\n%s", n.name, n.err, n.stderr.String())
		default:
		}
		_, err := n.client.Status(apiCtx(n.c.t))
		return err == nil
	})
	n.client.CloseIdleConnections()
}

// stop signals the process and waits for it to exit, killing it after
// grace. It returns the exit error (nil for status 0).
func (n *node) stop(sig syscall.Signal, grace time.Duration) error {
	select {
	case <-n.exited:
		return n.err
	default:
	}
	_ = n.cmd.Process.Signal(sig)
	select {
	case <-n.exited:
	case <-time.After(grace):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
	return n.err
}

// waitExit waits at most d for the node's process to exit on its own and
// returns how long that took.
func (n *node) waitExit(d time.Duration) time.Duration {
	n.c.t.Helper()
	start := time.Now()
	select {
	case <-n.exited:
	case <-time.After(d):
		n.c.t.Fatalf("%s still running after %s", n.name, d)
	}
	return time.Since(start)
}

// kill sends SIGKILL and waits for the process to be gone.
func (n *node) kill() {
	_ = n.cmd.Process.Kill()
	<-n.exited
}

// apiTimeout bounds one control API request of the suite.
const apiTimeout = 10 * time.Second

// apiCtx is the context of one control API request of a test: it ends
// after apiTimeout, or with the test.
func apiCtx(t testing.TB) context.Context { return testkit.Ctx(t, apiTimeout) }

// status returns the node's GET /v1/status, failing the test on error.
func (n *node) status() wire.StatusResponse {
	n.c.t.Helper()
	st, err := n.client.Status(apiCtx(n.c.t))
	if err != nil {
		n.c.t.Fatalf("status of %s: %v", n.name, err)
	}
	return st
}

// tasks returns the node's running tasks, and with all its finished ones
// too (GET /v1/tasks), failing the test on error.
func (n *node) tasks(all bool) []wire.TaskInfo {
	n.c.t.Helper()
	resp, err := n.client.Tasks(apiCtx(n.c.t), all)
	if err != nil {
		n.c.t.Fatalf("tasks of %s: %v", n.name, err)
	}
	return resp.Tasks
}

// runsTask reports whether the node runs a task of function fn now.
func (n *node) runsTask(fn string) bool {
	n.c.t.Helper()
	return slices.ContainsFunc(n.tasks(false), func(ti wire.TaskInfo) bool {
		return ti.Function == fn && ti.State == wire.TaskRunning
	})
}

// api makes one raw control API request on the node's socket; the tests
// that do not probe the HTTP layer itself use n.client.
func (n *node) api(method, path string, in, out any) error {
	return apiCall(n.hc, method, path, in, out)
}

// unixClient is a raw HTTP client for a control socket.
func unixClient(socket string) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 256,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", socket)
			}},
	}
}

// apiCall makes one raw control API request with hc.
func apiCall(hc *http.Client, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://chatd"+path, body)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// result is a finished chatctl run.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// lines returns what the node wrote to stdout (its message sink), a line
// each.
func (n *node) lines() []string {
	s := strings.TrimSuffix(n.stdout.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// messages returns what the node's GET /v1/messages lists.
func (n *node) messages() []wire.Message {
	n.c.t.Helper()
	resp, err := n.client.Messages(apiCtx(n.c.t), 0)
	if err != nil {
		n.c.t.Fatalf("messages of %s: %v", n.name, err)
	}
	return resp.Messages
}

// chatctl runs the chatctl binary in the cluster's environment.
func (c *cluster) chatctl(args ...string) result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, built.chatctl, args...)
	cmd.Env = c.baseEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("run chatctl %v: %v", args, err)
	}
	return r
}

// chatctlAsync runs chatctl with args in the background; the result
// arrives on the channel (code -1 and the error in stderr if it could not
// run). A chatctl still running when the test ends is killed.
func (c *cluster) chatctlAsync(args ...string) <-chan result {
	out := make(chan result, 1)
	cmd := exec.Command(built.chatctl, args...)
	cmd.Env = c.baseEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		out <- result{code: -1, stderr: err.Error()}
		return out
	}
	exited := make(chan struct{})
	c.t.Cleanup(func() {
		_ = cmd.Process.Kill() // fails once it has exited
		<-exited
	})
	go func() {
		defer close(exited)
		err := cmd.Wait()
		r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			r.code = ee.ExitCode()
		case err != nil:
			r.code, r.stderr = -1, err.Error()
		}
		out <- r
	}()
	return out
}

// links returns the peers a node lists in /v1/nodes.
func (n *node) links() []string {
	n.c.t.Helper()
	resp, err := n.client.Nodes(apiCtx(n.c.t))
	if err != nil {
		n.c.t.Fatalf("nodes of %s: %v", n.name, err)
	}
	var out []string
	for _, l := range resp.Links {
		out = append(out, l.Node)
	}
	return out
}

// waitFor polls cond until it holds, failing the test after d; it returns
// how long that took.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	return testkit.WaitFor(t, d, what, cond)
}
