package epmd

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

func TestClientNoMapper(t *testing.T) {
	addr := freeAddr(t)
	ctx := testkit.Ctx(t, testkit.Wait)
	calls := []struct {
		name string
		call func() error
	}{
		{"Register", func() error { _, err := Register(ctx, addr, "alex", 1); return err }},
		{"Lookup", func() error { _, err := Lookup(ctx, addr, "alex"); return err }},
		{"Names", func() error { _, err := Names(ctx, addr); return err }},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, ErrNoMapper) || !strings.Contains(err.Error(), addr) {
				t.Fatalf("err = %v; want ErrNoMapper naming %s", err, addr)
			}
		})
	}
}

func TestClientBadName(t *testing.T) {
	if _, err := Register(testkit.Ctx(t, testkit.Wait), "127.0.0.1:1", "", 1); !errors.Is(err, wire.ErrEPMDMalformed) {
		t.Fatalf("Register empty name err = %v", err)
	}
}

// fakeMapper accepts connections and runs serve on each until the test ends.
func fakeMapper(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			wg.Go(func() { serve(conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestClientHonoursContext(t *testing.T) {
	silent := fakeMapper(t, func(c net.Conn) { _, _ = c.Read(make([]byte, 64)) })
	ctx, cancel := context.WithTimeout(testkit.Ctx(t, testkit.Wait), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Lookup(ctx, silent, "alex")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Lookup took %v after its deadline", d)
	}
}

func TestNamesRejectsOtherPort(t *testing.T) {
	addr := fakeMapper(t, func(c net.Conn) {
		if _, err := wire.ReadEPMDRequest(c); err == nil {
			b, _ := wire.NamesResp{Port: 1}.Append(nil)
			c.Write(b)
		}
		c.Close()
	})
	if _, err := Names(testkit.Ctx(t, testkit.Wait), addr); err == nil || !strings.Contains(err.Error(), "port 1") {
		t.Fatalf("err = %v; want port mismatch", err)
	}
}

func TestRegistrationDoneWhenMapperDrops(t *testing.T) {
	s, err := Listen(testkit.Ctx(t, testkit.Wait), "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := register(t, s.Addr().String(), "alex", 1)
	s.Close()
	select {
	case <-reg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the mapper went away")
	}
	if err := reg.Close(); err != nil {
		t.Fatalf("Close after drop: %v", err)
	}
}
