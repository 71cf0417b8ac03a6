package tests

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminalChat is `chatctl chat` running on a real pseudo-terminal.
type terminalChat struct {
	t      *testing.T
	ptmx   *os.File
	cmd    *exec.Cmd
	mu     sync.Mutex
	screen bytes.Buffer // everything chatctl wrote to the terminal; guarded by mu
	read   chan struct{}
	exited chan struct{}
	err    error // the exit, set before exited closes
}

// startTerminalChat runs chatctl with args on a pseudo-terminal in the
// cluster's environment plus env.
func (c *cluster) startTerminalChat(env []string, args ...string) *terminalChat {
	c.t.Helper()
	cmd := exec.Command(built.chatctl, args...)
	cmd.Env = append(append(c.baseEnv(), "TERM=xterm"), env...)
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		c.t.Fatalf("start chatctl on a pty: %v", err)
	}
	tc := &terminalChat{t: c.t, ptmx: ptmx, cmd: cmd, read: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(tc.read)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			tc.mu.Lock()
			tc.screen.Write(buf[:n])
			tc.mu.Unlock()
			if err != nil {
				return // EIO once chatctl has exited
			}
		}
	}()
	go func() {
		tc.err = cmd.Wait()
		close(tc.exited)
	}()
	c.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-tc.exited
		_ = ptmx.Close()
		<-tc.read
		if c.t.Failed() {
			c.t.Logf("--- the chat's terminal:\n%q", tc.output())
		}
	})
	return tc
}

// output is everything on the terminal so far.
func (tc *terminalChat) output() string {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.screen.String()
}

// after returns the terminal output from mark on.
func (tc *terminalChat) after(mark int) string { return tc.output()[mark:] }

// waitFor waits until the output from mark on holds want; it returns
// where want ends.
func (tc *terminalChat) waitFor(mark int, want string) int {
	tc.t.Helper()
	var at int
	waitFor(tc.t, 10*time.Second, "the terminal to show "+want, func() bool {
		i := strings.Index(tc.after(mark), want)
		at = mark + i + len(want)
		return i >= 0
	})
	return at
}

// typeText types s on the terminal.
func (tc *terminalChat) typeText(s string) {
	tc.t.Helper()
	if _, err := tc.ptmx.Write([]byte(s)); err != nil {
		tc.t.Fatalf("type %q: %v", s, err)
	}
}

// waitExit waits for chatctl to exit and returns its status.
func (tc *terminalChat) waitExit() int {
	tc.t.Helper()
	select {
	case <-tc.exited:
	case <-time.After(10 * time.Second):
		tc.t.Fatal("chatctl chat did not exit")
	}
	if ee, ok := errors.AsType[*exec.ExitError](tc.err); ok {
		return ee.ExitCode()
	}
	if tc.err != nil {
		tc.t.Fatal(tc.err)
	}
	return 0
}

// TestChatOnTerminal drives `chatctl chat kate` on a pseudo-terminal:
// lines typed reach kate, kate's messages and moebi's (marked) appear as
// they arrive, a line being typed survives a message arriving, /who lists
// the links, a failure is shown without ending the chat, /quit leaves.
func TestChatOnTerminal(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	kate := c.start("kate")
	c.start("moebi", c.withConfig("moebi", moebiConfig))
	tc := c.startTerminalChat(nil, "--node", "alex", "chat", "kate")
	at := tc.waitFor(0, "chatting with kate@localhost as alex@localhost")
	at = tc.waitFor(at, "kate> ")

	tc.typeText("hello kate\r")
	waitFor(t, 10*time.Second, "kate to get hello kate", func() bool { return hasMessage(kate.messages(), "alex@localhost", "hello kate") })

	// The follow starts as the chat does; send until kate's message shows.
	waitFor(t, 10*time.Second, "kate's message on alex's terminal", func() bool {
		if r := c.chatctl("--node", "kate", "send", "alex", "hi alex"); r.code != 0 {
			t.Fatalf("kate's send: %d %s", r.code, r.stderr)
		}
		return strings.Contains(tc.after(at), "kate@localhost:")
	})
	at = tc.waitFor(at, "hi alex")

	tc.typeText("half a li")
	at = tc.waitFor(at, "half a li")
	if r := c.chatctl("--node", "moebi", "send", "alex", "moo"); r.code != 0 {
		t.Fatalf("moebi's send: %d %s", r.code, r.stderr)
	}
	at = tc.waitFor(at, "[moebi@localhost]")
	at = tc.waitFor(at, "moo")
	at = tc.waitFor(at, "kate> half a li") // redrawn below the message
	tc.typeText("ne\r")
	waitFor(t, 10*time.Second, "kate to get the line typed around moebi's message", func() bool {
		return hasMessage(kate.messages(), "alex@localhost", "half a line")
	})
	if !strings.Contains(tc.output(), "\x1b[33m[moebi@localhost]") {
		t.Error("moebi's mark is not coloured on a terminal")
	}

	tc.typeText("/who\r")
	at = tc.waitFor(at, "alex@localhost is linked to kate@localhost (chatd, out), moebi@localhost (chatd, in)")

	if err := kate.stop(syscall.SIGTERM, 10*time.Second); err != nil {
		t.Fatalf("stop kate: %v", err)
	}
	tc.typeText("anyone there?\r")
	at = tc.waitFor(at, "not delivered: ")
	at = tc.waitFor(at, "kate> ") // the chat goes on
	tc.typeText("/quit\r")
	if code := tc.waitExit(); code != 0 {
		t.Errorf("/quit: exit %d, want 0", code)
	}
	_ = at
}

