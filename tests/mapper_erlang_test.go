package tests

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatd/internal/testkit"
)

// erlPath finds erl from Debian's erlang-base.
func erlPath(t *testing.T) string { return debianTool(t, "erl", "erlang-base") }

// erlCookie is the cookie of the Erlang nodes the tests start (they never
// talk to chatd nodes).
const erlCookie = "e2e-erlang-cookie"

// erlCommand is erl with args, using the cluster's mapper port and never
// starting an epmd of its own.
func (c *cluster) erlCommand(ctx context.Context, args ...string) *exec.Cmd {
	c.t.Helper()
	base := []string{"-noshell", "-start_epmd", "false", "-setcookie", erlCookie}
	cmd := exec.CommandContext(ctx, erlPath(c.t), append(base, args...)...)
	cmd.Env = append(c.baseEnv(), "ERL_EPMD_PORT="+strconv.Itoa(c.mapperPort))
	return cmd
}

// startErl runs an Erlang node with args until the test ends, when it is
// killed (also when the test fails), and waits until the mapper lists it
// as name.
func (c *cluster) startErl(name string, args ...string) {
	c.t.Helper()
	cmd := c.erlCommand(context.Background(), args...)
	out := &testkit.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start erl %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	c.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if c.t.Failed() {
			c.t.Logf("--- erl %s output:\n%s", name, out.String())
		}
	})
	waitFor(c.t, 20*time.Second, "erl "+name+" to register with the mapper", func() bool {
		select {
		case <-exited:
			c.t.Fatalf("erl %s exited before registering:\n%s", name, out.String())
		default:
		}
		names, err := tryEPMDNames(c.t, c.mapperPort)
		return err == nil && listsAll(names, name)
	})
}

// erlPing runs a short-lived Erlang node with args that pings target and
// returns what net_adm:ping answered (pong or pang).
func (c *cluster) erlPing(target string, args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eval := `io:format("ping=~p~n", [net_adm:ping(list_to_atom("` + target + `"))]), halt().`
	out, err := c.erlCommand(ctx, append(args, "-eval", eval)...).CombinedOutput()
	for line := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "ping="); ok {
			return v
		}
	}
	c.t.Fatalf("erl %v pinging %s: %v\n%s", args, target, err, out)
	return ""
}

// TestMapperServesIPv6ErlangNodes: Erlang nodes started with -proto_dist
// inet6_tcp register with the embedded mapper over ::1 and ping each other
// through it, while IPv4 Erlang nodes and chatd nodes use the same mapper.
func TestMapperServesIPv6ErlangNodes(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex")
	c.start("kate")
	if !alex.status().MapperLocal {
		t.Fatal("alex should run the embedded mapper")
	}
	inet6 := []string{"-proto_dist", "inet6_tcp"}
	c.startErl("erl6b", append(inet6, "-name", "erl6b@::1")...)
	c.startErl("erl4b", "-sname", "erl4b@localhost")

	if out := epmdNames(t, c.mapperPort); !listsAll(out, "alex", "kate", "erl6b", "erl4b") {
		t.Fatalf("the mapper does not list every node:\n%s", out)
	}
	pings := []struct {
		name, target string
		args         []string
	}{
		{"IPv6 Erlang to IPv6 Erlang", "erl6b@::1", append(inet6, "-name", "erl6a@::1")},
		{"IPv4 Erlang to IPv4 Erlang", "erl4b@localhost", []string{"-sname", "erl4a@localhost"}},
	}
	for _, p := range pings {
		t.Run(p.name, func(t *testing.T) {
			if got := c.erlPing(p.target, p.args...); got != "pong" {
				t.Fatalf("net_adm:ping(%s) = %s; want pong", p.target, got)
			}
		})
	}
	if r := c.chatctl("--node", "alex", "ping", "kate@localhost"); r.code != 0 || strings.TrimSpace(r.stdout) != "pong" {
		t.Fatalf("chatd ping through the same mapper: %d %q %q", r.code, r.stdout, r.stderr)
	}
}
