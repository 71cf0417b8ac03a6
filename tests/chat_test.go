package tests

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"chatd/wire"
)

// moebiConfig makes moebi the lesson's dog: it answers everything.
const moebiConfig = "[nodes.moebi]\nresponder.reply = \"chicken?\"\n"

func hasMessage(ms []wire.Message, from, text string) bool {
	return slices.ContainsFunc(ms, func(m wire.Message) bool { return m.From == from && m.Text == text })
}

func TestSendBetweenNodes(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex")
	kate := c.start("kate")

	r := c.chatctl("--node", "alex", "send", "kate@localhost", "hi")
	if r.code != 0 {
		t.Fatalf("send: exit %d: %s", r.code, r.stderr)
	}
	// Delivery is acknowledged only once kate's sink took it: no waiting.
	if got := kate.lines(); !slices.Equal(got, []string{"hi"}) {
		t.Fatalf("kate's stdout = %q, want [hi]", got)
	}
	if !hasMessage(kate.messages(), "alex@localhost", "hi") {
		t.Fatalf("kate's messages = %+v", kate.messages())
	}
	r = c.chatctl("--node", "kate", "send", "alex@localhost", "how are you?")
	if r.code != 0 {
		t.Fatalf("send back: exit %d: %s", r.code, r.stderr)
	}
	if !slices.Equal(alex.lines(), []string{"how are you?"}) || !hasMessage(alex.messages(), "kate@localhost", "how are you?") {
		t.Fatalf("alex's stdout = %q, messages %+v", alex.lines(), alex.messages())
	}
}

func TestSendWithoutNodeFlagSpeaksAsTheOtherNode(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	kate := c.start("kate")
	if r := c.chatctl("send", "kate@localhost", "hi"); r.code != 0 {
		t.Fatalf("chatctl send kate@localhost hi: exit %d: %s", r.code, r.stderr)
	}
	if !hasMessage(kate.messages(), "alex@localhost", "hi") {
		t.Fatalf("kate's messages = %+v", kate.messages())
	}
}

func TestResponder(t *testing.T) {
	c := newCluster(t)
	cfg := c.withConfig("chatd", moebiConfig)
	alex := c.start("alex", cfg)
	kate := c.start("kate", cfg)
	moebi := c.start("moebi", cfg)

	r := c.chatctl("--node", "alex", "send", "moebi@localhost", "hi")
	expectReply(t, r, "moebi@localhost", "chicken?")
	if !hasMessage(moebi.messages(), "alex@localhost", "hi") {
		t.Fatalf("moebi's messages = %+v", moebi.messages())
	}
	// The send returned only after moebi's reply landed on alex.
	if !hasMessage(alex.messages(), "moebi@localhost", "chicken?") || !slices.Equal(alex.lines(), []string{"chicken?"}) {
		t.Fatalf("alex's messages = %+v, stdout %q", alex.messages(), alex.lines())
	}
	if got := kate.messages(); len(got) != 0 {
		t.Fatalf("kate received %+v", got)
	}
	expectJSONReply(t, c.chatctl("--node", "alex", "--json", "send", "moebi", "hi"), "alex@localhost", "moebi@localhost", "chicken?")
	// A node that answers nothing sends no replies.
	if r := c.chatctl("--node", "alex", "--json", "send", "kate", "hi"); r.code != 0 || strings.Contains(r.stdout, "replies") {
		t.Fatalf("send --json to kate: exit %d, stdout %q; want no replies", r.code, r.stdout)
	}
}

// replyLine is how chatctl send prints a send to a node and the reply that
// came back as part of it.
var replyLine = regexp.MustCompile(`^sent to (\S+) \(id [0-9a-f]+\)\n(.*)\n$`)

// expectReply checks what `chatctl send` printed: the send to from, then
// from's reply (issue 14, point 11).
func expectReply(t *testing.T, r result, from, reply string) {
	t.Helper()
	m := replyLine.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil || m[1] != from || m[2] != from+": "+reply {
		t.Fatalf("chatctl send to %s: exit %d, stdout %q, stderr %q; want the send, then %q", from, r.code, r.stdout, r.stderr, from+": "+reply)
	}
}

