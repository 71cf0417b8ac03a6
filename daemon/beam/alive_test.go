package beam

import (
	"io"
	"net"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/dist"
)

// reconnectAsKate is a second connection claiming kate's name, told alive
// and answering true (as a restarted kate does), that then answers the
// challenge with cookie's digest.
func reconnectAsKate(t *testing.T, n *node, cookie string) net.Conn {
	t.Helper()
	nc := dialRaw(t, n)
	flags := dist.OTP25Published &^ (dist.FlagDistHdrAtomCache | dist.FlagFragments)
	if err := dist.WriteHandshake(nc, dist.SendName{Flags: flags, Creation: 0x6b103005, Name: "kate@localhost"}); err != nil {
		t.Fatal(err)
	}
	if st, err := dist.ReadStatus(nc); err != nil || st != dist.StatusAlive {
		t.Fatalf("status to a second kate = %q, %v; want alive", st, err)
	}
	if err := dist.WriteHandshake(nc, dist.StatusTrue); err != nil {
		t.Fatal(err)
	}
	ch, err := dist.ReadChallenge(nc)
	if err != nil {
		t.Fatalf("read the challenge after alive: %v", err)
	}
	if err := dist.WriteHandshake(nc, dist.ChallengeReply{Challenge: dist.NewChallenge(), Digest: dist.Digest(cookie, ch.Challenge)}); err != nil {
		t.Fatal(err)
	}
	return nc
}

// TestAliveReplacesOnlyAfterTheCookie: a connection claiming the name of
// a connected node and answering true to alive replaces the old
// connection only once its digest verified, as OTP's dist_util continues
// the handshake to verify the cookie before it waits for the old
// connection to die: a peer without the cookie cannot disconnect anyone.
func TestAliveReplacesOnlyAfterTheCookie(t *testing.T) {
	n := startNode(t)
	mustConnect(t, n)
	testkit.WaitFor(t, testkit.Wait, "kate's connection", func() bool { return n.m.live(kate) != nil })
	old := n.m.live(kate)

	nc := reconnectAsKate(t, n, "not the cookie")
	if _, err := io.ReadAll(nc); err != nil {
		t.Fatalf("after a wrong digest: %v, want the connection closed", err)
	}
	if old.isDown() || n.m.live(kate) != old {
		t.Fatalf("a peer without the cookie took kate's connection down (%s)", old.downReason())
	}

	reconnectAsKate(t, n, testCookie)
	testkit.WaitFor(t, testkit.Wait, "the new connection to replace the old", func() bool {
		c := n.m.live(kate)
		return old.isDown() && c != nil && c != old
	})
}