// TestChatCtrlDAndNoColor: Ctrl-D leaves, and NO_COLOR keeps colours off.
func TestChatCtrlDAndNoColor(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	c.start("moebi", c.withConfig("moebi", moebiConfig))
	tc := c.startTerminalChat([]string{"NO_COLOR=1"}, "--node", "alex", "chat", "moebi")
	at := tc.waitFor(0, "moebi> ")
	// The follow starts as the chat does; send until the responder's
	// answer, from the peer and so unmarked, shows.
	for i := 0; !strings.Contains(tc.after(at), "moebi@localhost: chicken?"); i++ {
		if i == 50 {
			t.Fatal("moebi's chicken? never showed")
		}
		tc.typeText("hi\r")
		deadline := time.Now().Add(200 * time.Millisecond)
		for time.Now().Before(deadline) && !strings.Contains(tc.after(at), "chicken?") {
			time.Sleep(10 * time.Millisecond)
		}
	}
	tc.typeText("\x04")
	if code := tc.waitExit(); code != 0 {
		t.Errorf("Ctrl-D: exit %d, want 0", code)
	}
	for _, sgr := range []string{"\x1b[33m", "\x1b[36m", "\x1b[2m", "\x1b[31m"} {
		if strings.Contains(tc.output(), sgr) {
			t.Errorf("colour %q on the terminal with NO_COLOR=1", sgr)
		}
	}
	_ = at
}

// TestChatThroughPipe: with standard input a pipe, each line is sent and
// chatctl exits at the end of the input, printing nothing; lines that
// could not be delivered are printed on stderr and make the exit 1.
func TestChatThroughPipe(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	kate := c.start("kate")
	r := c.chatctlInput("one\n\ntwo\nthree\n", "--node", "alex", "chat", "kate")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("chat through a pipe: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	var got []string
	for _, m := range kate.messages() {
		got = append(got, m.Text)
	}
	if strings.Join(got, ",") != "one,two,three" {
		t.Errorf("kate got %q, want one, two, three in order", got)
	}

	r = c.chatctlInput("lost\nalso lost\n", "--node", "alex", "chat", "nobody")
	if r.code != 1 || r.stdout != "" ||
		!strings.Contains(r.stderr, "not delivered to nobody@localhost: lost: no connection to nobody@localhost: not registered") ||
		!strings.Contains(r.stderr, "chat: 2 of 2 lines could not be delivered to nobody@localhost") {
		t.Errorf("chat to nobody: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// chatctlInput runs chatctl with input on its standard input (a pipe).
func (c *cluster) chatctlInput(input string, args ...string) result {
	c.t.Helper()
	cmd := exec.Command(built.chatctl, args...)
	cmd.Env = c.baseEnv()
	cmd.Stdin = strings.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		c.t.Fatalf("chatctl %v did not exit at the end of its input", args)
	}
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		r.code = ee.ExitCode()
	} else if err != nil && !errors.Is(err, io.EOF) {
		c.t.Fatal(err)
	}
	return r
}