// expectJSONReply checks `chatctl --json send`: its replies hold from's
// reply to to.
func expectJSONReply(t *testing.T, r result, to, from, reply string) {
	t.Helper()
	var resp wire.SendResponse
	if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil || r.code != 0 || len(resp.Replies) != 1 {
		t.Fatalf("chatctl --json send to %s: exit %d, %q (%v); want one reply", from, r.code, r.stdout, err)
	}
	if got := resp.Replies[0]; got.From != from || got.To != to || got.Text != reply || got.ID == "" {
		t.Fatalf("chatctl --json send to %s: reply %+v; want %q from %s to %s, with an id", from, got, reply, from, to)
	}
}

func TestSendToStoppedNode(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	r := c.chatctl("--node", "alex", "send", "moebi@localhost", "hi")
	if r.code != 1 || !strings.Contains(r.stderr, "no connection to moebi@localhost: not registered") {
		t.Fatalf("send to a stopped node: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestCall(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	kate := c.start("kate")

	r := c.chatctl("--node", "alex", "call", "kate@localhost", "echo", "a", "b")
	if r.code != 0 || r.stdout != "a b\n" {
		t.Fatalf("call echo: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	r = c.chatctl("--node", "alex", "call", "--timeout", "1s", "kate@localhost", "sleep", "3s")
	if r.code != 1 || !strings.Contains(r.stderr, "timed out after 1") {
		t.Fatalf("call sleep with a 1s timeout: exit %d, stderr %q", r.code, r.stderr)
	}
	if r.took < time.Second || r.took > 2500*time.Millisecond {
		t.Errorf("the timed-out call took %s, want about 1s", r.took)
	}
	t.Logf("timed out after %s: %s", r.took, strings.TrimSpace(r.stderr))
	waitFor(t, 3*time.Second, "kate to show the sleep cancelled", func() bool {
		return slices.ContainsFunc(kate.tasks(true), func(ti wire.TaskInfo) bool {
			return ti.Function == "sleep" && ti.State == wire.TaskCancelled
		})
	})
	r = c.chatctl("--node", "kate", "tasks", "--all")
	if !strings.Contains(r.stdout, "cancelled") {
		t.Errorf("chatctl tasks --all does not show the cancelled task:\n%s", r.stdout)
	}

	r = c.chatctl("--node", "alex", "call", "kate@localhost", "crash")
	if r.code != 1 || !strings.Contains(r.stderr, "panic: crash requested by alex@localhost") {
		t.Fatalf("call crash: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := c.chatctl("--node", "alex", "ping", "kate@localhost"); r.code != 0 {
		t.Fatalf("kate stopped answering after a crash: %d %s", r.code, r.stderr)
	}
	if r := c.chatctl("--node", "alex", "functions"); r.code != 0 || !strings.Contains(r.stdout, "receive_message") {
		t.Fatalf("functions: %d %q", r.code, r.stdout)
	}
}

// streamer is a long-running chatctl whose stdout lines arrive on a channel.
type streamer struct {
	lines chan string
	cmd   *exec.Cmd
}

func (c *cluster) stream(args ...string) *streamer {
	c.t.Helper()
	cmd := exec.Command(built.chatctl, args...)
	cmd.Env = c.baseEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	s := &streamer{lines: make(chan string, 1024), cmd: cmd}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	c.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		<-done
		_ = cmd.Wait()
	})
	return s
}

// next waits for the next line that contains want.
func (s *streamer) next(t *testing.T, want string, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l := <-s.lines:
			if strings.Contains(l, want) {
				return l
			}
		case <-deadline:
			t.Fatalf("no line with %q within %s", want, d)
		}
	}
}

func TestTasksWatch(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	c.start("kate")
	w := c.stream("--node", "kate", "--json", "tasks", "--watch")
	// The watch is subscribed some time after chatctl starts: send until
	// an event shows up.
	got := make(chan string, 1)
	go func() { got <- w.next(t, `"state":"ok"`, 10*time.Second) }()
	deadline := time.Now().Add(10 * time.Second)
	for sent := 0; ; sent++ {
		if r := c.chatctl("--node", "alex", "send", "kate@localhost", fmt.Sprintf("watch me %d", sent)); r.code != 0 {
			t.Fatalf("send: %d %s", r.code, r.stderr)
		}
		select {
		case line := <-got:
			var ev struct{ Function, State, Caller string }
			if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Function != "receive_message" || ev.Caller != "alex@localhost" {
				t.Fatalf("watch line %q: %v", line, err)
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("tasks --watch showed nothing while alex sent")
		}
	}
}

func TestMessagesFollow(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	c.start("kate")
	f := c.stream("--node", "kate", "messages", "--follow")
	for i := 0; ; i++ {
		text := fmt.Sprintf("follow me %d", i)
		if r := c.chatctl("--node", "alex", "send", "kate@localhost", text); r.code != 0 {
			t.Fatalf("send: %d %s", r.code, r.stderr)
		}
		select {
		case l := <-f.lines:
			if !strings.Contains(l, "alex@localhost") || !strings.Contains(l, "follow me") {
				t.Fatalf("follow printed %q", l)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
		if i > 50 {
			t.Fatal("messages --follow printed nothing")
		}
	}
}

// TestTestEnvironmentRunsLocally: the lesson's test environment, written
// out in the file or the built-in one that --env test selects alone, runs
// every send and call on the node itself, with no link; the output says
// so and why (issue 14, point 7).
func TestTestEnvironmentRunsLocally(t *testing.T) {
	const why = `tasks.placement is "local" in the test environment`
	c := newCluster(t)
	alex := c.start("alex", c.withConfig("chatd", "environment = \"test\"\n[environments.test]\ntasks.placement = \"local\"\n"))
	r := c.chatctl("--node", "alex", "send", "kate@localhost", "hi")
	if r.code != 0 {
		t.Fatalf("send in the test environment with no kate: exit %d: %s", r.code, r.stderr)
	}
	if !slices.Equal(alex.lines(), []string{"hi"}) {
		t.Fatalf("alex's sink = %q, want the message delivered locally", alex.lines())
	}

	sophie := c.start("sophie", withArgs("--env", "test"))
	r = c.chatctl("--node", "sophie", "send", "moebi", "hi")
	if want := "sent to moebi@localhost (id "; r.code != 0 || !strings.HasPrefix(r.stdout, want) ||
		!strings.HasSuffix(r.stdout, "): ran here on sophie@localhost, not on moebi@localhost ("+why+")\n") {
		t.Fatalf("chatctl --node sophie send moebi hi with --env test: exit %d, stdout %q, stderr %q; want that it ran here and why", r.code, r.stdout, r.stderr)
	}
	var sent wire.SendResponse
	r = c.chatctl("--node", "sophie", "--json", "send", "moebi", "hi again")
	if err := json.Unmarshal([]byte(r.stdout), &sent); err != nil || sent.To != "moebi@localhost" || sent.RanOn != "sophie@localhost" || sent.Local != why {
		t.Fatalf("send --json: %q (%v); want ran_on sophie@localhost and local %q", r.stdout, err, why)
	}
	r = c.chatctl("--node", "sophie", "call", "moebi", "echo", "a", "b")
	if r.code != 0 || r.stdout != "a b\n" || r.stderr != "chatctl: echo: ran here on sophie@localhost, not on moebi@localhost ("+why+")\n" {
		t.Fatalf("call moebi echo a b with --env test: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	var called wire.CallResponse
	r = c.chatctl("--node", "sophie", "--json", "call", "moebi", "echo", "a")
	if err := json.Unmarshal([]byte(r.stdout), &called); err != nil || called.Node != "moebi@localhost" || called.RanOn != "sophie@localhost" || called.Local != why {
		t.Fatalf("call --json: %q (%v); want ran_on sophie@localhost and local %q", r.stdout, err, why)
	}
	if !slices.Equal(sophie.lines(), []string{"hi", "hi again"}) {
		t.Fatalf("sophie's sink = %q, want both messages delivered locally", sophie.lines())
	}
	for _, n := range []*node{alex, sophie} {
		if l := n.links(); len(l) != 0 {
			t.Fatalf("%s made a link in the test environment: %v", n.name, l)
		}
	}

	// A node in the dev environment sends for real, and says where it ran.
	c.start("kate")
	sent.Local = ""
	r = c.chatctl("--node", "kate", "--json", "send", "sophie", "hi sophie")
	if err := json.Unmarshal([]byte(r.stdout), &sent); err != nil || sent.RanOn != "sophie@localhost" || sent.Local != "" {
		t.Fatalf("kate's send --json to sophie: %q (%v); want ran_on sophie@localhost, no local", r.stdout, err)
	}
	if r = c.chatctl("--node", "kate", "send", "sophie", "hi"); r.code != 0 || strings.Contains(r.stdout, "ran here") {
		t.Fatalf("kate's send to sophie: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestKillDuringSends: every send either succeeded and is in kate's sink,
// or failed with no connection; none hangs.
func TestKillDuringSends(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex")
	kate := c.start("kate")
	if r := c.chatctl("--node", "alex", "ping", "kate"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	const n = 200
	type outcome struct {
		text string
		err  error
		took time.Duration
	}
	results := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			text := fmt.Sprintf("in-flight-%03d", i)
			start := time.Now()
			_, err := alex.client.Send(apiCtx(t), "kate@localhost", text)
			results[i] = outcome{text, err, time.Since(start)}
		})
	}
	waitFor(t, 10*time.Second, "some sends to land", func() bool { return len(kate.lines()) >= 20 })
	kate.kill()
	wg.Wait()
	delivered := make(map[string]int)
	for _, l := range kate.lines() {
		delivered[l]++
	}
	var ok, failed int
	for _, r := range results {
		if r.took > 6*time.Second {
			t.Errorf("send %s took %s, past the 5s await timeout", r.text, r.took)
		}
		switch {
		case r.err == nil:
			ok++
			if delivered[r.text] != 1 {
				t.Errorf("send %s succeeded but kate's sink has it %d times", r.text, delivered[r.text])
			}
		case wire.CodeOf(r.err) == wire.CodeNoConnection && strings.Contains(r.err.Error(), "no connection to kate@localhost"):
			failed++
		default:
			t.Errorf("send %s failed with %v, want no connection", r.text, r.err)
		}
	}
	for text, k := range delivered {
		if k > 1 {
			t.Errorf("%s delivered %d times", text, k)
		}
	}
	t.Logf("%d sends succeeded (all in kate's sink), %d failed with no connection", ok, failed)
}

func TestManySendsLeaveNoResidue(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex", plain())
	kate := c.start("kate", plain())
	send := func(i int) {
		if _, err := alex.client.Send(apiCtx(t), "kate@localhost", fmt.Sprintf("m%d", i)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	for i := range 200 { // warm up: the link, the calls stream, buffers
		send(i)
	}
	before := kate.status()
	start := time.Now()
	const n = 10000
	for i := range n {
		send(i)
	}
	took := time.Since(start)
	var after wire.StatusResponse
	waitFor(t, 10*time.Second, "kate's goroutines to settle", func() bool {
		after = kate.status()
		return after.Goroutines <= before.Goroutines+2
	})
	t.Logf("%d sends in %s; kate: goroutines %d -> %d, heap %.1f -> %.1f MB, RSS %.1f -> %.1f MB",
		n, took, before.Goroutines, after.Goroutines,
		float64(before.HeapBytes)/1e6, float64(after.HeapBytes)/1e6, float64(before.RSSBytes)/1e6, float64(after.RSSBytes)/1e6)
	if after.RSSBytes > before.RSSBytes+32<<20 {
		t.Errorf("kate's RSS grew by %.1f MB over %d sends", float64(after.RSSBytes-before.RSSBytes)/1e6, n)
	}
	if got := len(kate.lines()); got != n+200 {
		t.Errorf("kate's sink has %d lines, want %d", got, n+200)
	}
}
