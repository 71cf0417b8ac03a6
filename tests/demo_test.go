package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoNeedsOnlyGo: `make demo` runs as an ordinary user on a machine
// with only Go (issue 14, point 4). Its prerequisites install nothing (no
// apt-get, no Erlang), and scripts/demo.sh runs with a PATH that has no
// epmd, erl, iex or apt-get, as an unprivileged user when the test runs as
// root.
func TestDemoNeedsOnlyGo(t *testing.T) {
	dry, err := exec.Command("make", "-C", "..", "--dry-run", "demo").CombinedOutput()
	if err != nil {
		t.Fatalf("make --dry-run demo: %v\n%s", err, dry)
	}
	for _, bad := range []string{"apt-get", "epmd", "iex", "erlang", "elixir"} {
		if strings.Contains(string(dry), bad) {
			t.Errorf("make demo would run something that needs %s (a prerequisite like deps?):\n%s", bad, dry)
		}
	}

	dir := worldReadableDir(t)
	bin := filepath.Join(dir, "bin")
	tools := filepath.Join(dir, "tools")
	for _, d := range []string{bin, tools} {
		mkdirMode(t, d, 0o755)
	}
	for _, d := range []string{filepath.Join(dir, "home"), filepath.Join(dir, "tmp")} {
		mkdirMode(t, d, 0o777) // the demo's user writes here
	}
	copyFile(t, built.chatd, filepath.Join(bin, "chatd"), 0o755)
	copyFile(t, built.chatctl, filepath.Join(bin, "chatctl"), 0o755)
	// The only programs the demo may find: bash and the coreutils it uses.
	for _, tool := range []string{"bash", "mktemp", "seq", "sleep", "rm", "cat"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s not found: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(tools, tool)); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(tools, "bash"), "../scripts/demo.sh", bin)
	cmd.Env = []string{"PATH=" + tools, "HOME=" + filepath.Join(dir, "home"), "TMPDIR=" + filepath.Join(dir, "tmp"),
		"GORACE=atexit_sleep_ms=0"}
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/demo.sh as uid %d with PATH=%s: %v\n%s", demoUID(), tools, err, out)
	}
	for _, want := range []string{"started alex, kate and moebi@localhost", "pong", "Hi, my name is kate",
		"chicken?", "how are you?", "stopping the nodes"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
}

// demoUID is the user the demo runs as: nobody when the test is root.
func demoUID() int {
	if os.Getuid() == 0 {
		return 65534
	}
	return os.Getuid()
}

// worldReadableDir returns a new directory any user may enter, removed
// when the test ends (t.TempDir's are the test user's only).
func worldReadableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "chatd-demo-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	mkdirMode(t, dir, 0o755)
	return dir
}

// mkdirMode makes dir (if needed) with mode, whatever the umask.
func mkdirMode(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}
