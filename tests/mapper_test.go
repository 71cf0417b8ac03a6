package tests

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// epmdPath finds the real epmd from Debian's erlang-base.
func epmdPath(t *testing.T) string { return debianTool(t, "epmd", "erlang-base") }

// epmdNames runs the real `epmd -port P -names` client.
func epmdNames(t *testing.T, port int) string {
	t.Helper()
	out, err := tryEPMDNames(t, port)
	if err != nil {
		t.Fatalf("epmd -port %d -names: %v\n%s", port, err, out)
	}
	return out
}

func tryEPMDNames(t *testing.T, port int) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, epmdPath(t), "-port", strconv.Itoa(port), "-names").CombinedOutput()
	return string(out), err
}

func listsAll(out string, names ...string) bool {
	for _, n := range names {
		if !strings.Contains(out, "name "+n+" at port ") {
			return false
		}
	}
	return true
}

func TestRealEPMDListsChatdNodes(t *testing.T) {
	c := newCluster(t)
	cmd := exec.Command(epmdPath(t), "-port", strconv.Itoa(c.mapperPort))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); <-exited })
	waitFor(t, 5*time.Second, "epmd to answer", func() bool {
		out, err := tryEPMDNames(t, c.mapperPort)
		return err == nil && strings.Contains(out, "up and running")
	})

	alex := c.start("alex")
	c.start("kate")
	if out := epmdNames(t, c.mapperPort); !listsAll(out, "alex", "kate") {
		t.Fatalf("epmd -names does not list the chatd nodes:\n%s", out)
	}
	if alex.status().MapperLocal {
		t.Fatal("alex runs its own mapper next to the real epmd")
	}
	if r := c.chatctl("--node", "alex", "ping", "kate@localhost"); r.code != 0 || strings.TrimSpace(r.stdout) != "pong" {
		t.Fatalf("ping through the real epmd: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestEmbeddedMapperAnswersRealClient(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	c.start("kate")
	c.start("moebi")
	if out := epmdNames(t, c.mapperPort); !listsAll(out, "alex", "kate", "moebi") {
		t.Fatalf("epmd -names against the embedded mapper:\n%s", out)
	}
}

func TestMapperTakeover(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex") // first up: holds the embedded mapper
	c.start("kate")
	c.start("moebi")
	if !alex.status().MapperLocal {
		t.Fatal("alex should hold the embedded mapper")
	}
	start := time.Now()
	alex.kill()
	waitFor(t, 5*time.Second, "kate and moebi to re-register and ping", func() bool {
		r := c.chatctl("--node", "kate", "ping", "moebi@localhost")
		out, err := tryEPMDNames(t, c.mapperPort)
		return r.code == 0 && err == nil && listsAll(out, "kate", "moebi")
	})
	t.Logf("re-registered and pinging %s after the mapper's node died", time.Since(start))
	if out := epmdNames(t, c.mapperPort); strings.Contains(out, "name alex ") {
		t.Fatalf("the dead alex is still registered:\n%s", out)
	}
}
