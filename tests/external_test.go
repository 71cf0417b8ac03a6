package tests

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"chatd/client"
	"chatd/paths"
	"chatd/wire"
)

// TestExternalNodes is the lesson's first way of testing distributed code
// (@tag :distributed): it runs only against nodes started outside the
// test, for example by systemd, named in CHATD_TEST_NODES:
//
//	systemctl start chatd@alex chatd@kate
//	CHATD_TEST_NODES=alex,kate go test ./tests -run TestExternalNodes -v
//
// The control sockets are looked up where chatctl looks for them
// (paths.ClientRuntimeRoot: $CHATD_RUNTIME_DIR, else /run/chatd as root,
// else $XDG_RUNTIME_DIR/chatd or /run/chatd). The
// default suite starts its own nodes instead.
func TestExternalNodes(t *testing.T) {
	spec := os.Getenv("CHATD_TEST_NODES")
	if spec == "" {
		t.Skip("no external nodes: set CHATD_TEST_NODES=alex,kate to test nodes started outside the test (the rest of the suite starts its own)")
	}
	names := strings.Split(spec, ",")
	if len(names) < 2 {
		t.Fatalf("CHATD_TEST_NODES=%q: name at least two nodes, like alex,kate", spec)
	}
	root := paths.ClientRuntimeRoot(os.Getenv, os.Getuid())
	clients := make([]*client.Client, len(names))
	for i, name := range names {
		sock := paths.SocketPath(root, name)
		clients[i] = client.New(sock)
		t.Cleanup(clients[i].CloseIdleConnections)
		if _, err := clients[i].Status(apiCtx(t)); err != nil {
			t.Skipf("node %s is not reachable at %s (%v): start it, or unset CHATD_TEST_NODES", name, sock, err)
		}
	}
	from, to := clients[0], clients[1]
	text := fmt.Sprintf("external test %d", time.Now().UnixNano())
	sent, err := from.Send(apiCtx(t), names[1], text)
	if err != nil {
		t.Fatalf("send from %s to %s: %v", names[0], names[1], err)
	}
	got, err := to.Messages(apiCtx(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got.Messages, func(m wire.Message) bool { return m.ID == sent.ID && m.Text == text }) {
		t.Fatalf("%s did not receive message %s", names[1], sent.ID)
	}
}
