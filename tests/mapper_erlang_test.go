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

// erlEval runs a short-lived Erlang node with args that evaluates expr,
// which prints lines "key=value", halts, and returns the values by key.
func (c *cluster) erlEval(expr string, args ...string) map[string]string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.erlCommand(ctx, append(args, "-eval", expr+" halt().")...).CombinedOutput()
	got := map[string]string{}
	for line := range strings.Lines(string(out)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			got[k] = v
		}
	}
	if len(got) == 0 {
		c.t.Fatalf("erl %v printed nothing to check: %v\n%s", args, err, out)
	}
	return got
}

// erlPing runs a short-lived Erlang node with args that pings target and
// returns what net_adm:ping answered (pong or pang).
func (c *cluster) erlPing(target string, args ...string) string {
	c.t.Helper()
	return c.erlEval(`io:format("ping=~p~n", [net_adm:ping(list_to_atom("`+target+`"))]),`, args...)["ping"]
}

// ipv6Pair is what erl6a evaluates against erl6b: each node looks the
// other up in the mapper over ::1 and pings it, and erl6a lists the
// mapper's names over ::1.
const ipv6Pair = `B = 'erl6b@::1', L = {0,0,0,0,0,0,0,1},
	Show = fun(K, V) -> io:format("~s=~w~n", [K, V]) end,
	Show("a_lookup", erl_epmd:port_please("erl6b", L)),
	Show("a_ping", net_adm:ping(B)),
	Show("b_lookup", rpc:call(B, erl_epmd, port_please, ["erl6a", L])),
	Show("b_ping", rpc:call(B, net_adm, ping, [node()])),
	{ok, Names} = erl_epmd:names(L),
	io:format("names=~s~n", [lists:join(" ", [N || {N, _} <- Names])]),`

// TestMapperServesIPv6ErlangNodes: Erlang nodes started with -proto_dist
// inet6_tcp register with the embedded mapper over ::1, look each other up
// through it and ping each other, while IPv4 Erlang nodes and chatd nodes
// use the same mapper.
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
	t.Run("IPv6 Erlang to IPv6 Erlang and back", func(t *testing.T) {
		got := c.erlEval(ipv6Pair, append(inet6, "-name", "erl6a@::1")...)
		for _, k := range []string{"a_lookup", "b_lookup"} {
			if !strings.HasPrefix(got[k], "{port,") || !strings.HasSuffix(got[k], ",6}") {
				t.Errorf("%s = %q; want {port,P,6} from the mapper", k, got[k])
			}
		}
		for _, k := range []string{"a_ping", "b_ping"} {
			if got[k] != "pong" {
				t.Errorf("%s = %q; want pong", k, got[k])
			}
		}
		if n := " " + got["names"] + " "; !strings.Contains(n, " erl6a ") || !strings.Contains(n, " erl6b ") {
			t.Errorf("names over ::1 = %q; want erl6a and erl6b listed", n)
		}
	})
	t.Run("IPv4 Erlang to IPv4 Erlang", func(t *testing.T) {
		if got := c.erlPing("erl4b@localhost", "-sname", "erl4a@localhost"); got != "pong" {
			t.Fatalf("net_adm:ping(erl4b@localhost) = %s; want pong", got)
		}
	})
	if r := c.chatctl("--node", "alex", "ping", "kate@localhost"); r.code != 0 || strings.TrimSpace(r.stdout) != "pong" {
		t.Fatalf("chatd ping through the same mapper: %d %q %q", r.code, r.stdout, r.stderr)
	}
}
