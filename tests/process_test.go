package tests

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"chatd/wire"
)

// pidOf returns the single line of a chatctl output that is a pid.
func pidLine(t *testing.T, out, node string) string {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, "<"+node+".") && strings.HasSuffix(l, ">") {
			return l
		}
	}
	t.Fatalf("no pid of %s in %q", node, out)
	return ""
}

func TestSpawnOutputGoesToCaller(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	kate := c.start("kate")
	r := c.chatctl("--node", "alex", "spawn", "kate@localhost", "say_name")
	if r.code != 0 || !strings.Contains(r.stdout, "Hi, my name is kate\n") {
		t.Fatalf("spawn say_name: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	pid := pidLine(t, r.stdout, "kate@localhost")
	if strings.Contains(kate.stdout.String()+kate.stderr.String(), "Hi, my name is") {
		t.Fatalf("kate printed the line herself:\n%s%s", kate.stdout.String(), kate.stderr.String())
	}
	t.Logf("spawned %s on kate; its output came to alex", pid)
}

// flushUntil runs chatctl flush on node until what the runs printed,
// together, contains want (at most 5 s, described by what), and returns
// that.
func (c *cluster) flushUntil(node, want, what string) string {
	c.t.Helper()
	var got string
	waitFor(c.t, 5*time.Second, what, func() bool {
		got += c.chatctl("--node", node, "flush").stdout
		return strings.Contains(got, want)
	})
	return got
}

func TestSpawnReplyAndFlush(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	c.start("kate")
	r := c.chatctl("--node", "alex", "spawn", "--detach", "kate@localhost", "reply", "sup?")
	if r.code != 0 {
		t.Fatalf("spawn --detach: exit %d: %s", r.code, r.stderr)
	}
	pid := strings.TrimSpace(r.stdout)
	if pidLine(t, r.stdout, "kate@localhost") != pid {
		t.Fatalf("spawn --detach printed %q, want only the pid", r.stdout)
	}
	if r := c.chatctl("--node", "alex", "send", pid, "hi"); r.code != 0 {
		t.Fatalf("send to %s: exit %d: %s", pid, r.code, r.stderr)
	}
	// reply answers asynchronously: flush until its message is there.
	got := c.flushUntil("alex", "sup?", "the reply in alex's shell mailbox")
	if strings.TrimSpace(got) != pid+" sup?" {
		t.Fatalf("flush printed %q, want %q", got, pid+" sup?")
	}
	if r := c.chatctl("--node", "alex", "flush"); r.code != 0 || r.stdout != "" {
		t.Fatalf("second flush: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestExitNoticeWhenNodeDies(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	kate := c.start("kate")
	r := c.chatctl("--node", "alex", "spawn", "--detach", "kate@localhost", "reply", "sup?")
	pid := pidLine(t, r.stdout, "kate@localhost")
	kate.kill()
	got := c.flushUntil("alex", "EXIT", "an exit notice in alex's shell")
	if want := pid + " EXIT noconnection"; strings.TrimSpace(got) != want {
		t.Fatalf("flush printed %q, want %q", got, want)
	}
}

func TestCallerGoneKillsProcess(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex")
	kate := c.start("kate")
	r := c.chatctl("--node", "alex", "spawn", "--detach", "kate@localhost", "reply", "sup?")
	pid := pidLine(t, r.stdout, "kate@localhost")
	alive := func() bool {
		resp, err := kate.client.Processes(apiCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(resp.Processes, func(p wire.ProcessInfo) bool { return p.Pid == pid })
	}
	if !alive() {
		t.Fatalf("%s is not listed on kate", pid)
	}
	alex.kill()
	waitFor(t, 5*time.Second, "kate to kill the process whose caller went away", func() bool { return !alive() })
}

func TestPidsOfARestartedNode(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	kate := c.start("kate")
	old := pidLine(t, c.chatctl("--node", "alex", "spawn", "--detach", "kate@localhost", "reply", "x").stdout, "kate@localhost")
	_ = kate.stop(9, 5*time.Second)
	c.start("kate")
	fresh := pidLine(t, c.chatctl("--node", "alex", "spawn", "--detach", "kate@localhost", "reply", "x").stdout, "kate@localhost")
	if old == fresh {
		t.Fatalf("the restarted kate reissued pid %s", old)
	}
	r := c.chatctl("--node", "alex", "send", old, "hi")
	if r.code != 1 || !strings.Contains(r.stderr, "no such process") {
		t.Fatalf("send to the old pid %s: exit %d, stderr %q", old, r.code, r.stderr)
	}
	t.Logf("before restart %s, after %s; sending to the old one: %s", old, fresh, strings.TrimSpace(r.stderr))
}

// TestMailboxBound floods kate's shell, whose mailbox only flush empties,
// from alex: past processes.mailbox every send is refused, visibly.
func TestMailboxBound(t *testing.T) {
	c := newCluster(t)
	cfg := c.withConfig("chatd", "[processes]\nmailbox = 50\n")
	alex := c.start("alex", cfg)
	kate := c.start("kate", cfg)
	flushed, err := kate.client.Flush(apiCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var sent, refused int
	var lastErr error
	for i := range 80 {
		if _, err := alex.client.Send(apiCtx(t), flushed.Shell, fmt.Sprintf("flood %d", i)); err != nil {
			refused++
			lastErr = err
			continue
		}
		sent++
	}
	if sent != 50 || refused != 30 || wire.CodeOf(lastErr) != wire.CodeMailboxFull {
		t.Fatalf("sent %d, refused %d (last error %v); want 50 and 30 with mailbox_full", sent, refused, lastErr)
	}
	t.Logf("mailbox bound 50: %d accepted, %d refused: %v", sent, refused, lastErr)
}

func TestMalformedPids(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	for _, pid := range []string{"<kate>", "<x@y.a.b>", "<" + strings.Repeat("k", 500) + "@localhost.1.2>"} {
		r := c.chatctl("--node", "alex", "send", pid, "hi")
		if r.code != 2 || !strings.Contains(r.stderr, "<name@host.ID.CREATION>") {
			t.Errorf("send to %.30q: exit %d, stderr %q; want 2 and the accepted format", pid, r.code, r.stderr)
		}
	}
}
