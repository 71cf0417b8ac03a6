package epmd

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"chatd/internal/testkit"
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

// startRealEPMD runs epmd in the foreground on a free port, with args
// added, until the test ends and returns its loopback address once it
// answers.
func startRealEPMD(t *testing.T, args ...string) string {
	t.Helper()
	addr, _ := startRealEPMDProcess(t, args...)
	return addr
}

// startRealEPMDProcess is startRealEPMD that also returns a channel closed
// when epmd has exited.
func startRealEPMDProcess(t *testing.T, args ...string) (string, <-chan struct{}) {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(epmdBinary(t), append([]string{"-port", port}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start epmd: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	testkit.WaitForNil(t, 5*time.Second, "epmd answers on "+addr, func() error {
		_, err := Names(testkit.Ctx(t, testkit.Wait), addr)
		return err
	})
	return addr, exited
}

// epmdNames runs `epmd -port P -names` against the mapper at addr.
func epmdNames(t *testing.T, addr string) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	out, err := exec.CommandContext(testkit.Ctx(t, testkit.Wait), epmdBinary(t), "-port", port, "-names").CombinedOutput()
	if err != nil {
		t.Fatalf("epmd -port %s -names: %v\n%s", port, err, out)
	}
	return string(out)
}

func TestCompatRegisterWithRealEPMD(t *testing.T) {
	addr := startRealEPMD(t)
	ctx := testkit.Ctx(t, testkit.Wait)
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
	testkit.WaitForNil(t, 2*time.Second, "epmd forgets alex", func() error {
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

// TestCompatAnswersAsRealEPMD runs the table the embedded mapper is held to
// (limits_test.go) against the real epmd, so that the table says what epmd
// does. Each case has an epmd of its own, as in TestServerAnswersAsEPMD.
func TestCompatAnswersAsRealEPMD(t *testing.T) {
	for _, tc := range mapperCases() {
		t.Run(tc.name, func(t *testing.T) {
			addr := startRealEPMD(t)
			if got := ask(t, addr, tc); !bytes.Equal(got, tc.want) {
				t.Fatalf("epmd replied % x; the table says % x", got, tc.want)
			}
		})
	}
}

// commandTarget is a mapper the KILL_REQ and STOP_REQ tests send the same
// requests to, with foo registered on port 1000 by another connection:
// the real epmd (without -relaxed_command_check), or the embedded mapper
// of a chatd node, kate, registered in it.
type commandTarget struct {
	addr   string
	foo    *Registration
	exited <-chan struct{} // closed when epmd has exited; nil for chatd's mapper
}

// eachCommandTarget runs body against both targets, in parallel.
func eachCommandTarget(t *testing.T, body func(t *testing.T, target commandTarget)) {
	epmdBinary(t)
	starts := []struct {
		name  string
		start func(t *testing.T) (string, <-chan struct{})
	}{
		{"epmd", func(t *testing.T) (string, <-chan struct{}) { return startRealEPMDProcess(t) }},
		{"chatd node", func(t *testing.T) (string, <-chan struct{}) {
			addr := freeAddr(t)
			if !startRegistrar(t, addr, "kate", 6666).Embedded() {
				t.Fatalf("kate did not start the embedded mapper on %s", addr)
			}
			return addr, nil
		}},
	}
	for _, m := range starts {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			addr, exited := m.start(t)
			body(t, commandTarget{addr: addr, foo: register(t, addr, "foo", 1000), exited: exited})
		})
	}
}

// The requests of the suite's command cases, and the reply to STOP_REQ.
var (
	killReq    = mapperCase{frame: []byte{0, 1, 'k'}}
	stopFoo    = mapperCase{frame: []byte{0, 4, 's', 'f', 'o', 'o'}}
	stopNobody = mapperCase{frame: []byte{0, 6, 's', 'x', 'x', 'x', '4', '2'}}
)

// hangUp is what a STOP_REQ gets: nothing, then the connection closes
// (epmd answers STOP_REQ only with -relaxed_command_check).
const hangUp = ""

// waitUnregistered waits until the mapper at addr no longer knows name.
func waitUnregistered(t *testing.T, addr, name string) {
	t.Helper()
	testkit.WaitForNil(t, 2*time.Second, "the mapper forgets "+name, func() error {
		_, err := Lookup(testkit.Ctx(t, testkit.Wait), addr, name)
		if errors.Is(err, ErrNotRegistered) {
			return nil
		}
		return fmt.Errorf("lookup %s: %v", name, err)
	})
}

// TestCompatKillReq is OTP epmd_SUITE's no_live_killing against both
// mappers: KILL_REQ gets NO while foo is registered, STOP_REQ foo is hung
// up on and leaves foo registered, and once foo has gone KILL_REQ gets OK.
// epmd then exits; chatd's mapper, whose own node kate does not count,
// goes on serving kate.
func TestCompatKillReq(t *testing.T) {
	eachCommandTarget(t, func(t *testing.T, target commandTarget) {
		addr := target.addr
		if got := ask(t, addr, killReq); string(got) != wire.EPMDKillRefused {
			t.Fatalf("KILL_REQ with foo registered: %q; want %q", got, wire.EPMDKillRefused)
		}
		if got := ask(t, addr, stopFoo); string(got) != hangUp {
			t.Fatalf("STOP_REQ foo: %q; want a hang-up without reply", got)
		}
		if _, err := Lookup(testkit.Ctx(t, testkit.Wait), addr, "foo"); err != nil {
			t.Fatalf("foo after STOP_REQ: %v; want still registered", err)
		}
		target.foo.Close()
		waitUnregistered(t, addr, "foo")
		if got := ask(t, addr, killReq); string(got) != wire.EPMDKillOK {
			t.Fatalf("KILL_REQ once foo has gone: %q; want %q", got, wire.EPMDKillOK)
		}
		if target.exited != nil {
			select {
			case <-target.exited:
			case <-time.After(5 * time.Second):
				t.Fatal("epmd did not exit after answering OK")
			}
			return
		}
		if e, err := Lookup(testkit.Ctx(t, testkit.Wait), addr, "kate"); err != nil || e.Port != 6666 {
			t.Fatalf("the mapper stopped serving its node after KILL_REQ: %+v, %v", e, err)
		}
	})
}

// TestCompatStopReq is OTP epmd_SUITE's unregister_others_name_1 and _2
// as they go without -relaxed_command_check (the suite runs them with it,
// where epmd answers STOPPED and NOEXIST): STOP_REQ from a connection
// that did not register the name is hung up on without a reply, for a
// registered name (which stays registered) as for an unknown one.
func TestCompatStopReq(t *testing.T) {
	eachCommandTarget(t, func(t *testing.T, target commandTarget) {
		for _, tc := range []mapperCase{stopFoo, stopNobody} {
			if got := ask(t, target.addr, tc); string(got) != hangUp {
				t.Fatalf("STOP_REQ %q: %q; want a hang-up without reply", tc.frame[3:], got)
			}
		}
		if e, err := Lookup(testkit.Ctx(t, testkit.Wait), target.addr, "foo"); err != nil || e.Port != 1000 {
			t.Fatalf("foo after STOP_REQ: %+v, %v; want still registered", e, err)
		}
	})
}

// TestCompatPacketTimeoutPerRead: epmd -packet_timeout 1 answers the slow
// clients of slowPauses and closes a silent one after 2 s (its clock
// counts whole seconds); so does the embedded mapper with PacketTimeout
// 1 s.
func TestCompatPacketTimeoutPerRead(t *testing.T) {
	epmdBinary(t)
	const timeout = time.Second
	mappers := []struct {
		name  string
		start func(t *testing.T) string
	}{
		{"epmd", func(t *testing.T) string { return startRealEPMD(t, "-packet_timeout", "1") }},
		{"embedded", func(t *testing.T) string {
			return startServer(t, ServerConfig{PacketTimeout: timeout}).Addr().String()
		}},
	}
	for _, m := range mappers {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			addr := m.start(t)
			register(t, addr, "foo", 1042)
			for _, p := range slowPauses() {
				slowLookup(t, addr, p)
			}
			if took := silentFor(t, addr); took < timeout || took > timeout+2*time.Second {
				t.Fatalf("silent client closed after %v; want about %v", took, timeout+packetTimeoutGrace)
			}
		})
	}
}
