package link

import (
	"bytes"
	"net"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

// recordingConn keeps a copy of everything written through it.
type recordingConn struct {
	net.Conn
	sent bytes.Buffer
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.sent.Write(p)
	return c.Conn.Write(p)
}

// TestReplayedHandshakeRefused records the connector's bytes of a
// successful handshake and replays them on a new connection: the acceptor's
// fresh challenge makes the replayed proof fail, so the replay gets a
// cookie-mismatch refusal and no link.
func TestReplayedHandshakeRefused(t *testing.T) {
	r := newResolver()
	kate := startNode(t, r, "kate@localhost", "the shared cookie, 20+ bytes", time.Second)
	alex := identity{self: testkit.Name(t, "alex@localhost"), incarnation: 7, cookie: []byte("the shared cookie, 20+ bytes")}

	conn, err := net.Dial("tcp", kate.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingConn{Conn: conn}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := connect(rec, alex, kate.name); err != nil {
		t.Fatalf("genuine handshake: %v", err)
	}
	testkit.WaitFor(t, 5*time.Second, "the genuine link to come up", func() bool { return len(kate.mgr.Links()) == 1 })
	_ = conn.Close()
	recorded := rec.sent.Bytes()
	testkit.WaitFor(t, 5*time.Second, "the genuine link to go away", func() bool { return len(kate.mgr.Links()) == 0 })

	replay, err := net.Dial("tcp", kate.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer replay.Close()
	_ = replay.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := replay.Write(recorded); err != nil {
		t.Fatalf("replay: %v", err)
	}
	// Welcome (with a new challenge), then the refusal of the stale proof.
	var got []wire.HandshakeMsg
	for {
		msg, _, err := wire.ReadHandshake(replay)
		if err != nil {
			break
		}
		got = append(got, msg)
	}
	if len(got) != 2 {
		t.Fatalf("replay got %d messages %v, want Welcome then Refuse", len(got), got)
	}
	ref, ok := got[1].(wire.Refuse)
	if !ok || ref.Reason != wire.RefuseCookie {
		t.Fatalf("replay's answer = %#v, want Refuse{cookie mismatch}", got[1])
	}
	if n := len(kate.mgr.Links()); n != 0 {
		t.Fatalf("kate has %d links after the replay", n)
	}
	t.Logf("replayed %d recorded bytes: refused with %q, 0 links", len(recorded), ref.Reason)
}

// TestRefusedStrangersLeaveNoState: handshakes refused for the wrong cookie,
// each claiming another name, leave nothing in the manager's peer table,
// and neither does a link that went down.
func TestRefusedStrangersLeaveNoState(t *testing.T) {
	r := newResolver()
	kate := startNode(t, r, "kate@localhost", "the shared cookie, 20+ bytes", time.Second)
	for i := range 5 {
		conn, err := net.Dial("tcp", kate.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		stranger := identity{self: testkit.Name(t, "eve"+string(rune('a'+i))+"@localhost"), incarnation: 1, cookie: []byte("a wrong cookie of 20+ bytes")}
		if _, err := connect(conn, stranger, kate.name); err == nil {
			t.Fatal("a wrong cookie was accepted")
		}
		_ = conn.Close()
	}
	alex := startNode(t, r, "alex@localhost", "the shared cookie, 20+ bytes", time.Second)
	if _, err := alex.link(testkit.Ctx(t, 5*time.Second), kate.name); err != nil {
		t.Fatal(err)
	}
	alex.mgr.Disconnect(kate.name, "disconnected by the test")
	testkit.WaitFor(t, 5*time.Second, "kate's and alex's peer tables to empty", func() bool {
		return kate.mgr.peers.Nodes() == 0 && alex.mgr.peers.Nodes() == 0
	})
}
