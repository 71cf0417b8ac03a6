package epmd

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

// alive2Frame is an ALIVE2_REQ as the OTP suite's alive2_req builds it:
// port 1000, NodeType 77, Protocol 0, versions version/version.
func alive2Frame(version uint16, name string, extra []byte) []byte {
	body := []byte{byte(wire.EPMDAlive2Req), 0x03, 0xe8, 77, 0}
	body = binary.BigEndian.AppendUint16(body, version)
	body = binary.BigEndian.AppendUint16(body, version)
	body = binary.BigEndian.AppendUint16(body, uint16(len(name)))
	body = append(body, name...)
	body = binary.BigEndian.AppendUint16(body, uint16(len(extra)))
	body = append(body, extra...)
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(body))), body...)
}

// emoji returns n distinct 4-byte characters from U+1F600, as the suite's
// long_unicode_name.
func emoji(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteRune(rune(0x1f600 + i))
	}
	return b.String()
}

// mapperCase is one request and the reply epmd 25.2.3 sends to it, byte
// for byte; the same table runs against the real epmd (compat_test.go).
type mapperCase struct {
	name  string
	frame []byte
	want  []byte // the reply; nil: the mapper hangs up without one
	exact bool   // read len(want) bytes: epmd keeps the connection after them
}

// mapperCases answers hold for a mapper with no node registered.
func mapperCases() []mapperCase {
	ff := func(n int) []byte { return bytes.Repeat([]byte{255}, n) }
	return []mapperCase{
		{"201 four-byte characters register", alive2Frame(5, emoji(201), nil), []byte{121, 0}, true},
		{"255 characters register", alive2Frame(5, strings.Repeat("a", 255), nil), []byte{121, 0}, true},
		{"256 characters are refused", alive2Frame(5, strings.Repeat("a", 256), nil), []byte{121, 1, 0, 99}, true},
		{"600 bytes are refused", alive2Frame(5, strings.Repeat("a", 600), nil), []byte{121, 1, 0, 99}, true},
		{"refusal to a version-6 node", alive2Frame(6, strings.Repeat("a", 600), nil), []byte{118, 1, 0, 0, 0, 99}, true},
		{"1021 bytes are refused", alive2Frame(5, emoji(255)+"a", nil), []byte{121, 1, 0, 99}, true},
		{"not UTF-8 is refused", alive2Frame(5, "a\xc3\x28", nil), []byte{121, 1, 0, 99}, true},
		{"extra of 1020 bytes registers", alive2Frame(5, "gurka", ff(1020)), []byte{121, 0}, true},
		{"extra of 1021 bytes is refused", alive2Frame(5, "gurka", ff(1021)), []byte{121, 1, 0, 99}, true},
		{"NUL in the name: hang up", alive2Frame(5, "foo\x00bar", nil), nil, false},
		{"extra beyond the packet: hang up", []byte{0, 18, 120, 0x12, 0x8b, 77, 0, 0, 5, 0, 5, 0, 5, 'g', 'u', 'r', 'k', 'a', 0, 9}, nil, false},
		{"STOP_REQ: hang up", []byte{0, 4, 's', 'f', 'o', 'o'}, nil, false},
		{"request of 3058 bytes: hang up", append([]byte{0x0b, 0xf2, 'n'}, make([]byte, 3057)...), nil, false},
		{"long unicode lookup", append([]byte{3, 0x25, 122}, emoji(201)...), []byte{119, 1}, false},
		{"256-character lookup: hang up", append([]byte{1, 1, 122}, strings.Repeat("a", 256)...), nil, false},
	}
}

// ask sends frame on a fresh connection to addr and returns the reply:
// len(want) bytes when tc.exact (epmd then keeps the connection: a
// registration, or a refused one), else all the mapper sends before it
// closes.
func ask(t *testing.T, addr string, tc mapperCase) []byte {
	t.Helper()
	conn := rawConn(t, addr)
	if _, err := conn.Write(tc.frame); err != nil {
		t.Fatal(err)
	}
	if !tc.exact {
		return readUntilClosed(t, conn)
	}
	got := make([]byte, len(tc.want))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatalf("read %d bytes: %v", len(got), err)
	}
	return got
}

