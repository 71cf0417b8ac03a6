package control

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"chatd/internal/fdgate"
)

// A process out of file descriptors (EMFILE) cannot accept a connection,
// and peers flooding the link listener or the embedded mapper can take
// every descriptor the daemon may open: each accept loop backs off and
// retries, and whichever retries first when a descriptor frees up wins it.
// The control socket must still answer then, so that the operator can see
// what is going on. It keeps one descriptor in reserve (an fdgate.Spare):
// when accepting fails for want of a descriptor while a client waits, it
// hands the spare back to the kernel and accepts at once, and it takes the
// spare again as the connection accepted on it closes. Both happen in one
// Exclusive of the node's descriptor gate, through which every other
// descriptor of the node is created: nobody else can take the descriptor
// in between (issue 16: the mapper's accept loop used to).

// reservePoll is how long accept waits for a client at a time while the
// process is out of descriptors, before trying to refill the reserve.
const reservePoll = 100 * time.Millisecond

// spareAcceptWait bounds how long accepting on the spare holds the gate,
// everything else that creates a descriptor waiting, when the client seen
// waiting has left meanwhile. With a client waiting it takes no time.
const spareAcceptWait = 100 * time.Millisecond

// reservedConn is an accepted control connection; closing it takes the
// spare back if an accept spent it.
type reservedConn struct {
	net.Conn
	spare *fdgate.Spare
	// onSpare is set when the connection was accepted on the spare: it
	// is closed after its answer (closeSpareConns), so that an idle
	// keep-alive client cannot keep the spare from the next one.
	onSpare bool
}

// Close closes the connection and, when the spare is spent, takes it back
// with the descriptor the connection freed.
func (c *reservedConn) Close() error {
	return c.spare.Close(c.Conn)
}

// acceptReserved accepts on ln (through the gate), except that when the
// process is out of descriptors it waits for a client on raw, the same
// socket, and spends the spare on it (onSpare). It returns the accept
// error when it cannot do better (no spare, or a listener without a
// descriptor to wait on); the caller backs off.
func acceptReserved(ln net.Listener, raw fdgate.Deadliner, spare *fdgate.Spare) (c net.Conn, onSpare bool, err error) {
	for {
		c, err := ln.Accept()
		if !outOfDescriptors(err) {
			return c, false, err
		}
		waiting, perr := clientWaiting(raw, reservePoll)
		if perr != nil {
			return nil, false, err
		}
		if !waiting {
			spare.Fill() // descriptors may have freed up meanwhile
			continue
		}
		c, serr := spare.Accept(raw, spareAcceptWait)
		switch {
		case errors.Is(serr, fdgate.ErrNoSpare):
			spare.Fill()
			return nil, false, err
		case errors.Is(serr, os.ErrDeadlineExceeded):
			continue // the client left; the spare is back
		case serr != nil:
			return nil, false, serr
		}
		return c, true, nil
	}
}

// spareConnKey is the context key under which ConnContext marks a
// connection accepted on the spare.
type spareConnKey struct{}

// markSpareConn is the http.Server's ConnContext: it notes in the
// connection's context whether it was accepted on the spare.
func markSpareConn(ctx context.Context, c net.Conn) context.Context {
	if rc, ok := c.(*reservedConn); ok && rc.onSpare {
		return context.WithValue(ctx, spareConnKey{}, true)
	}
	return ctx
}

// closeSpareConns answers with Connection: close on a connection
// accepted on the spare, so that the server closes it after the answer
// and the spare is back for the next client; a client that wants more
// connects again.
func closeSpareConns(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(spareConnKey{}) != nil {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// outOfDescriptors reports whether err is an accept that failed for want
// of a descriptor, in the process or in the system.
func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// clientWaiting waits up to timeout for a connection to wait in ln's
// backlog, without needing a descriptor of its own.
func clientWaiting(ln net.Listener, timeout time.Duration) (bool, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return false, errors.New("listener has no descriptor to poll")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, err
	}
	var ready bool
	var pollErr error
	if err := rc.Control(func(fd uintptr) { ready, pollErr = pollReadable(int(fd), timeout) }); err != nil {
		return false, err
	}
	return ready, pollErr
}
