package main

import (
	"io"
	"strings"
	"testing"
)

// TestManPage checks that chatctl(1) holds, from the same definitions as
// --help, every command with its full help, and the sections a manual
// has.
func TestManPage(t *testing.T) {
	isolate(t)
	got := runApp(t, "docs", "man")
	if got.code != exitOK {
		t.Fatalf("docs man = %+v", got)
	}
	man := got.stdout
	for _, want := range []string{".TH CHATCTL 1", ".SH SYNOPSIS", ".SH OPTIONS", ".SH COMMANDS",
		".SH EXIT STATUS", ".SH ENVIRONMENT", "CHATCTL_NODE", ".SH FILES", "control.sock", ".SH SEE ALSO"} {
		if !strings.Contains(man, want) {
			t.Errorf("chatctl(1) lacks %q", want)
		}
	}
	for _, cmd := range newApp(io.Discard, io.Discard).Commands {
		if cmd.Hidden {
			continue
		}
		if !strings.Contains(man, ".SS \"chatctl "+strings.ReplaceAll(cmd.Name, "-", `\-`)) {
			t.Errorf("chatctl(1) has no section for %s", cmd.Name)
		}
		for _, line := range strings.Split(cmd.Description, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if roff := strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(line); !strings.Contains(man, roff) {
				t.Errorf("chatctl(1) lacks the line %q of %s --help", line, cmd.Name)
			}
		}
	}
}

// TestCompletion checks what the completion scripts get from chatctl
// __complete: running node names for --node and NODE, flags, commands.
func TestCompletion(t *testing.T) {
	root := isolate(t)
	startFake(t, root, "alex")
	startFake(t, root, "kate")
	staleSocket(t, root+"/bob/control.sock")
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"--node", ""}, "alex\nkate\n"},
		{[]string{"--node", "k"}, "kate\n"},
		{[]string{"--node", "alex", "ping", ""}, "alex\nkate\n"},
		{[]string{"sn"}, ""},
		{[]string{"se"}, "send\n"},
		{[]string{"messages", "--fo"}, "--follow\n"},
		{[]string{"status", "--js"}, "--json\n"},
		{[]string{"--socket", ""}, ""}, // the shell offers files
	}
	for _, tt := range tests {
		got := runApp(t, append([]string{"__complete"}, tt.words...)...)
		if got.code != exitOK || got.stdout != tt.want {
			t.Errorf("__complete %q = %+v, want %q", tt.words, got, tt.want)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if got := runApp(t, "docs", shell); got.code != exitOK || !strings.Contains(got.stdout, " __complete ") {
			t.Errorf("docs %s = %+v, want a script calling __complete", shell, got)
		}
	}
}
