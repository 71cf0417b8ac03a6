package epmd

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"chatd/internal/fdgate"
	"chatd/internal/testkit"
)

// startRegistrar starts a registrar for name on the mapper at addr and
// closes it when the test ends.
func startRegistrar(t *testing.T, addr, name string, port uint16) *Registrar {
	t.Helper()
	r, err := StartRegistrar(testkit.Ctx(t, testkit.Wait), RegistrarConfig{MapperAddr: addr, Name: name, Port: port,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Gate: fdgate.New()})
	if err != nil {
		t.Fatalf("StartRegistrar(%s): %v", name, err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Registrar.Close(%s): %v", name, err)
		}
	})
	return r
}

// testWriter sends log output to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

func TestRegistrarStartsEmbeddedMapper(t *testing.T) {
	addr := freeAddr(t)
	ctx := testkit.Ctx(t, testkit.Wait)
	alex := startRegistrar(t, addr, "alex", 5555)
	kate := startRegistrar(t, addr, "kate", 6666)
	tests := []struct {
		name     string
		r        *Registrar
		port     uint16
		embedded bool
	}{
		{"alex", alex, 5555, true},
		{"kate", kate, 6666, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Embedded(); got != tc.embedded {
				t.Errorf("Embedded() = %v; want %v", got, tc.embedded)
			}
			if tc.r.Creation() < 4 {
				t.Errorf("Creation() = %d; want >= 4", tc.r.Creation())
			}
			e, err := Lookup(ctx, addr, tc.name)
			if err != nil || e.Port != tc.port || !e.IsChatd() {
				t.Fatalf("Lookup = %+v, %v; want chatd node at port %d", e, err, tc.port)
			}
		})
	}
	_, err := StartRegistrar(ctx, RegistrarConfig{MapperAddr: addr, Name: "alex", Port: 1})
	if !errors.Is(err, ErrNameInUse) {
		t.Fatalf("second alex: err = %v; want ErrNameInUse", err)
	}
}

func TestRegistrarTakeover(t *testing.T) {
	addr := freeAddr(t)
	ctx := testkit.Ctx(t, testkit.Wait)
	mapper := startRegistrar(t, addr, "alex", 5555)
	if !mapper.Embedded() {
		t.Fatal("first registrar does not run the mapper")
	}
	others := map[string]*Registrar{
		"kate":  startRegistrar(t, addr, "kate", 6666),
		"moebi": startRegistrar(t, addr, "moebi", 7777),
	}
	creations := map[string]uint32{}
	for name, r := range others {
		creations[name] = r.Creation()
	}

	start := time.Now()
	if err := mapper.Close(); err != nil {
		t.Fatalf("Close the mapper's node: %v", err)
	}
	for name := range others {
		testkit.WaitForNil(t, 2*time.Second-time.Since(start), name+" re-registered", func() error {
			_, err := Lookup(ctx, addr, name)
			return err
		})
	}
	t.Logf("takeover took %v", time.Since(start))
	if _, err := Lookup(ctx, addr, "alex"); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("Lookup alex after its node closed: err = %v; want ErrNotRegistered", err)
	}
	embedded := 0
	for name, r := range others {
		if r.Embedded() {
			embedded++
		}
		testkit.WaitForNil(t, time.Second, name+" creation updated", func() error {
			if c := r.Creation(); c == creations[name] {
				return fmt.Errorf("creation still %d", c)
			}
			return nil
		})
	}
	if embedded != 1 {
		t.Fatalf("%d nodes run the mapper; want 1", embedded)
	}
}

func TestRegistrarCloseIdempotent(t *testing.T) {
	addr := freeAddr(t)
	r := startRegistrar(t, addr, "alex", 5555)
	for range 2 {
		if err := r.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if _, err := Lookup(testkit.Ctx(t, testkit.Wait), addr, "alex"); !errors.Is(err, ErrNoMapper) {
		t.Fatalf("Lookup after Close: err = %v; want ErrNoMapper", err)
	}
}
