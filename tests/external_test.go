package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestExternalNodes is the lesson's first way of testing distributed code
// (@tag :distributed): it runs only against nodes started outside the
// test, for example by systemd, named in CHATD_TEST_NODES:
//
//	systemctl start chatd@alex chatd@kate
//	CHATD_TEST_NODES=alex,kate go test ./tests -run TestExternalNodes -v
//
// The control sockets are looked up under $CHATD_RUNTIME_DIR (else
// /run/chatd as root, else $XDG_RUNTIME_DIR/chatd), as chatctl does. The
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
	root := os.Getenv("CHATD_RUNTIME_DIR")
	switch {
	case root != "":
	case os.Getuid() == 0:
		root = "/run/chatd"
	default:
		root = filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "chatd")
	}
	nodes := make([]*node, len(names))
	for i, name := range names {
		sock := filepath.Join(root, name, "control.sock")
		nodes[i] = &node{name: name, hc: unixClient(sock)}
		var st map[string]any
		if err := nodes[i].api("GET", "/v1/status", nil, &st); err != nil {
			t.Skipf("node %s is not reachable at %s (%v): start it, or unset CHATD_TEST_NODES", name, sock, err)
		}
	}
	from, to := nodes[0], nodes[1]
	text := fmt.Sprintf("external test %d", time.Now().UnixNano())
	var sent struct{ ID, To string }
	if err := from.api("POST", "/v1/send", map[string]string{"to": to.name, "text": text}, &sent); err != nil {
		t.Fatalf("send from %s to %s: %v", from.name, to.name, err)
	}
	var got struct{ Messages []message }
	if err := to.api("GET", "/v1/messages", nil, &got); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got.Messages, func(m message) bool { return m.ID == sent.ID && m.Text == text }) {
		t.Fatalf("%s did not receive message %s", to.name, sent.ID)
	}
}
