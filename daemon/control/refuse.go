package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"chatd/internal/fdgate"
	"chatd/wire"
)

// A client the policy refuses gets a 403 and the connection closes, and
// not one byte of its request is read. The answer waits for the client's
// first bytes though (without reading them), up to refuseWait: an HTTP
// client that receives an answer before it has sent its request takes it
// for garbage on an idle connection ("unsolicited response") and reports
// that instead of the reason. A client that stays silent gets the answer
// after refuseWait.

// refuseWait bounds the wait for a refused client's first bytes.
const refuseWait = 500 * time.Millisecond

// maxRefusals bounds the refusals under way at once; beyond it a refused
// client's connection is closed without an answer.
const maxRefusals = 64

// refuser answers refused clients, each in a goroutine of its own so that
// a silent stranger never stalls the accept loop.
type refuser struct {
	group string        // the group to join, named in the answer
	spare *fdgate.Spare // taken back as a refused connection closes
	wg    sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{} // guarded by mu; being refused
	closed bool                  // guarded by mu
}

func newRefuser(group string, spare *fdgate.Spare) *refuser {
	return &refuser{group: group, spare: spare, conns: make(map[net.Conn]struct{})}
}

// refuse answers c, from peer p, with a 403 and closes it.
func (r *refuser) refuse(c net.Conn, p Peer) {
	r.mu.Lock()
	if r.closed || len(r.conns) >= maxRefusals {
		r.mu.Unlock()
		_ = r.spare.Close(c)
		return
	}
	// Set before close can see c, so that close's deadline wins.
	_ = c.SetReadDeadline(time.Now().Add(refuseWait))
	r.conns[c] = struct{}{}
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		awaitFirstBytes(c)
		r.answer(c, p)
		_ = r.spare.Close(c)
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
	}()
}

// answer writes the 403 that says which group to join.
func (r *refuser) answer(c net.Conn, p Peer) {
	body, _ := json.Marshal(wire.ErrorResponse{
		Error: fmt.Sprintf("permission denied: uid %d may not use this node's control socket; join group %s or run as root", p.UID, r.group),
		Code:  wire.CodeForbidden,
	})
	resp := "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)+1) + "\r\n\r\n" + string(body) + "\n"
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write([]byte(resp))
}

// close cuts the waits under way short and waits for their answers.
func (r *refuser) close() {
	r.mu.Lock()
	r.closed = true
	for c := range r.conns {
		_ = c.SetReadDeadline(time.Unix(1, 0))
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// awaitFirstBytes waits until the client on c has sent something or hung
// up, or c's read deadline passes. It peeks and never consumes a byte.
func awaitFirstBytes(c net.Conn) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	var b [1]byte
	_ = rc.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return !errors.Is(err, syscall.EAGAIN)
	})
}
