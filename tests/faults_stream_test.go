//go:build faults

package tests

import (
	"slices"
	"strings"
	"testing"
	"time"

	"chatd/wire"
)

// TestFaultStalledStream: a peer sends calls on one stream and never reads
// their results. Once the stream's window is full, kate's result writes
// block; each write is bounded by the link's write timeout (tick/2), after
// which kate gives the stream up and cancels its tasks. Meanwhile other
// streams on the same link and kate's other links keep working, and the
// link itself stays up.
func TestFaultStalledStream(t *testing.T) {
	c := newCluster(t)
	cfg := "[link]\ntick = \"4s\"\n"
	kate := c.start("kate", c.withConfig("kate", cfg))
	c.start("alex", c.withConfig("alex", cfg))
	if r := c.chatctl("--node", "alex", "ping", "kate@localhost"); r.code != 0 {
		t.Fatalf("alex ping kate: exit %d: %s", r.code, r.stderr)
	}
	p := rpConnect(t, kate, "stall", rpYamuxConfig(), nil)
	if _, err := p.ping(5 * time.Second); err != nil {
		t.Fatalf("ping from the raw peer: %v", err)
	}
	base := kate.status().Goroutines // both links up, nothing in flight

	s, err := p.sess.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// 64 echo calls of 32 KiB each: 2 MiB of results against a 256 KiB
	// stream window that the test never reads from.
	arg := strings.Repeat("x", 32<<10)
	b := wire.AppendFrame(nil, wire.FrameOpen, wire.OpenPayload(wire.KindCalls))
	for i := range 64 {
		b = wire.AppendFrameWith(b, wire.FrameCall, func(p []byte) []byte {
			return wire.AppendCall(p, wire.Call{ID: uint64(i + 1), Timeout: 30 * time.Second, Function: "echo", Args: []string{arg}})
		})
	}
	_ = s.SetWriteDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if _, err := s.Write(b); err != nil {
		t.Fatalf("send the calls: %v", err)
	}

	// While kate's writes on that stream are blocked: the same link and
	// another link answer.
	var sameLink, otherLink time.Duration
	samples := 0
	gaveUp := waitFor(t, 10*time.Second, "kate to give the stalled stream up", func() bool {
		rtt, err := p.ping(2 * time.Second)
		if err != nil {
			t.Fatalf("ping on another stream of the stalled link: %v", err)
		}
		r := c.chatctl("--node", "alex", "ping", "kate@localhost")
		if r.code != 0 {
			t.Fatalf("alex ping kate during the stall: exit %d: %s", r.code, r.stderr)
		}
		sameLink, otherLink, samples = max(sameLink, rtt), max(otherLink, r.took), samples+1
		return strings.Contains(kate.stderr.String(), "stream given up")
	})
	figure(t, "64 calls of 32 KiB whose results were never read: kate gave the stream up %s after they were sent (write timeout = tick/2 = 2s)", gaveUp.Round(time.Millisecond))
	figure(t, "during the stall, %d samples: ping on another stream of the same link max %s, alex's ping of kate max %s", samples, sameLink.Round(time.Microsecond), otherLink.Round(time.Millisecond))
	if gaveUp > 8*time.Second {
		t.Errorf("gave the stream up after %s, want about the 2 s write timeout", gaveUp)
	}
	if l := kate.links(); !containsAll(l, "alex@localhost", "stall@localhost") {
		t.Fatalf("kate's links after giving the stream up: %v, want alex and stall still linked", l)
	}
	left, after := settleGoroutines(t, kate, base, 10*time.Second)
	figure(t, "links kept: %v; goroutines %d before the calls, %d after (back within %s); %s since the calls",
		kate.links(), base, left, after.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
