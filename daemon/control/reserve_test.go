package control

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"testing"
	"time"

	"chatd/internal/fdgate"
	"chatd/internal/fdtest"
	"chatd/internal/testkit"
	"chatd/wire"
)

// TestServeOutOfDescriptorsAgainstAcceptLoop takes every descriptor the
// process may open while another accept loop of the node, through the same
// gate, retries at once whenever its accept fails and keeps every
// connection it gets, with clients always waiting for it: whenever the
// control socket spends its spare or takes it back, that loop is ready to
// take the descriptor. The test's own client takes and gives back its
// descriptor in Exclusives of the gate, so that every descriptor the rival
// could get is one the control socket let go of. The control socket
// answers round after round, and the rival gets nothing.
func TestServeOutOfDescriptorsAgainstAcceptLoop(t *testing.T) {
	const rounds = 20
	g := fdgate.New()
	path := socketPath(t)
	startGated(t, path, selfPolicy(), newBackend(), g)
	rival := newRival(t, g)
	hogs := fdtest.Exhaust(t)
	rival.start()
	for round := range rounds {
		var c net.Conn
		var err error
		g.Exclusive(func() {
			_ = hogs[len(hogs)-1].Close()
			c, err = net.Dial("unix", path)
		})
		hogs = hogs[:len(hogs)-1]
		if err != nil {
			t.Fatalf("round %d: dial the control socket on a freed descriptor: %v", round, err)
		}
		status := statusOn(t, c)
		var f *os.File
		g.Exclusive(func() {
			_ = c.Close()
			f, err = os.Open(os.DevNull)
		})
		if err != nil {
			t.Fatalf("round %d: take back the client's descriptor: %v", round, err)
		}
		hogs = append(hogs, f)
		if status != http.StatusOK {
			t.Fatalf("round %d: GET /v1/status out of descriptors: %d", round, status)
		}
	}
	if n := rival.stop(); n != 0 {
		t.Errorf("the rival accept loop took %d descriptors the control socket let go of", n)
	}
}

// rival is an accept loop that never backs off.
type rival struct {
	ln      net.Listener
	started bool
	stopped chan struct{}
	conns   []net.Conn // what it accepted; read after stopped closes
}

// newRival listens through g, with clients waiting; start starts it.
func newRival(t *testing.T, g *fdgate.Gate) *rival {
	t.Helper()
	ln, err := g.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	for range 8 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	r := &rival{ln: ln, stopped: make(chan struct{})}
	t.Cleanup(func() { r.stop() })
	return r
}

// start starts the rival's loop.
func (r *rival) start() {
	r.started = true
	go func() {
		defer close(r.stopped)
		for {
			c, err := r.ln.Accept()
			switch {
			case errors.Is(err, net.ErrClosed):
				return
			case err == nil:
				r.conns = append(r.conns, c)
			default:
				runtime.Gosched() // EMFILE: at once again
			}
		}
	}()
}

// stop ends the rival's loop, closes what it took and returns how many.
// It is idempotent.
func (r *rival) stop() int {
	_ = r.ln.Close()
	if r.started {
		<-r.stopped
	}
	for _, c := range r.conns {
		_ = c.Close()
	}
	n := len(r.conns)
	r.conns = nil
	return n
}

// TestServeOutOfDescriptors takes every descriptor the process may open:
// the control socket still answers, round after round, on its reserve.
func TestServeOutOfDescriptors(t *testing.T) {
	path := socketPath(t)
	startServer(t, path, selfPolicy(), newBackend())
	hogs := fdtest.Exhaust(t)
	for round := range 3 {
		// Free one descriptor: the client's end of the connection. The
		// server has none left but its reserve.
		_ = hogs[len(hogs)-1].Close()
		hogs = hogs[:len(hogs)-1]
		status := statusOnFreshConn(t, path)
		if status != http.StatusOK {
			t.Fatalf("round %d: GET /v1/status out of descriptors: %d", round, status)
		}
		f, err := reopenHog(t)
		if err != nil {
			t.Fatalf("round %d: the freed descriptor did not come back: %v", round, err)
		}
		hogs = append(hogs, f)
	}
}

// reopenHog takes back the descriptor a finished connection freed; the
// server's end refills its reserve as it closes, so wait for the pair.
func reopenHog(t *testing.T) (*os.File, error) {
	t.Helper()
	deadline := time.Now().Add(testkit.Wait)
	for {
		f, err := os.Open(os.DevNull)
		if err == nil || time.Now().After(deadline) {
			return f, err
		}
		time.Sleep(time.Millisecond)
	}
}

// statusOnFreshConn makes one GET /v1/status on a new connection and
// returns the status code.
func statusOnFreshConn(t *testing.T, path string) int {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	return statusOn(t, c)
}

// statusOn makes one GET /v1/status on c, a new connection, and returns
// the status code.
func statusOn(t *testing.T, c net.Conn) int {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(testkit.Wait))
	if _, err := io.WriteString(c, "GET "+wire.PathStatus+" HTTP/1.1\r\nHost: chatd\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read the answer out of descriptors: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestSpareConnClosesAfterAnswer: a keep-alive client accepted on the
// spare gets Connection: close and the server closes the connection after
// the answer, so that the spare is back for the next client; a client
// accepted while descriptors are free keeps its connection.
func TestSpareConnClosesAfterAnswer(t *testing.T) {
	path := socketPath(t)
	startServer(t, path, selfPolicy(), newBackend())
	keepAlive := func(t *testing.T) (closeAsked, closedAfter bool) {
		t.Helper()
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(testkit.Wait))
		if _, err := io.WriteString(c, "GET "+wire.PathStatus+" HTTP/1.1\r\nHost: chatd\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("read the answer: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /v1/status: %d", resp.StatusCode)
		}
		// The server closes at once or keeps the connection for its idle
		// timeout: a short read deadline tells the two apart.
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, err = br.ReadByte()
		return resp.Close, errors.Is(err, io.EOF)
	}
	if asked, closed := keepAlive(t); asked || closed {
		t.Errorf("with descriptors free: Connection: close %v, closed after the answer %v; want the connection kept", asked, closed)
	}
	hogs := fdtest.Exhaust(t)
	_ = hogs[len(hogs)-1].Close() // the client's end; the server has only its spare
	if asked, closed := keepAlive(t); !asked || !closed {
		t.Errorf("on the spare: Connection: close %v, closed after the answer %v; want both", asked, closed)
	}
}
