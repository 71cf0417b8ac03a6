package epmd

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sync"
	"syscall"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

func TestServerRegisterLookupNames(t *testing.T) {
	s := startServer(t, ServerConfig{})
	addr := s.Addr().String()
	ctx := testkit.Ctx(t, testkit.Wait)
	alex := register(t, addr, "alex", 5555)
	register(t, addr, "kate", 6666)
	if alex.Creation() < 4 {
		t.Errorf("creation %d; want >= 4", alex.Creation())
	}

	lookups := []struct {
		name    string
		want    NodeEntry
		wantErr error
	}{
		{"alex", wire.ChatdAlive2Req("alex", 5555).Entry(), nil},
		{"kate", wire.ChatdAlive2Req("kate", 6666).Entry(), nil},
		{"nobody", NodeEntry{}, ErrNotRegistered},
	}
	for _, tc := range lookups {
		t.Run("lookup "+tc.name, func(t *testing.T) {
			got, err := Lookup(ctx, addr, tc.name)
			if !errors.Is(err, tc.wantErr) || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Lookup = %+v, %v; want %+v, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}

	names, err := Names(ctx, addr)
	if want := []NameEntry{{Name: "alex", Port: 5555}, {Name: "kate", Port: 6666}}; err != nil || !reflect.DeepEqual(names, want) {
		t.Fatalf("Names = %+v, %v; want %+v", names, err, want)
	}

	if _, err := Register(ctx, addr, "alex", 7777); !errors.Is(err, ErrNameInUse) {
		t.Fatalf("duplicate Register err = %v; want ErrNameInUse", err)
	}

	if err := alex.Close(); err != nil {
		t.Fatalf("Registration.Close: %v", err)
	}
	testkit.WaitForNil(t, 2*time.Second, "alex unregistered", func() error {
		_, err := Lookup(ctx, addr, "alex")
		if errors.Is(err, ErrNotRegistered) {
			return nil
		}
		return fmt.Errorf("Lookup err = %v", err)
	})
	again := register(t, addr, "alex", 5555)
	if again.Creation() == alex.Creation() {
		t.Errorf("creation %d reused on re-registration", again.Creation())
	}
}

func TestServerReplyBytes(t *testing.T) {
	s := startServer(t, ServerConfig{})
	addr := s.Addr().String()
	register(t, addr, "alex", 5555)
	old := wire.ChatdAlive2Req("old", 1)
	old.HighestVersion, old.LowestVersion = 5, 5
	tests := []struct {
		name string
		req  wire.EPMDRequest
		want []byte // nil: check only the tag and length
		tag  wire.EPMDTag
		size int
	}{
		{name: "duplicate", req: wire.ChatdAlive2Req("alex", 1), want: []byte{118, 1, 0, 0, 0, 99}},
		{name: "not registered", req: wire.PortPlease2Req{Name: "nobody"}, want: []byte{119, 1}},
		{name: "old node", req: old, tag: wire.EPMDAlive2Resp, size: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := rawConn(t, addr)
			sendRequest(t, conn, tc.req)
			if tc.want != nil {
				if got := readUntilClosed(t, conn); !bytes.Equal(got, tc.want) {
					t.Fatalf("reply %v; want %v", got, tc.want)
				}
				return
			}
			buf := make([]byte, tc.size)
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Read(buf); err != nil || buf[0] != byte(tc.tag) || buf[1] != 0 {
				t.Fatalf("reply %v, %v; want tag %v result 0", buf, err, tc.tag)
			}
		})
	}
}

func TestServerBadClientsCloseOnlyTheirConnection(t *testing.T) {
	s := startServer(t, ServerConfig{PacketTimeout: 100 * time.Millisecond})
	addr := s.Addr().String()
	alex := register(t, addr, "alex", 5555)
	tests := []struct {
		name string
		send []byte
	}{
		{"unknown tag", []byte{0, 1, 77}},
		{"empty request", []byte{0, 0}},
		{"truncated alive2", []byte{0, 3, 120, 0}},
		{"idle", nil},
		{"half a length", []byte{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := rawConn(t, addr)
			if _, err := conn.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			if got := readUntilClosed(t, conn); len(got) != 0 {
				t.Fatalf("got reply %v; want a bare close", got)
			}
		})
	}
	select {
	case <-alex.Done():
		t.Fatal("a bad client ended another registration")
	default:
	}
	if _, err := Lookup(testkit.Ctx(t, testkit.Wait), addr, "alex"); err != nil {
		t.Fatalf("Lookup alex: %v", err)
	}
}

func TestServerRegisteredConnectionSendingBytesUnregisters(t *testing.T) {
	s := startServer(t, ServerConfig{})
	addr := s.Addr().String()
	conn := rawConn(t, addr)
	sendRequest(t, conn, wire.ChatdAlive2Req("alex", 5555))
	if reply, err := wire.ReadAlive2Reply(conn); err != nil || reply.Result != 0 {
		t.Fatalf("ALIVE2 reply %+v, %v", reply, err)
	}
	if _, err := conn.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	readUntilClosed(t, conn)
	if _, err := Lookup(testkit.Ctx(t, testkit.Wait), addr, "alex"); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("Lookup err = %v; want ErrNotRegistered", err)
	}
}

