package link

import (
	"chatd/internal/peertest"
	"fmt"
	"net"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/wire"
)

func observed(r *peertest.Recorder) func(*Config) { return func(c *Config) { c.Observer = r } }

// TestObserverUpAndDown: both sides hear a good handshake and the link up;
// a peer that stops is a clean down (closed), a peer gone silent a tick
// timeout.
func TestObserverUpAndDown(t *testing.T) {
	const tick = 400 * time.Millisecond
	r := newResolver()
	var ar, kr peertest.Recorder
	alex := startNode(t, r, "alex@localhost", testkit.Cookie, tick, observed(&ar))
	kate := startNode(t, r, "kate@localhost", testkit.Cookie, tick, observed(&kr))
	if _, err := alex.link(testkit.Ctx(t, testkit.Wait), kate.name); err != nil {
		t.Fatal(err)
	}
	ar.WaitFor(t, "up chatd out kate@localhost")
	kr.WaitFor(t, "up chatd in alex@localhost")
	if got := ar.All()[0]; got != "handshake chatd out kate@localhost ok" {
		t.Errorf("alex heard first %q, want the handshake", got)
	}
	kr.WaitFor(t, "handshake chatd in alex@localhost ok")
	kate.stop()
	ar.WaitFor(t, "down chatd out kate@localhost closed")
	kr.WaitFor(t, "down chatd in alex@localhost closed")

	moebi := startNode(t, r, "moebi@localhost", testkit.Cookie, tick)
	p := startProxy(t, moebi.ln.Addr().String())
	r.set(moebi.name, p.addr())
	if _, err := alex.link(testkit.Ctx(t, testkit.Wait), moebi.name); err != nil {
		t.Fatal(err)
	}
	ar.WaitFor(t, "up chatd out moebi@localhost")
	p.freeze()
	ar.WaitFor(t, "down chatd out moebi@localhost tick_timeout")
}

// TestObserverHandshakeFailures: a cookie mismatch is heard on both sides,
// a refused port and a silent one by the dialler.
func TestObserverHandshakeFailures(t *testing.T) {
	r := newResolver()
	var ar, kr peertest.Recorder
	alex := startNode(t, r, "alex@localhost", testkit.Cookie, time.Second, observed(&ar), func(c *Config) {
		c.HandshakeTimeout = 300 * time.Millisecond
	})
	startNode(t, r, "kate@localhost", "another-cookie-987654321", time.Second, observed(&kr))
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.set(testkit.Name(t, "gone@localhost"), closed.Addr().String())
	_ = closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts (the backlog) and never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	r.set(testkit.Name(t, "mute@localhost"), silent.Addr().String())

	for _, tc := range []struct{ node, heard string }{
		{"kate@localhost", "handshake chatd out kate@localhost cookie_mismatch"},
		{"gone@localhost", "handshake chatd out gone@localhost refused"},
		{"mute@localhost", "handshake chatd out mute@localhost timed_out"},
	} {
		if _, err := alex.link(testkit.Ctx(t, testkit.Wait), testkit.Name(t, tc.node)); err == nil {
			t.Fatalf("linked to %s", tc.node)
		}
		ar.WaitFor(t, tc.heard)
	}
	kr.WaitFor(t, "handshake chatd in alex@localhost cookie_mismatch")
	for _, l := range append(ar.All(), kr.All()...) {
		if l[:2] == "up" {
			t.Errorf("heard %q", l)
		}
	}
}

func TestHandshakeResult(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		want   peer.HandshakeResult
		report bool
	}{
		{"ok", nil, peer.HandshakeOK, true},
		{"we refused a name in use", &refusedError{reason: wire.RefuseNameInUse}, peer.HandshakeRefused, true},
		{"the peer refused the cookie", refusalError(wire.Refuse{Reason: wire.RefuseCookie}), peer.HandshakeCookieMismatch, true},
		{"the peer refused our version", refusalError(wire.Refuse{Reason: wire.RefuseVersion}), peer.HandshakeRefused, true},
		{"our proof check", fmt.Errorf("%w: kate's proof did not verify", peer.ErrCookieMismatch), peer.HandshakeCookieMismatch, true},
		{"TLS", fmt.Errorf("handshake: %w: bad certificate", ErrTLS), peer.HandshakeRefused, true},
		{"timeout", fmt.Errorf("handshake with x: %w after 5s", peer.ErrTimeout), peer.HandshakeTimedOut, true},
		{"garbage", fmt.Errorf("%w: got Ready, want Hello", peer.ErrProtocol), peer.HandshakeFailed, true},
		{"a lost race, ours", &refusedError{reason: wire.RefuseDuplicate}, "", false},
		{"a lost race, theirs", refusalError(wire.Refuse{Reason: wire.RefuseDuplicate}), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, report := handshakeResult(tc.err)
			if got != tc.want || report != tc.report {
				t.Errorf("handshakeResult(%v) = %q, %v; want %q, %v", tc.err, got, report, tc.want, tc.report)
			}
		})
	}
}
