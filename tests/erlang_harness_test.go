package tests

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"chatd/internal/testkit"
)

// The Elixir side of the end-to-end suite: real iex nodes, the lesson's
// Chat app compiled once per run of the test binary, each node on the
// cluster's private mapper port and killed with its whole process group
// when the test ends.

// lessonCookie is the lesson's --cookie secret_token; the clusters of the
// Erlang tests give it to their chatd nodes too.
const lessonCookie = "secret_token"

// iexPath finds iex from Debian's elixir.
func iexPath(t *testing.T) string { return debianTool(t, "iex", "elixir") }

// compiledChat is the lesson's Chat app, copied out of tests/elixir/chat
// and compiled by the first test that needs it.
var compiledChat struct {
	once sync.Once
	dir  string
	err  error
}

// chatApp returns the directory of the compiled Chat app (a mix project:
// `iex -S mix` there runs it).
func chatApp(t *testing.T) string {
	t.Helper()
	iexPath(t)
	compiledChat.once.Do(func() {
		dir := filepath.Join(filepath.Dir(built.chatd), "elixir") // TestMain removes it
		compiledChat.dir = filepath.Join(dir, "chat")
		compiledChat.err = compileChat(dir)
	})
	if compiledChat.err != nil {
		t.Fatal(compiledChat.err)
	}
	return compiledChat.dir
}

// compileChat copies the lesson's app to dir/chat and runs mix compile
// there, with dir as HOME and MIX_HOME under it (no network needed).
func compileChat(dir string) error {
	if err := os.CopyFS(filepath.Join(dir, "chat"), os.DirFS(filepath.Join("elixir", "chat"))); err != nil {
		return fmt.Errorf("copy the Chat app: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mix", "compile")
	cmd.Dir = filepath.Join(dir, "chat")
	cmd.Env = elixirEnv(dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("mix compile of the Chat app in %s: %v\n%s", cmd.Dir, err, out)
	}
	return nil
}

// elixirEnv is the environment of mix and iex: home as HOME, MIX_HOME
// under it, a UTF-8 locale, no MIX_ENV (the lesson's dev config).
func elixirEnv(home string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"MIX_HOME=" + filepath.Join(home, ".mix"),
		"LANG=C.UTF-8",
	}
}

// iexNode is one running iex, driven through its standard input.
type iexNode struct {
	t      *testing.T
	name   string // kate: the node is kate@localhost
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *testkit.Buffer // what it printed, stdout and stderr
	exited chan struct{}
	mu     sync.Mutex // serialises typing
	evals  int        // guarded by mu: evals so far, numbering their markers
}

// iexSpec is how an iex node is started.
type iexSpec struct {
	chat    bool   // run the lesson's Chat app (iex -S mix)
	cookie  string // --cookie
	ownEPMD bool   // let it start an epmd of its own (on the cluster's port)
}

// iexOpt changes how an iex node is started.
type iexOpt func(*iexSpec)

// bare starts iex without the Chat app (no -S mix).
func bare() iexOpt { return func(s *iexSpec) { s.chat = false } }

// withCookie gives the node another cookie.
func withCookie(cookie string) iexOpt { return func(s *iexSpec) { s.cookie = cookie } }

// ownEPMD lets iex start the real epmd on the cluster's mapper port.
func ownEPMD() iexOpt { return func(s *iexSpec) { s.ownEPMD = true } }

