package fdgate

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"chatd/internal/fdtest"
	"chatd/internal/testkit"
)

// arena is a process out of descriptors but for a spare, with a client
// waiting on the control socket and two waiting on another accept loop's
// listener, the rival's.
type arena struct {
	gate  *Gate
	ctl   *net.UnixListener // the control socket
	rival net.Listener      // another accept loop's listener
	spare *Spare
	done  chan rivalResult // the rival's descriptor, once provoked
}

// rivalResult is what a rival made: a descriptor's holder, or why not.
type rivalResult struct {
	c   io.Closer
	err error
}

// rivals are the other parts of a node that create descriptors, each
// doing so once.
var rivals = []struct {
	name   string
	create func(a *arena) (io.Closer, error)
}{
	{"an accept loop", func(a *arena) (io.Closer, error) {
		c, err := a.rival.Accept()
		return c, err
	}},
	{"a dial", func(a *arena) (io.Closer, error) {
		c, err := a.gate.DialContext(context.Background(), "tcp", a.rival.Addr().String())
		return c, err
	}},
	{"a file open", func(a *arena) (io.Closer, error) {
		var f *os.File
		var err error
		a.gate.Shared(func() { f, err = os.Open(os.DevNull) })
		return f, err
	}},
}

// newArena builds an arena on g (nil: no gate) and exhausts the
// process's descriptors.
func newArena(t *testing.T, g *Gate) *arena {
	t.Helper()
	path := filepath.Join(t.TempDir(), "control.sock")
	ctl, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	gated, err := g.Listener(ctl) // the control socket's own accept loop
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gated.Close() })
	rival, err := g.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rival.Close() })
	for _, addr := range []net.Addr{ctl.Addr(), rival.Addr(), rival.Addr()} {
		c, err := net.Dial(addr.Network(), addr.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	a := &arena{gate: g, ctl: ctl, rival: rival, spare: g.NewSpare(), done: make(chan rivalResult, 1)}
	t.Cleanup(a.spare.Drop)
	if !a.spare.Held() {
		t.Fatal("no spare descriptor before the process ran out")
	}
	fdtest.Exhaust(t)
	return a
}

// provoke returns a seam for Spare.freed that starts the rival the moment
// a descriptor is freed, and returns once the rival has created its
// descriptor or waits at the gate: the interleaving in which, without a
// gate, the rival wins.
func (a *arena) provoke(t *testing.T, create func(*arena) (io.Closer, error)) func() {
	return func() {
		go func() {
			c, err := create(a)
			a.done <- rivalResult{c, err}
		}()
		var r *rivalResult
		testkit.WaitFor(t, testkit.Wait, "the rival to create its descriptor or wait at the gate", func() bool {
			select {
			case got := <-a.done:
				r = &got
			default:
			}
			return r != nil || (a.gate != nil && a.gate.waiting.Load() > 0)
		})
		if r != nil {
			a.done <- *r
		}
	}
}

// result waits for the rival and closes what it made.
func (a *arena) result(t *testing.T) error {
	t.Helper()
	r := <-a.done
	if r.err == nil {
		_ = r.c.Close()
	}
	return r.err
}

// TestSpareAgainstRivals frees the spare descriptor (to accept the
// control socket's client), or the descriptor of the connection accepted
// on it (to take the spare back), and at that very moment lets another
// part of the node create a descriptor. Through the gate the spare's
// party gets the descriptor and the rival finds none; without it the
// rival takes it and the spare is lost, as in issue 16.
func TestSpareAgainstRivals(t *testing.T) {
	for _, rv := range rivals {
		for _, gated := range []bool{true, false} {
			name := "gate/" + rv.name
			if !gated {
				name = "no gate/" + rv.name
			}
			t.Run(name+"/accept on the spare", func(t *testing.T) {
				a := newArena(t, gateIf(gated))
				a.spare.freed = a.provoke(t, rv.create)
				c, err := a.spare.Accept(a.ctl, testkit.Wait)
				rivalErr := a.result(t)
				if err == nil {
					defer c.Close()
				}
				checkWinner(t, gated, err, rivalErr, a.spare.Held(), "the control socket's accept")
			})
			t.Run(name+"/take the spare back", func(t *testing.T) {
				a := newArena(t, gateIf(gated))
				c, err := a.spare.Accept(a.ctl, testkit.Wait)
				if err != nil {
					t.Fatalf("accept on the spare, no rival: %v", err)
				}
				a.spare.freed = a.provoke(t, rv.create)
				if err := a.spare.Close(c); err != nil {
					t.Fatalf("close the connection accepted on the spare: %v", err)
				}
				rivalErr := a.result(t)
				var spareErr error
				if !a.spare.Held() {
					spareErr = syscall.EMFILE
				}
				checkWinner(t, gated, spareErr, rivalErr, a.spare.Held(), "taking the spare back")
			})
		}
	}
}

// gateIf is a new gate, or none.
func gateIf(gated bool) *Gate {
	if gated {
		return New()
	}
	return nil
}

// checkWinner checks who got the freed descriptor: through the gate the
// spare's party (err nil, the rival EMFILE, the spare held once done
// with), without it the rival (err EMFILE, the spare lost).
func checkWinner(t *testing.T, gated bool, err, rivalErr error, held bool, what string) {
	t.Helper()
	if gated {
		if err != nil {
			t.Errorf("%s through the gate: %v, want the freed descriptor", what, err)
		}
		if !errors.Is(rivalErr, syscall.EMFILE) {
			t.Errorf("the rival through the gate: %v, want EMFILE (the descriptor was the spare's)", rivalErr)
		}
		return
	}
	if !errors.Is(err, syscall.EMFILE) || rivalErr != nil || held {
		t.Errorf("without a gate: %s got %v, the rival %v, spare held %v; want the rival to win the descriptor (the race of issue 16)", what, err, rivalErr, held)
	}
}

// TestSpareAcceptNoClient: a client that left before the accept costs the
// gate no more than wait, and the spare is taken back.
func TestSpareAcceptNoClient(t *testing.T) {
	g := New()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "control.sock"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := g.NewSpare()
	defer s.Drop()
	fdtest.Exhaust(t)
	_, err = s.Accept(ln, 10*time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("accept with nobody waiting: %v, want a timeout", err)
	}
	if !s.Held() {
		t.Error("the spare was not taken back after a failed accept")
	}
	if _, err := s.Accept(ln, 10*time.Millisecond); errors.Is(err, ErrNoSpare) {
		t.Errorf("second accept: %v; the spare should be there again", err)
	}
	s.Drop()
	if _, err := s.Accept(ln, 10*time.Millisecond); !errors.Is(err, ErrNoSpare) {
		t.Errorf("accept after Drop: %v, want ErrNoSpare", err)
	}
}
