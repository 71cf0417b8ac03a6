//go:build faults

// Hostile and failing BEAM peers: garbage and slowloris on the Erlang
// distribution handshake, a BEAM node killed during chatd's call to it,
// and chatd killed during an Elixir call to it (issue 11).

package tests

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"chatd/wire/dist"
)

// erlangHello is the send_name an OTP 25 node called name opens with.
func erlangHello(t *testing.T, name string) []byte {
	t.Helper()
	return erlangSendName(t, name, dist.PublishedFlags)
}

// erlangSendName is a send_name from name with flags.
func erlangSendName(t *testing.T, name string, flags dist.Flags) []byte {
	t.Helper()
	b, err := dist.AppendHandshake(nil, dist.SendName{Flags: flags, Creation: 0x5eed, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randomBytes is n bytes from crypto/rand.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// erlangAttempt is one hostile handshake on a fresh connection: it plays
// its part on conn and returns what went wrong for it (nil when chatd
// refused as it should).
type erlangAttempt struct {
	name string
	play func(t *testing.T, conn net.Conn) error
}

// sendThen writes b, then expects the node to close the connection.
func sendThen(b []byte) func(*testing.T, net.Conn) error {
	return func(_ *testing.T, conn net.Conn) error {
		if _, err := conn.Write(b); err != nil {
			return err
		}
		return nil
	}
}

// asName sends the send_name of name and reads the status; want is the
// status chatd must answer.
func asName(t *testing.T, conn net.Conn, name string, want dist.Status) error {
	t.Helper()
	if _, err := conn.Write(erlangHello(t, name)); err != nil {
		return err
	}
	st, err := dist.ReadStatus(conn)
	if err != nil {
		return fmt.Errorf("read the status: %w", err)
	}
	if st != want {
		return fmt.Errorf("status %q, want %q", st, want)
	}
	return nil
}

// erlangAttempts are the hostile handshakes of TestFaultErlangGarbage.
func erlangAttempts(t *testing.T) []erlangAttempt {
	return []erlangAttempt{
		{"send_name too short", sendThen([]byte{0, 8, 'N', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
		{"send_name of random bytes", sendThen(append([]byte{0, 64, 'N'}, randomBytes(64)...))},
		{"send_name claiming 500 bytes, sending 40", sendThen(append([]byte{1, 0xf4, 'N'}, randomBytes(40)...))},
		{"version 5", sendThen(append([]byte{0, 20, 'n', 0, 5}, randomBytes(18)...))},
		{"no mandatory flags", sendThen(erlangSendName(t, "eve@localhost", 0))},
		{"this node's own name", func(t *testing.T, conn net.Conn) error {
			return asName(t, conn, "alex@localhost", dist.StatusNotAllowed)
		}},
		{"garbage challenge reply", func(t *testing.T, conn net.Conn) error {
			if err := asName(t, conn, "eve@localhost", dist.StatusOK); err != nil {
				return err
			}
			if _, err := dist.ReadChallenge(conn); err != nil {
				return fmt.Errorf("read the challenge: %w", err)
			}
			_, err := conn.Write(append([]byte{0, 21, 'r'}, randomBytes(30)...))
			return err
		}},
		{"kate's name, garbage after alive", func(t *testing.T, conn net.Conn) error {
			if err := asName(t, conn, "kate@localhost", dist.StatusAlive); err != nil {
				return err
			}
			_, err := conn.Write([]byte{0, 4, 's', 0xde, 0xad, 0xbe})
			return err
		}},
		{"kate's name, true after alive, no cookie", func(t *testing.T, conn net.Conn) error {
			if err := asName(t, conn, "kate@localhost", dist.StatusAlive); err != nil {
				return err
			}
			if err := dist.WriteHandshake(conn, dist.StatusTrue); err != nil {
				return err
			}
			if _, err := dist.ReadChallenge(conn); err != nil {
				return fmt.Errorf("read the challenge: %w", err)
			}
			return dist.WriteHandshake(conn, dist.ChallengeReply{Challenge: 1})
		}},
	}
}

// TestFaultErlangGarbage: malformed and hostile distribution handshakes
// on chatd's registered port. Each is refused and its connection closed
// within the handshake timeout, with a log line naming its address; a
// stranger using kate's name does not take kate's connection down; kate's
// link and a chatd link keep working, and the node keeps serving.
func TestFaultErlangGarbage(t *testing.T) {
	const timeout = 2 * time.Second
	c := erlangCluster(t)
	alex := c.start("alex", c.withConfig("alex", fmt.Sprintf("[link]\nhandshake_timeout = %q\n", timeout.String())))
	c.start("bob")
	kate := c.iex("kate")
	for _, to := range []string{"kate@localhost", "bob@localhost"} {
		if r := c.chatctl("--node", "alex", "ping", to); r.code != 0 {
			t.Fatalf("ping %s: exit %d, stderr %q", to, r.code, r.stderr)
		}
	}
	addr := rpPeerAddr(t, alex)
	before := len(alex.stderr.String())

	for _, a := range erlangAttempts(t) {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: dial %s: %v", a.name, addr, err)
		}
		start := time.Now()
		_ = conn.SetDeadline(start.Add(timeout + 5*time.Second))
		if err := a.play(t, conn); err != nil {
			t.Errorf("%s: %v", a.name, err)
		}
		_, err = io.Copy(io.Discard, conn)
		took := time.Since(start)
		_ = conn.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || took > timeout+time.Second {
			t.Errorf("%s: the connection stayed open %s (handshake timeout %s)", a.name, took.Round(time.Millisecond), timeout)
		}
		line := alex.logged(timeout+time.Second, "refused an Erlang node", "peer_addr="+conn.LocalAddr().String())
		figure(t, "%s: closed after %s; alex logged: %s", a.name, took.Round(time.Millisecond), line)
	}

	if strings.Contains(alex.stderr.String()[before:], "node down") {
		t.Errorf("a link went down during the attempts:\n%s", alex.stderr.String()[before:])
	}
	if l := alex.links(); !slices.Equal(l, []string{"bob@localhost", "kate@localhost"}) {
		t.Errorf("alex's links after the attempts = %v, want bob and kate", l)
	}
	kate.expect("Node.list(:hidden)", "[:alex@localhost]")
	m := kate.mark()
	if r := c.chatctl("--node", "alex", "send", "kate@localhost", "still here"); r.code != 0 {
		t.Fatalf("send to kate after the attempts: exit %d, stderr %q", r.code, r.stderr)
	}
	kate.waitOutput(m, "still here\n", soon)
	kate.expect(`Chat.send_message(:alex@localhost, "me too")`, ":ok")
	if r := c.chatctl("--node", "alex", "ping", "bob@localhost"); r.code != 0 {
		t.Fatalf("ping bob after the attempts: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestFaultErlangSlowloris: 200 connections dribbling an Erlang send_name
// one byte every 200 ms against a node with a 2 s handshake timeout. Each
// is closed within the timeout (plus slack) and logged; meanwhile kate's
// iex reconnects and chats, and chatd's own link answers.
func TestFaultErlangSlowloris(t *testing.T) {
	const conns, every, timeout = 200, 200 * time.Millisecond, 2 * time.Second
	c := erlangCluster(t)
	alex := c.start("alex", c.withConfig("alex", fmt.Sprintf("[link]\nhandshake_timeout = %q\n", timeout.String())))
	c.start("bob")
	kate := c.iex("kate")
	kate.expect("Node.ping(:alex@localhost)", ":pong")
	addr := rpPeerAddr(t, alex)

	ds := dialDribblers(t, addr, conns)
	hello := erlangHello(t, "loris@localhost")
	dribbled := make(chan struct{})
	go func() {
		defer close(dribbled)
		dribble(ds, hello, every, timeout+5*time.Second)
	}()

	// While the dribblers hold their handshakes: kate connects anew and
	// chats both ways, and alex's chatd link to bob works.
	start := time.Now()
	kate.expect("Node.disconnect(:alex@localhost)", "true")
	kate.expect("Node.ping(:alex@localhost)", ":pong")
	kate.expect(`Chat.send_message(:alex@localhost, "during the flood")`, ":ok")
	m := kate.mark()
	if r := c.chatctl("--node", "alex", "send", "kate@localhost", "flooded"); r.code != 0 {
		t.Fatalf("send to kate during the flood: exit %d, stderr %q", r.code, r.stderr)
	}
	kate.waitOutput(m, "flooded\n", soon)
	if r := c.chatctl("--node", "alex", "ping", "bob@localhost"); r.code != 0 {
		t.Fatalf("ping bob during the flood: exit %d, stderr %q", r.code, r.stderr)
	}
	legit := time.Since(start)
	<-dribbled

	var took []time.Duration
	least := time.Duration(1<<63 - 1) // the shortest a dribbler lived from before its dial
	for _, d := range ds {
		if !d.isClosed() {
			t.Fatalf("a dribbling connection was still open after %s", time.Since(d.opened))
		}
		took = append(took, d.took)
		least = min(least, d.least)
	}
	slices.Sort(took)
	figure(t, "%d connections dribbling a send_name (1 byte per %s), handshake timeout %s: closed after %s (first) .. %s (median) .. %s (last); meanwhile kate relinked and both chatted in %s",
		conns, every, timeout, took[0].Round(time.Millisecond), took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond), legit.Round(time.Millisecond))
	if last := took[len(took)-1]; last > timeout+time.Second {
		t.Errorf("a dribbling connection stayed open %s, want within the handshake timeout %s", last, timeout)
	}
	// The node's clock starts at its accept, after the dial began: a
	// connection closed sooner than timeout after that was cut short.
	if least < timeout {
		t.Errorf("a slow but valid-looking handshake was closed %s after its dial began, before its timeout %s", least, timeout)
	}
	waitFor(t, 5*time.Second, "alex to log every timed-out handshake", func() bool {
		return strings.Count(alex.stderr.String(), "refused an Erlang node: handshake timed out") >= conns
	})
	if !hasMessage(alex.messages(), "kate@localhost", "during the flood") {
		t.Errorf("alex's messages lack kate's: %+v", alex.messages())
	}
}

// TestFaultErlangPeerKilled: kate's iex is killed (SIGKILL) while chatd
// waits for a call to it; chatctl's call fails with no connection at once,
// not after its 60 s timeout.
func TestFaultErlangPeerKilled(t *testing.T) {
	c := erlangCluster(t)
	alex := c.start("alex")
	kate := c.iex("kate")
	m := kate.mark()
	done := c.chatctlAsync("--node", "alex", "call", "--timeout", "60s", "kate@localhost", "Code.eval_string",
		`IO.puts(:user, "sleeping"); Process.sleep(60_000)`)
	kate.waitOutput(m, "sleeping\n", 10*time.Second)
	killed := time.Now()
	kate.kill()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("chatctl call still waits 10s after kate was killed")
	}
	after := time.Since(killed)
	if r.code != 1 || !strings.Contains(r.stderr, "no connection to kate@localhost") {
		t.Fatalf("the call to the killed kate: exit %d, stderr %q; want 1 and no connection", r.code, r.stderr)
	}
	if after > atOnce {
		t.Errorf("the call failed %s after kate was killed, want at once (under %s)", after, atOnce)
	}
	alex.logged(soon, "node down", "node=kate@localhost", "protocol=erlang")
	figure(t, "call failed %s after kate's SIGKILL: %s", after.Round(time.Millisecond), strings.TrimSpace(r.stderr))
}

// TestFaultErlangChatdKilled: chatd is killed (SIGKILL) while kate's iex
// waits for a call to it, three ways: :rpc.call gets {:badrpc,
// :nodedown}, :erpc.call raises noconnection, and the lesson's
// Task.Supervisor.async + Task.await kills the shell process with
// noconnection (it is linked to the task), as with a BEAM peer. Each
// comes at once, and kate's iex still evaluates afterwards.
func TestFaultErlangChatdKilled(t *testing.T) {
	c := erlangCluster(t)
	alex := c.start("alex") // the mapper kate registers with
	kate := c.iex("kate")
	for i, tc := range []struct {
		name, expr, want string
	}{
		{"rpc", `:rpc.call(:alex@localhost, :chatd, :sleep, ["60s"], 90_000)`, "{:badrpc, :nodedown}"},
		{"erpc", `:erpc.call(:alex@localhost, :chatd, :sleep, ["60s"], 90_000)`, "** (ErlangError) Erlang error: {:erpc, :noconnection}"},
		{"task", `Task.Supervisor.async({Chat.TaskSupervisor, :alex@localhost}, :chatd, :sleep, ["60s"]) |> Task.await(90_000)`,
			"shell process exited with reason: no connection"}, // iex words :noconnection so
	} {
		if i > 0 {
			alex = c.start("alex")
		}
		wait := kate.begin(tc.expr)
		waitFor(t, 10*time.Second, "alex to run kate's sleep", func() bool { return alex.runsTask("sleep") })
		killed := time.Now()
		alex.kill()
		got := wait(10 * time.Second)
		after := time.Since(killed)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: kate's %s printed %q after alex was killed; want %q", tc.name, tc.expr, got, tc.want)
		}
		if after > atOnce {
			t.Errorf("%s: kate's call ended %s after alex was killed, want at once (under %s)", tc.name, after, atOnce)
		}
		figure(t, "%s: kate's call ended %s after alex's SIGKILL: %s", tc.name, after.Round(time.Millisecond), strings.Join(strings.Fields(got), " "))
		kate.alive(5 * time.Second)
	}
}