// TestServerAnswersAsEPMD asks each case of a mapper of its own: a
// registration a case made ends only once the mapper has seen its
// connection close, which the next case must not wait on.
func TestServerAnswersAsEPMD(t *testing.T) {
	for _, tc := range mapperCases() {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, ServerConfig{})
			if got := ask(t, s.Addr().String(), tc); !bytes.Equal(got, tc.want) {
				t.Fatalf("reply % x; want % x", got, tc.want)
			}
		})
	}
}

// TestServerClosesAfterRefusal: epmd keeps a refused registration's
// connection open (until the client closes it, as OTP's does); the
// embedded mapper closes it, so that refused clients hold no slot.
func TestServerClosesAfterRefusal(t *testing.T) {
	s := startServer(t, ServerConfig{})
	conn := rawConn(t, s.Addr().String())
	if _, err := conn.Write(alive2Frame(5, strings.Repeat("a", 600), nil)); err != nil {
		t.Fatal(err)
	}
	if got, want := readUntilClosed(t, conn), []byte{121, 1, 0, 99}; !bytes.Equal(got, want) {
		t.Fatalf("got % x then close; want % x then close", got, want)
	}
}

func TestServerLongUnicodeNameRoundTrip(t *testing.T) {
	s := startServer(t, ServerConfig{})
	name := emoji(201)
	conn := rawConn(t, s.Addr().String())
	sendRequest(t, conn, wire.Alive2Req{Port: 4711, NodeType: 72, HighestVersion: 6, LowestVersion: 5, Name: name})
	if reply, err := wire.ReadAlive2Reply(conn); err != nil || reply.Result != 0 {
		t.Fatalf("register a name of %d bytes: %+v, %v", len(name), reply, err)
	}
	e, err := Lookup(testkit.Ctx(t, testkit.Wait), s.Addr().String(), name)
	if err != nil || e.Name != name || e.Port != 4711 {
		t.Fatalf("Lookup = %+v, %v", e, err)
	}
}

// TestServerKillReqNeverStops: epmd answers KILL_REQ with NO while nodes
// are registered and with OK, then exits, when none is (TestCompatKillReq);
// the embedded mapper, which lives as long as its node, sends the same
// bytes and goes on serving.
func TestServerKillReqNeverStops(t *testing.T) {
	s := startServer(t, ServerConfig{})
	addr := s.Addr().String()
	kill := mapperCase{frame: []byte{0, 1, 'k'}}
	if got := ask(t, addr, kill); string(got) != "OK" {
		t.Fatalf("KILL_REQ with no node registered: reply %q; want OK", got)
	}
	alex := register(t, addr, "alex", 5555)
	if got := ask(t, addr, kill); string(got) != "NO" {
		t.Fatalf("KILL_REQ with alex registered: reply %q; want NO", got)
	}
	if _, err := Lookup(testkit.Ctx(t, testkit.Wait), addr, "alex"); err != nil {
		t.Fatalf("the mapper stopped serving after KILL_REQ: %v", err)
	}
	alex.Close()
	testkit.WaitForNil(t, 2*time.Second, "alex unregistered", func() error {
		if got := ask(t, addr, kill); string(got) != "OK" {
			return fmt.Errorf("KILL_REQ reply %q", got)
		}
		return nil
	})
	if names, err := Names(testkit.Ctx(t, testkit.Wait), addr); err != nil || len(names) != 0 {
		t.Fatalf("the mapper stopped serving after answering OK: %v, %v", names, err)
	}
}

// slowPause is one way a slow client sends PORT_PLEASE2 "foo": in pieces,
// pausing between them.
type slowPause struct {
	name   string
	pieces [][]byte
	pause  time.Duration
}