// iex starts `iex --sname NAME@localhost --cookie COOKIE -S mix` in the
// compiled Chat app on the cluster's mapper port, and waits for its first
// prompt (distribution is up by then). It is killed, with its process
// group, when the test ends.
func (c *cluster) iex(name string, opts ...iexOpt) *iexNode {
	c.t.Helper()
	spec := iexSpec{chat: true, cookie: lessonCookie}
	for _, o := range opts {
		o(&spec)
	}
	epmd := "-start_epmd false"
	if spec.ownEPMD {
		epmd = "-start_epmd true"
	}
	args := []string{"--sname", name + "@localhost", "--cookie", spec.cookie, "--erl", epmd}
	cmd := exec.Command(iexPath(c.t), args...)
	cmd.Dir = c.dir
	if spec.chat {
		cmd.Args = append(cmd.Args, "-S", "mix")
		cmd.Dir = chatApp(c.t)
	}
	cmd.Env = append(elixirEnv(filepath.Join(c.dir, "home-"+name)), "ERL_EPMD_PORT="+strconv.Itoa(c.mapperPort))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	n := &iexNode{t: c.t, name: name, cmd: cmd, out: &testkit.Buffer{}, exited: make(chan struct{})}
	if err := os.MkdirAll(filepath.Join(c.dir, "home-"+name), 0o700); err != nil {
		c.t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	n.stdin = stdin
	cmd.Stdout, cmd.Stderr = n.out, n.out
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start iex %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(n.exited) }()
	c.t.Cleanup(func() {
		n.kill()
		if c.t.Failed() {
			c.t.Logf("--- iex %s output:\n%s", name, n.out.String())
		}
	})
	n.waitPrompt(0, time.Minute)
	return n
}

// kill ends the node and everything in its process group (erl_child_setup,
// inet_gethost) and waits for it.
func (n *iexNode) kill() {
	select {
	case <-n.exited:
		return
	default:
	}
	_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
	<-n.exited
}

// prompt is an iex prompt, iex(kate@localhost)3>. iex prints it again
// after output that arrives while it waits (a task's IO.puts), so eval
// does not count prompts: it types a marker after the expression.
var prompt = regexp.MustCompile(`iex\([^)]*\)\d+> `)

// waitPrompt waits for a prompt printed after offset from.
func (n *iexNode) waitPrompt(from int, d time.Duration) {
	n.t.Helper()
	n.waitPrinted(from, d, "a prompt", func(out string) int {
		if loc := prompt.FindStringIndex(out); loc != nil {
			return loc[0]
		}
		return -1
	})
}

