package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chatd/cmd/internal/clidoc"
	"chatd/config"
)

// TestFlagHelpSaysDefaultOnce checks that no flag's help contradicts
// itself: a default written in the usage and another added by urfave/cli
// ("default 4369) (default: 0)").
func TestFlagHelpSaysDefaultOnce(t *testing.T) {
	for _, help := range clidoc.DoubleDefaults(newApp(io.Discard, io.Discard)) {
		t.Errorf("flag help %q says default twice", help)
	}
}

// TestLogLevelFlag checks --log-level: it sets log.level over the
// environment, and a bad one is refused naming the flag.
func TestLogLevelFlag(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	empty := filepath.Join(dir, "chatd.toml") // no file of the machine's
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHATD_CONFIG", empty)
	t.Setenv("CHATD_LOG_LEVEL", "error")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"chatd", "check", "--name", "zed", "--log-level", "debug"}, &stdout, &stderr); code != 0 {
		t.Fatalf("chatd check --log-level debug = %d, stderr %q", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "[log]\nlevel = \"debug\"") {
		t.Errorf("chatd check --log-level debug printed %q, want level = \"debug\" under [log]", stdout.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"chatd", "check", "--name", "zed", "--log-level", "trace"}, &stdout, &stderr); code != 1 {
		t.Errorf("chatd check --log-level trace = %d, want 1", code)
	}
	if want := `--log-level: log.level: "trace" is not a log level`; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr.String(), want)
	}
}

// TestManPage checks that chatd(8) holds every config key with its
// default, the variables that set them, and the sections a manual has.
func TestManPage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"chatd", "docs", "man"}, &stdout, &stderr); code != 0 {
		t.Fatalf("chatd docs man = %d: %s", code, stderr.String())
	}
	man := stdout.String()
	for _, want := range []string{".TH CHATD 8", ".SH SYNOPSIS", ".SH OPTIONS", ".SH COMMANDS", `.SS "chatd check"`,
		"\\-\\-log\\-level", ".SH CONFIGURATION", "await_timeout = \"5s\"", "[metrics]", ".SH ENVIRONMENT",
		".SH FILES", "control.sock", "/etc/chatd/cookie", ".SH SIGNALS", "SIGHUP", "SIGTERM", ".SH EXIT STATUS"} {
		if !strings.Contains(man, want) {
			t.Errorf("chatd(8) lacks %q", want)
		}
	}
	for _, v := range config.EnvVars() {
		if !strings.Contains(man, v.Name+"\n.RS 4\n.nf\nsets "+v.Key+".\n") {
			t.Errorf("chatd(8) does not say %s sets %s", v.Name, v.Key)
		}
	}
}
