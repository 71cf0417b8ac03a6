package tests

import (
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"chatd/internal/testkit"
)

// TestCLIFirstHour runs what a newcomer types (issue 14) against real
// nodes and checks what chatctl prints and its exit status.
func TestCLIFirstHour(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex")

	// Only alex runs.
	r := c.chatctl("status", "--json")
	var st struct{ Node string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil || st.Node != "alex@localhost" {
		t.Errorf("status --json = %+v, want alex's status as JSON", r)
	}
	r = c.chatctl("send", "alex", "hi")
	if r.code != 2 || !strings.Contains(r.stderr, "alex is the only running chatd node, and it is the command's target") {
		t.Errorf("send alex hi with only alex = %+v, want exit 2 saying why", r)
	}

	kate := c.start("kate")
	r = c.chatctl("--node", "alex", "send", "kate", "hi", "--json")
	if r.code != 2 || !strings.Contains(r.stderr, `"--json" is a flag of chatctl, but it is in the TEXT`) ||
		!strings.Contains(r.stderr, "chatctl --node alex send kate -- hi --json") || r.stdout != "" {
		t.Errorf("send kate hi --json = %+v, want exit 2 and the -- hint", r)
	}
	r = c.chatctl("--node", "alex", "send", "kate", "--", "hi", "--json")
	if r.code != 0 {
		t.Fatalf("send kate -- hi --json = %+v", r)
	}
	if got := kate.messages(); len(got) != 1 || got[0].Text != "hi --json" {
		t.Errorf("kate received %+v, want the one message %q", got, "hi --json")
	}
	if r = c.chatctl("functions"); r.code != 0 || !strings.Contains(r.stdout, "receive_message") {
		t.Errorf("functions with alex and kate = %+v, want the table", r)
	}
	r = c.chatctl("--node", "alex", "spawn", "--json", "--detach", "kate", "reply", "x")
	if r.code != 0 || !strings.Contains(r.stdout, `"pid": "<kate@localhost.`) {
		t.Errorf("spawn --detach --json = %+v, want the pid unescaped", r)
	}
	r = c.chatctl("--node", "alex", "send", "--json", "moebi", "hi")
	if r.code != 1 || !strings.HasPrefix(r.stdout, `{"error":"no connection to moebi@localhost: `) ||
		!strings.HasSuffix(r.stdout, `","code":"no_connection"}`+"\n") {
		t.Errorf("send moebi --json = %+v, want exit 1 and the API's error object", r)
	}
	r = c.chatctl("--node", "alx", "status")
	if r.code != 3 || !strings.Contains(r.stderr, "running: alex, kate; did you mean alex?") {
		t.Errorf("--node alx status = %+v, want exit 3 naming the running nodes", r)
	}
	if r = c.chatctl("sned"); r.code != 2 || !strings.Contains(r.stderr, "did you mean send?") {
		t.Errorf("sned = %+v, want exit 2 and did you mean send?", r)
	}
	r = c.chatctl("--node", "alex@otherhost", "status")
	if r.code != 2 || !strings.Contains(r.stderr, "the local node alex is alex@localhost") {
		t.Errorf("--node alex@otherhost = %+v, want exit 2 and the reason", r)
	}
	r = c.chatctl("--node", "alex", "--timeout", "1x", "status")
	if r.code != 2 || !strings.Contains(r.stderr, `--timeout "1x": not a duration (a number and a unit: 500ms, 2s, 1m)`) {
		t.Errorf("--timeout 1x = %+v, want exit 2 in the user's terms", r)
	}
	r = c.chatctl("--node", "alex", "--timeout", "1s", "call", "kate", "sleep", "3s")
	want := "chatctl: call: timed out after 1s with no answer from alex (chatctl --timeout 1s)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("--timeout 1s call kate sleep 3s = %+v, want exit 1 and %q", r, want)
	}
	r = c.chatctl("version")
	if r.code != 0 || !strings.Contains(r.stdout, "Node alex@localhost:") || !strings.Contains(r.stdout, "Node kate@localhost:") {
		t.Errorf("version = %+v, want the client's and both nodes' versions", r)
	}
	_ = alex
}

// TestCLIFollowSurvivesRestart checks that messages --follow outlives a
// restart of its node, like tail -F, and says when it reconnects.
func TestCLIFollowSurvivesRestart(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex")
	c.start("kate")
	if r := c.chatctl("--node", "kate", "send", "alex", "one"); r.code != 0 {
		t.Fatalf("send one: %+v", r)
	}
	cmd := exec.Command(built.chatctl, "--node", "alex", "messages", "--follow", "-n", "1")
	cmd.Env = c.baseEnv()
	var stdout, stderr testkit.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		<-exited
	})
	waitFor(t, 10*time.Second, "the follow to print one", func() bool { return strings.Contains(stdout.String(), "one") })

	if err := alex.stop(syscall.SIGTERM, 10*time.Second); err != nil {
		t.Fatalf("stop alex: %v", err)
	}
	waitFor(t, 10*time.Second, "the follow to say it lost alex", func() bool {
		return strings.Contains(stderr.String(), "chatctl: messages --follow: lost alex (")
	})
	c.start("alex")
	if r := c.chatctl("--node", "kate", "send", "alex", "two"); r.code != 0 {
		t.Fatalf("send two: %+v", r)
	}
	waitFor(t, 10*time.Second, "the follow to print two", func() bool { return strings.Contains(stdout.String(), "two") })
	if !strings.Contains(stderr.String(), "chatctl: messages --follow: reconnected to alex@localhost (running since ") {
		t.Errorf("stderr %q does not say it reconnected", stderr.String())
	}
	if n := strings.Count(stdout.String(), ": one\n"); n != 1 {
		t.Errorf("stdout %q has one %d times, want once", stdout.String(), n)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := <-exited; err != nil {
		t.Errorf("the follow ended with %v after SIGINT, want exit 0", err)
	}
	exited <- nil // for the cleanup
}
