package fdgate

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// ErrNoSpare means the spare descriptor is spent (or could not be taken)
// and there is nothing to accept on.
var ErrNoSpare = errors.New("no spare descriptor")

// Spare is one descriptor held in reserve, an open /dev/null, for a
// listener to accept on when the process has no other. Giving it back and
// accepting happen in one Exclusive of its gate, so the connection gets
// the descriptor the spare freed; closing that connection takes the
// spare back in one Exclusive too. So the spare is spent only while the
// connection accepted on it is open.
type Spare struct {
	gate *Gate

	mu     sync.Mutex
	f      *os.File // guarded by mu; nil while spent
	closed bool     // guarded by mu; given back for good

	// freed, when set (by tests), runs in each Exclusive right after a
	// descriptor is freed: in Accept between giving the spare back and
	// accepting, in Close between closing the connection and taking the
	// spare again.
	freed func()
}

// NewSpare takes a spare descriptor through the gate, if one can be
// opened; Fill tries again.
func (g *Gate) NewSpare() *Spare {
	s := &Spare{gate: g}
	s.Fill()
	return s
}

// Fill takes the spare descriptor again unless it is held. It does
// nothing while the process has none to give.
func (s *Spare) Fill() {
	s.gate.Shared(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.fillLocked()
	})
}

// fillLocked opens the spare unless it is held or given back for good;
// s.mu is held.
func (s *Spare) fillLocked() {
	if s.f != nil || s.closed {
		return
	}
	if f, err := os.Open(os.DevNull); err == nil {
		s.f = f
	}
}

// Held reports whether the spare descriptor is held now.
func (s *Spare) Held() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f != nil
}

// Accept gives the spare back and accepts one connection on ln with the
// descriptor it freed, nothing else creating a descriptor in between. A
// client should be waiting in ln's backlog: wait bounds how long Accept
// holds the gate when it is not (it left meanwhile). When the accept
// fails the spare is taken back. Without a spare it returns ErrNoSpare.
func (s *Spare) Accept(ln Deadliner, wait time.Duration) (net.Conn, error) {
	var c net.Conn
	err := ErrNoSpare
	s.gate.Exclusive(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.f == nil {
			return
		}
		_ = s.f.Close()
		s.f = nil
		s.onFreed()
		_ = ln.SetDeadline(time.Now().Add(wait))
		c, err = ln.Accept()
		_ = ln.SetDeadline(time.Time{})
		if err != nil {
			s.fillLocked() // the descriptor is still free: nobody could take it
		}
	})
	return c, err
}

// Close closes c, a connection of the process; when the spare is spent
// it takes the spare back with the descriptor c frees, in one Exclusive.
func (s *Spare) Close(c net.Conn) error {
	if s.Held() {
		return c.Close()
	}
	var err error
	s.gate.Exclusive(func() {
		err = c.Close()
		s.onFreed()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.fillLocked()
	})
	return err
}

// onFreed runs the test seam freed, if set.
func (s *Spare) onFreed() {
	if s.freed != nil {
		s.freed()
	}
}

// Drop gives the spare back for good.
func (s *Spare) Drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.f != nil {
		_ = s.f.Close()
		s.f = nil
	}
}
