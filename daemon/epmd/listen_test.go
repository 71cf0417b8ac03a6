package epmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"

	"chatd/internal/fdgate"
	"chatd/internal/testkit"
)

func TestListenAddrs(t *testing.T) {
	tests := []struct {
		name  string
		extra []string
		want  []string
	}{
		{"loopbacks", nil, []string{"127.0.0.1", "::1"}},
		{"a loopback named again", []string{"127.0.0.1", "::1"}, []string{"127.0.0.1", "::1"}},
		{"an extra address", []string{"10.0.0.5", "::ffff:10.0.0.5", "2001:db8::1"}, []string{"127.0.0.1", "::1", "10.0.0.5", "2001:db8::1"}},
		{"0.0.0.0 covers 127.0.0.1", []string{"0.0.0.0"}, []string{"::1", "0.0.0.0"}},
		{":: covers ::1", []string{"::"}, []string{"127.0.0.1", "::"}},
		{"a host name is resolved", []string{"localhost"}, []string{"127.0.0.1", "::1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addrs, err := listenAddrs(testkit.Ctx(t, testkit.Wait), tc.extra, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range addrs {
				got = append(got, a.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("listenAddrs(%q) = %q; want %q", tc.extra, got, tc.want)
			}
		})
	}
	if _, err := listenAddrs(testkit.Ctx(t, testkit.Wait), []string{"no-such-host.invalid"}, nil); err == nil || !strings.Contains(err.Error(), "no-such-host.invalid") {
		t.Fatalf("unresolvable host: err = %v; want one naming it", err)
	}
}

// startPortServer starts an embedded mapper with ListenPort on a free port
// and stops it when the test ends.
func startPortServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	s, err := cfg.ListenPort(testkit.Ctx(t, testkit.Wait), 0)
	return closeAtEnd(t, s, err)
}

// TestServerListensOnBothLoopbacks registers over ::1, as an Erlang node
// started with -proto_dist inet6_tcp does, and looks the node up over
// 127.0.0.1 (and the other way round).
func TestServerListensOnBothLoopbacks(t *testing.T) {
	s := startPortServer(t, ServerConfig{})
	var got []string
	for _, a := range s.Addrs() {
		got = append(got, a.String())
	}
	port := s.Addr().(*net.TCPAddr).Port
	v4, v6 := fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("[::1]:%d", port)
	if want := []string{v4, v6}; !slices.Equal(got, want) {
		t.Fatalf("Addrs() = %q; want %q", got, want)
	}
	tests := []struct{ register, lookup string }{{v6, v4}, {v4, v6}}
	for i, tc := range tests {
		t.Run("register on "+tc.register, func(t *testing.T) {
			name := fmt.Sprintf("node%d", i)
			register(t, tc.register, name, 5555)
			if e, err := Lookup(testkit.Ctx(t, testkit.Wait), tc.lookup, name); err != nil || e.Port != 5555 {
				t.Fatalf("Lookup on %s = %+v, %v", tc.lookup, e, err)
			}
			names, err := Names(testkit.Ctx(t, testkit.Wait), tc.register)
			if err != nil || !slices.Contains(names, NameEntry{Name: name, Port: 5555}) {
				t.Fatalf("Names on %s = %+v, %v", tc.register, names, err)
			}
		})
	}
}

// recordHandler keeps the messages of the records it handles.
type recordHandler struct {
	slog.Handler
	msgs chan string
}

func (recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.msgs <- r.Message:
	default: // the test reads only the first records
	}
	return nil
}

func TestServerWithoutIPv6ServesIPv4(t *testing.T) {
	logs := recordHandler{Handler: slog.DiscardHandler, msgs: make(chan string, 10)}
	var lc net.ListenConfig
	noIPv6Host := func(ctx context.Context, network, addr string) (net.Listener, error) {
		if network == "tcp6" {
			return nil, &net.OpError{Op: "listen", Net: network, Err: syscall.EADDRNOTAVAIL}
		}
		return lc.Listen(ctx, network, addr)
	}
	s := startPortServer(t, ServerConfig{Logger: slog.New(logs), listen: noIPv6Host, Gate: fdgate.New()})
	if addrs := s.Addrs(); len(addrs) != 1 || !addrs[0].(*net.TCPAddr).IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("Addrs() = %v; want 127.0.0.1 alone", addrs)
	}
	select {
	case msg := <-logs.msgs:
		if !strings.Contains(msg, "IPv4 only") {
			t.Fatalf("logged %q; want a warning that the mapper serves IPv4 only", msg)
		}
	default:
		t.Fatal("no warning logged that the mapper serves IPv4 only")
	}
	register(t, s.Addr().String(), "alex", 5555)

	taken := func(ctx context.Context, network, addr string) (net.Listener, error) {
		if network == "tcp6" {
			return nil, &net.OpError{Op: "listen", Net: network, Err: syscall.EADDRINUSE}
		}
		return lc.Listen(ctx, network, addr)
	}
	_, err := ServerConfig{listen: taken}.ListenPort(testkit.Ctx(t, testkit.Wait), 0)
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "[::1]") {
		t.Fatalf("::1 taken: err = %v; want EADDRINUSE naming [::1]", err)
	}
}

func TestRegistrarEmbeddedMapperAnswersOnIPv6(t *testing.T) {
	addr := freeAddr(t)
	alex := startRegistrar(t, addr, "alex", 5555)
	if !alex.Embedded() {
		t.Fatal("registrar did not start the embedded mapper")
	}
	_, port, _ := net.SplitHostPort(addr)
	v6 := net.JoinHostPort("::1", port)
	reg := register(t, v6, "erl6", 6666)
	if reg.Creation() < 4 {
		t.Errorf("creation %d over ::1; want >= 4", reg.Creation())
	}
	if e, err := Lookup(testkit.Ctx(t, testkit.Wait), addr, "erl6"); err != nil || e.Port != 6666 {
		t.Fatalf("Lookup erl6 over 127.0.0.1 = %+v, %v", e, err)
	}
}
