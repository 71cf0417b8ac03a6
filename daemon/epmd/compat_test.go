package epmd

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"chatd/wire"
)

// epmdBinary returns the real epmd, failing the test when it is missing:
// compatibility is part of the contract, so it is not skipped.
func epmdBinary(t *testing.T) string {
	t.Helper()
	if path, err := exec.LookPath("epmd"); err == nil {
		return path
	}
	if _, err := os.Stat("/usr/bin/epmd"); err == nil {
		return "/usr/bin/epmd"
	}
	t.Fatal("epmd not found: install Debian package erlang-base (make deps)")
	return ""
}

// startRealEPMD runs epmd in the foreground on a free port until the test
// ends and returns its loopback address once it answers.
func startRealEPMD(t *testing.T) string {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(epmdBinary(t), "-port", port)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start epmd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	waitFor(t, 5*time.Second, "epmd answers on "+addr, func() error {
		_, err := Names(testCtx(t), addr)
		return err
	})
	return addr
}

// epmdNames runs `epmd -port P -names` against the mapper at addr.
func epmdNames(t *testing.T, addr string) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	out, err := exec.CommandContext(testCtx(t), epmdBinary(t), "-port", port, "-names").CombinedOutput()
	if err != nil {
		t.Fatalf("epmd -port %s -names: %v\n%s", port, err, out)
	}
	return string(out)
}

func TestCompatRegisterWithRealEPMD(t *testing.T) {
	addr := startRealEPMD(t)
	ctx := testCtx(t)
	alex := register(t, addr, "alex", 5555)
	if alex.Creation() < 4 {
		t.Errorf("creation %d; want >= 4", alex.Creation())
	}
	if out := epmdNames(t, addr); !strings.Contains(out, "name alex at port 5555\n") {
		t.Fatalf("epmd -names does not list alex:\n%s", out)
	}
	e, err := Lookup(ctx, addr, "alex")
	if want := wire.ChatdAlive2Req("alex", 5555).Entry(); err != nil || e.Port != want.Port ||
		e.NodeType != want.NodeType || e.HighestVersion != 6 || e.LowestVersion != 6 || !e.IsChatd() {
		t.Fatalf("Lookup = %+v, %v; want %+v", e, err, want)
	}
	if names, err := Names(ctx, addr); err != nil || len(names) != 1 || names[0] != (NameEntry{Name: "alex", Port: 5555}) {
		t.Fatalf("Names = %+v, %v", names, err)
	}
	if _, err := Lookup(ctx, addr, "nobody"); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("Lookup nobody: err = %v; want ErrNotRegistered", err)
	}
	if _, err := Register(ctx, addr, "alex", 1); !errors.Is(err, ErrNameInUse) {
		t.Fatalf("duplicate Register: err = %v; want ErrNameInUse", err)
	}
	kate := startRegistrar(t, addr, "kate", 6666)
	if kate.Embedded() {
		t.Error("registrar started an embedded mapper although epmd runs")
	}
	if e, err := Lookup(ctx, addr, "kate"); err != nil || e.Port != 6666 {
		t.Fatalf("Lookup kate = %+v, %v", e, err)
	}
	alex.Close()
	waitFor(t, 2*time.Second, "epmd forgets alex", func() error {
		_, err := Lookup(ctx, addr, "alex")
		if errors.Is(err, ErrNotRegistered) {
			return nil
		}
		return errors.New("still registered")
	})
}

func TestCompatRealEPMDNamesAgainstServer(t *testing.T) {
	epmdBinary(t)
	s := startServer(t, ServerConfig{})
	addr := s.Addr().String()
	register(t, addr, "alex", 5555)
	register(t, addr, "kate", 6666)
	_, port, _ := net.SplitHostPort(addr)
	out := epmdNames(t, addr)
	for _, want := range []string{"up and running on port " + port, "name alex at port 5555\n", "name kate at port 6666\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("epmd -names output lacks %q:\n%s", want, out)
		}
	}
}