// slowPauses are the pauses a mapper with a 1 s packet timeout outlasts,
// as epmd -packet_timeout 1 does: a byte every 400 ms, the 1 s pauses of
// slow_get_port_nr in OTP's epmd_SUITE, and 1.8 s pauses (epmd's
// whole-second clock lets a client pause the timeout and most of a second
// more).
func slowPauses() []slowPause {
	bytewise := [][]byte{{0}, {4}, {'z'}, {'f'}, {'o'}, {'o'}}
	suite := [][]byte{{0, 4, 'z'}, {'f'}, {'o'}, {'o'}}
	return []slowPause{
		{"a byte every 400ms", bytewise, 400 * time.Millisecond},
		{"slow_get_port_nr's 1s pauses", suite, time.Second},
		{"1.8s pauses", suite, 1800 * time.Millisecond},
	}
}

// slowLookup sends p to the mapper at addr, where foo is registered on
// port 1042, and fails the test unless the mapper answers with that port.
func slowLookup(t *testing.T, addr string, p slowPause) {
	t.Helper()
	conn := rawConn(t, addr)
	start := time.Now()
	for i, piece := range p.pieces {
		if i > 0 {
			time.Sleep(p.pause) // the slow client under test, not synchronisation
		}
		if _, err := conn.Write(piece); err != nil {
			t.Fatalf("write after %v: %v", time.Since(start), err)
		}
	}
	if reply, err := wire.ReadPort2Resp(conn); err != nil || reply.Node.Port != 1042 {
		t.Fatalf("slow lookup over %v: %+v, %v", time.Since(start), reply, err)
	}
}

// silentFor opens a connection to addr, sends the first bytes of a request
// and returns how long the mapper took to close it without a reply.
func silentFor(t *testing.T, addr string) time.Duration {
	t.Helper()
	silent := rawConn(t, addr)
	start := time.Now()
	if _, err := silent.Write([]byte{0, 4, 'z'}); err != nil {
		t.Fatal(err)
	}
	if got := readUntilClosed(t, silent); len(got) != 0 {
		t.Fatalf("silent client got %v", got)
	}
	return time.Since(start)
}

// TestServerPacketTimeoutRestartsOnRead: every read restarts the packet
// timeout, which has epmd's grace of a second, so the slow clients of
// slowPauses are answered (each pause outlasts the 1 s timeout, or all of
// them together do); a client that falls silent is closed once the timeout
// and the grace have passed, as epmd -packet_timeout 1 closes it after 2 s.
func TestServerPacketTimeoutRestartsOnRead(t *testing.T) {
	const timeout = time.Second
	s := startServer(t, ServerConfig{PacketTimeout: timeout})
	addr := s.Addr().String()
	register(t, addr, "foo", 1042)
	t.Run("silent", func(t *testing.T) {
		t.Parallel()
		if took := silentFor(t, addr); took < timeout+packetTimeoutGrace || took > timeout+packetTimeoutGrace+time.Second {
			t.Fatalf("silent client closed after %v; want %v", took, timeout+packetTimeoutGrace)
		}
	})
	for _, p := range slowPauses() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			slowLookup(t, addr, p)
		})
	}
}

// TestServerRemoteClientsGetNoAnswers plays a remote client over a pipe
// (whose address is not loopback): epmd hangs up on a remote ALIVE2_REQ,
// even a refused one, and on a remote KILL_REQ; only lookups are answered.
func TestServerRemoteClientsGetNoAnswers(t *testing.T) {
	s := startServer(t, ServerConfig{})
	tests := []mapperCase{
		{"refused registration", alive2Frame(5, strings.Repeat("a", 600), nil), nil, false},
		{"registration", alive2Frame(5, "gurka", nil), nil, false},
		{"kill", []byte{0, 1, 'k'}, nil, false},
		{"names", []byte{0, 1, 'n'}, nil, false},
		{"lookup", []byte{0, 4, 'z', 'f', 'o', 'o'}, []byte{119, 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client, server := net.Pipe()
			t.Cleanup(func() { client.Close() })
			if !s.track(server) {
				t.Fatal("server refused the pipe")
			}
			s.wg.Add(1)
			go s.handle(server)
			go client.Write(tc.frame) // a pipe blocks until the mapper reads
			if got := readUntilClosed(t, client); !bytes.Equal(got, tc.want) {
				t.Fatalf("reply % x; want % x", got, tc.want)
			}
		})
	}
}
