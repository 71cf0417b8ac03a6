package wire_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps wire free of daemon and config code: the wire format is
// shared by chatd, chatctl and any second implementation, so it must not
// pull in the running node or its configuration.
func TestDeps(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), "go", "list", "-deps", "chatd/wire")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps chatd/wire: %v\n%s", err, stderr)
	}
	deps := strings.Fields(string(out))
	var self bool
	for _, dep := range deps {
		if dep == "chatd/wire" {
			self = true
		}
		for _, banned := range []string{"chatd/daemon", "chatd/config"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("chatd/wire depends on %s; wire may import neither daemon/ nor config/", dep)
			}
		}
	}
	if !self {
		t.Fatalf("go list -deps chatd/wire did not list chatd/wire itself:\n%s", out)
	}
}