// waitPrinted waits until find locates something in what the node printed
// after offset from, and returns the text before it; it fails the test if
// the node exits first or d passes.
func (n *iexNode) waitPrinted(from int, d time.Duration, what string, find func(string) int) string {
	n.t.Helper()
	deadline := time.Now().Add(d)
	for {
		out := n.out.String()[from:]
		if i := find(out); i >= 0 {
			return out[:i]
		}
		select {
		case <-n.exited:
			n.t.Fatalf("iex %s exited (%v) waiting for %s; it printed:\n%s", n.name, n.cmd.ProcessState, what, out)
		default:
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("iex %s printed no %s within %s; it printed:\n%s", n.name, what, d, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// eval types expr (one line) at the prompt and returns what iex printed
// for it: its output and its value, without prompts, trimmed.
func (n *iexNode) eval(expr string) string {
	n.t.Helper()
	return n.evalWithin(expr, 30*time.Second)
}

// evalWithin is eval bounded by d.
func (n *iexNode) evalWithin(expr string, d time.Duration) string {
	n.t.Helper()
	return n.begin(expr)(d)
}

// begin types expr and returns a function that waits at most d for what
// iex printed for it (see eval). After expr it types an atom of its own
// whose value, once printed, ends expr's output: it comes even when expr
// raised or the shell process died.
//
// When a shell process dies, iex starts a new one, but the old one's read
// stays pending in Erlang's user process, which serves the new one's
// reads nested inside it and drops what they leave in the buffer: from
// then on, of two lines typed at once the second is lost, and so is a
// line typed while no new read is pending. So a marker lost to a shell
// that died during expr is typed again, alone, every half second; and
// after that only alive may type into the node.
func (n *iexNode) begin(expr string) (wait func(d time.Duration) string) {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if strings.Contains(n.out.String(), shellRestarted) {
		n.t.Fatalf("iex %s: its shell died earlier, and a line typed now may be lost: check it with alive", n.name)
	}
	n.evals++
	marker := fmt.Sprintf(`:"chatd-eval-%d"`, n.evals)
	from := n.mark()
	n.typeLines(expr, marker)
	return func(d time.Duration) string {
		n.t.Helper()
		var typed time.Time
		text := n.waitPrinted(from, d, "answer to "+expr, func(out string) int {
			if i := strings.Index(out, marker); i >= 0 {
				return i
			}
			if strings.Contains(out, shellRestarted) && time.Since(typed) > 500*time.Millisecond {
				typed = time.Now()
				n.typeAlone(marker)
			}
			return -1
		})
		return strings.TrimSpace(noise.ReplaceAllString(text, ""))
	}
}

// alive checks that the node still evaluates expressions, also after its
// shell died: it types one, alone, every half second until iex prints its
// value.
func (n *iexNode) alive(d time.Duration) {
	n.t.Helper()
	m := n.mark()
	var typed time.Time
	n.waitPrinted(m, d, "the value of String.reverse(\"evila\")", func(out string) int {
		if i := strings.Index(out, `"alive"`); i >= 0 {
			return i
		}
		if time.Since(typed) > 500*time.Millisecond {
			typed = time.Now()
			n.typeAlone(`String.reverse("evila")`)
		}
		return -1
	})
}

// typeAlone types one line, holding the typing lock.
func (n *iexNode) typeAlone(line string) {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.typeLines(line)
}

// shellRestarted is what iex prints when its shell process died.
const shellRestarted = "shell process exited with reason"

// noise is what eval leaves out of an expression's output: prompts, and
// markers typed again.
var noise = regexp.MustCompile(`iex\([^)]*\)\d+> |:"chatd-eval-\d+"\n?`)

// typeLines types lines into iex.
func (n *iexNode) typeLines(lines ...string) {
	n.t.Helper()
	if _, err := io.WriteString(n.stdin, strings.Join(lines, "\n")+"\n"); err != nil {
		n.t.Fatalf("type %q into iex %s: %v", lines, n.name, err)
	}
}

// expect evals expr and fails the test unless its output ends with want
// (the value; printed lines come before it). It returns the whole output.
func (n *iexNode) expect(expr, want string) string {
	n.t.Helper()
	got := n.eval(expr)
	if !strings.HasSuffix(got, want) {
		n.t.Fatalf("iex %s: %s\n printed %q\n want it to end with %q", n.name, expr, got, want)
	}
	return got
}

// mark is an offset into the node's output, for waitOutput.
func (n *iexNode) mark() int { return len(n.out.String()) }

// since is what the node printed after mark m.
func (n *iexNode) since(m int) string { return n.out.String()[m:] }

// waitOutput waits until the node printed want after mark m.
func (n *iexNode) waitOutput(m int, want string, d time.Duration) {
	n.t.Helper()
	waitFor(n.t, d, fmt.Sprintf("iex %s to print %q", n.name, want), func() bool {
		return strings.Contains(n.since(m), want)
	})
}

// erlangCluster is a cluster for chatd and iex nodes: its chatd nodes get
// the lesson's cookie, and the embedded mapper (or an epmd) on its port.
func erlangCluster(t *testing.T) *cluster {
	t.Helper()
	c := newCluster(t)
	c.cookieFile = c.writeCookie("lesson-cookie", lessonCookie, 0o600)
	return c
}

// logged waits until the node's log (stderr) has a line holding every
// one of want, and returns it.
func (n *node) logged(d time.Duration, want ...string) string {
	n.c.t.Helper()
	var found string
	waitFor(n.c.t, d, fmt.Sprintf("%s to log a line with %q", n.name, want), func() bool {
		for line := range strings.Lines(n.stderr.String()) {
			if hasAll(line, want...) {
				found = line
				return true
			}
		}
		return false
	})
	return strings.TrimSpace(found)
}

func hasAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
