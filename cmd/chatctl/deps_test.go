package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps chatctl from linking daemon code and the config file's
// decoder: the client talks to the daemon only through the control API
// types in wire, and finds its socket through chatd/paths.
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
		if why := bannedDep(dep); why != "" {
			t.Errorf("chatctl depends on %s; %s", dep, why)
		}
	}
}

// bannedDep says why chatctl must not link the package dep, or "" when it
// may.
func bannedDep(dep string) string {
	banned := []struct{ pkg, why string }{
		{"chatd/daemon", "it must reach the daemon only through its control socket"},
		{"chatd/config", "it finds sockets through chatd/paths and never reads the daemon's config file"},
		{"github.com/BurntSushi/toml", "it never reads the daemon's config file"},
	}
	for _, b := range banned {
		if dep == b.pkg || strings.HasPrefix(dep, b.pkg+"/") {
			return b.why
		}
	}
	return ""
}

func TestBannedDep(t *testing.T) {
	tests := []struct {
		dep    string
		banned bool
	}{
		{"chatd/daemon", true},
		{"chatd/daemon/control", true},
		{"chatd/config", true},
		{"github.com/BurntSushi/toml", true},
		{"github.com/BurntSushi/toml/internal", true},
		{"chatd/daemonish", false},
		{"chatd/paths", false},
		{"chatd/wire", false},
		{"github.com/urfave/cli/v2", false},
	}
	for _, tc := range tests {
		if got := bannedDep(tc.dep) != ""; got != tc.banned {
			t.Errorf("bannedDep(%q) banned = %v, want %v", tc.dep, got, tc.banned)
		}
	}
}
