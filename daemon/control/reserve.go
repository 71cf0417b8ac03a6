package control

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// A process out of file descriptors (EMFILE) cannot accept a connection,
// and peers flooding the link listener or the embedded mapper can take
// every descriptor the daemon may open: each accept loop backs off and
// retries, and whichever retries first when a descriptor frees up wins it.
// The control socket must still answer then, so that the operator can see
// what is going on. It keeps one descriptor in reserve: when accepting
// fails for want of a descriptor while a client waits, it hands the
// reserve back to the kernel and accepts at once, and it takes the reserve
// again as soon as a control connection closes.

// reservePoll is how long accept waits for a client at a time while the
// process is out of descriptors, before trying to refill the reserve.
const reservePoll = 100 * time.Millisecond

// reserve is one spare descriptor, an open /dev/null.
type reserve struct {
	mu     sync.Mutex
	spare  *os.File // guarded by mu; nil while spent
	closed bool     // guarded by mu; the listener is closed: no refill
}

// newReserve returns a reserve holding its descriptor if one could be
// opened.
func newReserve() *reserve {
	r := &reserve{}
	r.fill()
	return r
}

// fill takes the spare descriptor unless it is held already. While the
// process is still out of descriptors it fails, to be tried again later.
func (r *reserve) fill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spare != nil || r.closed {
		return
	}
	if f, err := os.Open(os.DevNull); err == nil {
		r.spare = f
	}
}

// spend closes the spare descriptor, so that the next descriptor the
// process asks for succeeds, and reports whether there was one.
func (r *reserve) spend() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spare == nil {
		return false
	}
	_ = r.spare.Close()
	r.spare = nil
	return true
}

// close gives the descriptor back for good.
func (r *reserve) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.spare != nil {
		_ = r.spare.Close()
		r.spare = nil
	}
}

// reservedConn is an accepted control connection; closing it refills the
// reserve if an accept spent it.
type reservedConn struct {
	net.Conn
	reserve *reserve
}

// Close closes the connection, then refills the reserve with the
// descriptor it freed (or any other).
func (c *reservedConn) Close() error {
	err := c.Conn.Close()
	c.reserve.fill()
	return err
}

// acceptReserved is ln.Accept, except that when the process is out of
// descriptors it waits for a client and spends the reserve on it. It
// returns the accept error when it cannot do better (no reserve, or a
// listener without a descriptor to wait on); the caller backs off.
func acceptReserved(ln net.Listener, r *reserve) (net.Conn, error) {
	for {
		c, err := ln.Accept()
		if !outOfDescriptors(err) {
			return c, err
		}
		waiting, perr := clientWaiting(ln, reservePoll)
		if perr != nil {
			return nil, err
		}
		if !waiting {
			r.fill() // descriptors may have freed up meanwhile
			continue
		}
		if !r.spend() {
			r.fill()
			return nil, err
		}
		c, err = ln.Accept()
		if err != nil {
			// Another goroutine took the freed descriptor first.
			r.fill()
			return nil, err
		}
		return c, nil
	}
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
