package control

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"chatd/internal/fdgate"
)

// Peer is the identity of a process connected to the control socket.
type Peer struct {
	PID, UID, GID int
}

// Policy decides which peers may use the control socket.
type Policy struct {
	// UID and GID are the daemon's own user and group.
	UID, GID int
	// Groups returns a process's supplementary groups; nil means read
	// /proc/<pid>/status.
	Groups func(pid int) ([]int, error)
}

// Allows reports whether p may use the socket: root, the daemon's user, or
// a member of the daemon's group (primary or supplementary).
func (pol Policy) Allows(p Peer) bool {
	if p.UID == 0 || p.UID == pol.UID || p.GID == pol.GID {
		return true
	}
	groups := pol.Groups
	if groups == nil {
		groups = procGroups
	}
	gs, err := groups(p.PID)
	if err != nil {
		return false
	}
	for _, g := range gs {
		if g == pol.GID {
			return true
		}
	}
	return false
}

// procGroups reads the Groups: line of /proc/<pid>/status.
func procGroups(pid int) ([]int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "Groups:")
		if !ok {
			continue
		}
		var gs []int
		for _, field := range strings.Fields(rest) {
			g, err := strconv.Atoi(field)
			if err != nil {
				return nil, fmt.Errorf("parse groups of pid %d: %w", pid, err)
			}
			gs = append(gs, g)
		}
		return gs, nil
	}
	return nil, fmt.Errorf("no Groups line for pid %d", pid)
}

// peerOf reads SO_PEERCRED from a Unix connection.
func peerOf(c net.Conn) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, fmt.Errorf("not a unix connection: %T", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return Peer{}, err
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("SO_PEERCRED: %w", credErr)
	}
	return Peer{PID: int(cred.Pid), UID: int(cred.Uid), GID: int(cred.Gid)}, nil
}

// credListener refuses peers the policy does not allow before any of their
// bytes are read, answering them with a 403 that says which group to join
// (see refuse.go). It accepts through the node's descriptor gate and keeps
// a descriptor in reserve to accept with when the process has none left
// (see reserve.go).
type credListener struct {
	net.Listener                  // accepts through the gate
	raw          fdgate.Deadliner // the same socket, for the spare's accept
	gate         *fdgate.Gate
	policy       Policy
	log          *slog.Logger
	spare        *fdgate.Spare
	refuser      *refuser
}

// newCredListener applies policy to the clients of ln, which must be a
// *net.UnixListener (or another fdgate.Deadliner).
func newCredListener(ln net.Listener, policy Policy, gate *fdgate.Gate, log *slog.Logger) (*credListener, error) {
	raw, ok := ln.(fdgate.Deadliner)
	if !ok {
		return nil, fmt.Errorf("control socket %s: a %T cannot be served (want a Unix socket listener)", ln.Addr(), ln)
	}
	gl, err := gate.Listener(raw)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", ln.Addr(), err)
	}
	var group string
	gate.Shared(func() { group = groupName(policy.GID) }) // reads /etc/group
	spare := gate.NewSpare()
	return &credListener{
		Listener: gl, raw: raw, gate: gate, policy: policy, log: log,
		spare: spare, refuser: newRefuser(group, spare),
	}, nil
}

// Accept returns the next allowed connection.
func (l *credListener) Accept() (net.Conn, error) {
	for {
		c, onSpare, err := acceptReserved(l.Listener, l.raw, l.spare)
		if err != nil {
			return nil, err
		}
		p, err := peerOf(c)
		allowed := false
		if err == nil {
			l.gate.Shared(func() { allowed = l.policy.Allows(p) }) // may read /proc/<pid>/status
		}
		if allowed {
			return &reservedConn{Conn: c, spare: l.spare, onSpare: onSpare}, nil
		}
		l.log.Warn("control socket: refused a client", "uid", p.UID, "gid", p.GID, "pid", p.PID, "err", err)
		l.refuser.refuse(c, p)
	}
}

// Close stops accepting, finishes the refusals under way and gives the
// spare back.
func (l *credListener) Close() error {
	err := l.Listener.Close()
	l.refuser.close()
	l.spare.Drop()
	return err
}
