package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps chatctl from linking daemon code: the client talks to the
// daemon only through the control API types in wire.
func TestDeps(t *testing.T) {
	goTool, err := exec.LookPath("go") // go test puts its own go first in PATH
	if err != nil {
		t.Fatalf("find the go command: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "chatd/cmd/chatctl").Output()
	if err != nil {
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			t.Fatalf("go list -deps chatd/cmd/chatctl: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list -deps chatd/cmd/chatctl: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps chatd/cmd/chatctl listed nothing")
	}
	for _, dep := range deps {
		if dep == "chatd/daemon" || strings.HasPrefix(dep, "chatd/daemon/") {
			t.Errorf("chatctl depends on %s; it must reach the daemon only through its control socket", dep)
		}
	}
}
