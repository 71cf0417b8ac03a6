//go:build faults

package tests

import (
	"encoding/binary"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// mapperProbe sends one raw EPMD request from inside ns to addr:port with
// bash's /dev/tcp and returns every byte the mapper answered before it
// closed the connection (at most 3 s).
func mapperProbe(t *testing.T, w *netWorld, ns, addr string, port int, req []byte) []byte {
	t.Helper()
	var esc strings.Builder
	for _, b := range req {
		fmt.Fprintf(&esc, `\x%02x`, b)
	}
	script := fmt.Sprintf(`exec 3<>/dev/tcp/%s/%d && printf '%s' >&3 && timeout 3 cat <&3`, addr, port, esc.String())
	out, err := exec.Command(w.ipBin, "netns", "exec", ns, "bash", "-c", script).Output()
	if err != nil && len(out) == 0 {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 124 {
			t.Fatalf("the mapper held the connection open for 3 s after %x", req)
		}
	}
	return out
}

// epmdPacket frames an EPMD request: [Len:2][body].
func epmdPacket(body ...[]byte) []byte {
	var b []byte
	for _, p := range body {
		b = append(b, p...)
	}
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)
}

// TestFaultMapperRemote: an embedded mapper configured to listen on every
// address answers a remote host's PORT_PLEASE2 and nothing else (NAMES,
// ALIVE2, STOP and KILL get the connection closed unanswered), as real epmd
// does; the same requests from the mapper's own host are answered.
func TestFaultMapperRemote(t *testing.T) {
	w := newNetWorld(t)
	a, b := w.addHost("kate"), w.addHost("remote")
	c := newCluster(t)
	kate := c.startIn(a, "kate", 15*time.Second)

	alive2 := epmdPacket([]byte{120, 0x1f, 0x90, 77, 0, 0, 6, 0, 5, 0, 4}, []byte("evil"), []byte{0, 0})
	requests := []struct {
		name string
		req  []byte
	}{
		{"NAMES", epmdPacket([]byte{110})},
		{"ALIVE2 (register evil)", alive2},
		{"STOP kate", epmdPacket([]byte{115}, []byte("kate"))},
		{"KILL", epmdPacket([]byte{107})},
	}
	port := c.mapperPort
	for _, r := range requests {
		start := time.Now()
		if out := mapperProbe(t, w, b.ns, a.ip, port, r.req); len(out) != 0 {
			t.Errorf("remote %s was answered: %q", r.name, out)
			continue
		}
		figure(t, "remote %s: closed unanswered after %s", r.name, time.Since(start).Round(time.Millisecond))
	}
	pp := mapperProbe(t, w, b.ns, a.ip, port, epmdPacket([]byte{122}, []byte("kate")))
	if len(pp) < 4 || pp[0] != 119 || pp[1] != 0 {
		t.Fatalf("remote PORT_PLEASE2 kate: answer %x, want PORT2_RESP result 0", pp)
	}
	figure(t, "remote PORT_PLEASE2 kate: answered, port %d", binary.BigEndian.Uint16(pp[2:4]))

	local := mapperProbe(t, w, a.ns, "127.0.0.1", port, epmdPacket([]byte{110}))
	if !strings.Contains(string(local), "name kate at port") {
		t.Fatalf("local NAMES: %q, want kate listed", local)
	}
	figure(t, "local NAMES from the mapper's own host: answered (%d bytes)", len(local))
	if _, err := kate.client.Status(apiCtx(t)); err != nil {
		t.Fatalf("kate stopped answering: %v", err)
	}
	// The registration attempt from the remote host left no trace.
	if again := mapperProbe(t, w, a.ns, "127.0.0.1", port, epmdPacket([]byte{110})); strings.Contains(string(again), "evil") {
		t.Fatalf("the remote ALIVE2 registered evil: %q", again)
	}
}
