package epmd

import (
	"net"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// startServer starts an embedded mapper on a free loopback port and stops
// it when the test ends.
func startServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	s, err := cfg.Listen(testkit.Ctx(t, testkit.Wait), "127.0.0.1:0")
	return closeAtEnd(t, s, err)
}

// closeAtEnd fails the test if a server did not start, and closes it when
// the test ends.
func closeAtEnd(t *testing.T, s *Server, err error) *Server {
	t.Helper()
	if err != nil {
		t.Fatalf("start the port mapper: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Server.Close: %v", err)
		}
	})
	return s
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// register registers name and closes the registration when the test ends.
func register(t *testing.T, addr, name string, port uint16) *Registration {
	t.Helper()
	reg, err := Register(testkit.Ctx(t, testkit.Wait), addr, name, port)
	if err != nil {
		t.Fatalf("Register(%s): %v", name, err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

// rawConn dials addr and closes the connection when the test ends.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// sendRequest writes one framed request on conn.
func sendRequest(t *testing.T, conn net.Conn, req wire.EPMDRequest) {
	t.Helper()
	frame, err := wire.AppendEPMDRequest(nil, req)
	if err != nil {
		t.Fatalf("encode %v: %v", req.Tag(), err)
	}
	if _, err := conn.Write(frame); err != nil {
		t.Fatalf("write %v: %v", req.Tag(), err)
	}
}

// readUntilClosed reads conn to its end (bounded by 5 s) and returns what
// arrived; it fails the test if the peer does not close.
func readUntilClosed(t *testing.T, conn net.Conn) []byte {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 512)
	for {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("connection not closed by the mapper; got %q", got)
			}
			return got
		}
	}
}