func TestServerMaxConns(t *testing.T) {
	s := startServer(t, ServerConfig{MaxConns: 2})
	addr := s.Addr().String()
	first := rawConn(t, addr)
	rawConn(t, addr)
	if got := readUntilClosed(t, rawConn(t, addr)); len(got) != 0 {
		t.Fatalf("excess connection got %v", got)
	}
	first.Close()
	testkit.WaitForNil(t, 2*time.Second, "a slot frees up", func() error {
		_, err := Names(testkit.Ctx(t, testkit.Wait), addr)
		return err
	})
}

func TestServerCloseEndsRegistrations(t *testing.T) {
	s, err := Listen(testkit.Ctx(t, testkit.Wait), "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := register(t, s.Addr().String(), "alex", 5555)
	var wg sync.WaitGroup
	for range 3 { // concurrent and repeated Close
		wg.Go(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	select {
	case <-reg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("registration not ended by Server.Close")
	}
	if _, err := Lookup(testkit.Ctx(t, testkit.Wait), s.Addr().String(), "alex"); !errors.Is(err, ErrNoMapper) {
		t.Fatalf("Lookup after Close err = %v; want ErrNoMapper", err)
	}
}

func TestPermitted(t *testing.T) {
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 1} }
	tests := []struct {
		name   string
		remote net.Addr
		tag    wire.EPMDTag
		want   bool
	}{
		{"loopback registers", tcp("127.0.0.1"), wire.EPMDAlive2Req, true},
		{"127/8 lists", tcp("127.1.2.3"), wire.EPMDNamesReq, true},
		{"ipv6 loopback registers", tcp("::1"), wire.EPMDAlive2Req, true},
		{"mapped loopback registers", tcp("::ffff:127.0.0.1"), wire.EPMDAlive2Req, true},
		{"remote looks up", tcp("192.0.2.7"), wire.EPMDPortPlease2Req, true},
		{"remote may not register", tcp("192.0.2.7"), wire.EPMDAlive2Req, false},
		{"remote may not list", tcp("2001:db8::1"), wire.EPMDNamesReq, false},
		{"not tcp", &net.UnixAddr{Name: "x", Net: "unix"}, wire.EPMDAlive2Req, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := permitted(tc.tag, tc.remote); got != tc.want {
				t.Fatalf("permitted(%v, %v) = %v; want %v", tc.tag, tc.remote, got, tc.want)
			}
		})
	}
}

// flakyListener fails its first Accept calls with EMFILE.
type flakyListener struct {
	net.Listener
	mu       sync.Mutex
	failures int // guarded by mu
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	fail := l.failures > 0
	if fail {
		l.failures--
	}
	l.mu.Unlock()
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

func TestServerSurvivesTemporaryAcceptErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := ServerConfig{}.serve(&flakyListener{Listener: ln, failures: 4})
	t.Cleanup(func() { s.Close() })
	register(t, s.Addr().String(), "alex", 5555)
	if _, err := Lookup(testkit.Ctx(t, testkit.Wait), s.Addr().String(), "alex"); err != nil {
		t.Fatalf("Lookup after EMFILE: %v", err)
	}
}
