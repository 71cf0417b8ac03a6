package main

import (
	"strings"
	"testing"

	"chatd/wire"
)

// TestFlush checks that flush prints both kinds of mailbox entry, oldest
// first, and then, the mailbox being empty, nothing.
func TestFlush(t *testing.T) {
	alex := startAlex(t)
	want := "<kate@localhost.42.7> sup?\n" +
		"<moebi@localhost.3.1> EXIT noconnection\n" +
		"<kate@localhost.43.7> \"two\\nlines\"\n"
	if got := runApp(t, "--socket", alex.socket, "flush"); got.code != exitOK || got.stdout != want || got.stderr != "" {
		t.Errorf("flush = %+v, want exit 0 and stdout %q", got, want)
	}
	if got := runApp(t, "--socket", alex.socket, "flush"); got.code != exitOK || got.stdout != "" || got.stderr != "" {
		t.Errorf("flush of an empty mailbox = %+v, want exit 0 and no output", got)
	}
}

func TestMailboxLine(t *testing.T) {
	tests := []struct {
		name string
		m    wire.MailboxMessage
		want string
	}{
		{"message", wire.MailboxMessage{From: "<kate@localhost.42.7>", Text: "sup?"}, "<kate@localhost.42.7> sup?"},
		{"exit notice", wire.MailboxMessage{From: "<kate@localhost.42.7>", Exit: true, Reason: wire.ExitNoConnection},
			"<kate@localhost.42.7> EXIT noconnection"},
		{"exit notice with text ignored", wire.MailboxMessage{From: "<kate@localhost.42.7>", Text: "x", Exit: true, Reason: "killed"},
			"<kate@localhost.42.7> EXIT killed"},
		{"control characters quoted", wire.MailboxMessage{From: "<kate@localhost.42.7>", Text: "\x1b[2Jhi"},
			`<kate@localhost.42.7> "\x1b[2Jhi"`},
		{"empty text", wire.MailboxMessage{From: "<kate@localhost.42.7>"}, "<kate@localhost.42.7> "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mailboxLine(tt.m); got != tt.want {
				t.Errorf("mailboxLine = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSendBadPid checks that a malformed pid TARGET is a usage error that
// shows the accepted form and never reaches the daemon.
func TestSendBadPid(t *testing.T) {
	alex := startAlex(t)
	long := "<kate@localhost." + strings.Repeat("1", 500-len("<kate@localhost..7>")) + ".7>"
	if len(long) != 500 {
		t.Fatalf("long pid is %d bytes, want 500", len(long))
	}
	tests := []struct {
		name string
		pid  string
		why  string
	}{
		{"no id", "<kate>", "no .ID.CREATION after the node name"},
		{"id not a number", "<x@y.a.b>", `id "a" is not a number`},
		{"too long", long, "500 bytes long, the limit is 400"},
		{"no closing bracket", "<kate@localhost.42.7", "not enclosed in < >"},
		{"bad name", "<k ate@localhost.42.7>", "bad node name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runApp(t, "--socket", alex.socket, "send", tt.pid, "hi")
			if got.code != exitUsage || got.stdout != "" {
				t.Errorf("send %.40q = %+v, want exit %d and no stdout", tt.pid, got, exitUsage)
			}
			for _, want := range []string{
				"chatctl: send: bad pid ", tt.why,
				"\nusage: chatctl [--node N | --socket PATH] [--json] [--timeout D] send TARGET TEXT...\n" +
					"A pid TARGET is " + wire.PidFormat + ".\n",
			} {
				if !strings.Contains(got.stderr, want) {
					t.Errorf("stderr = %q, want it to contain %q", got.stderr, want)
				}
			}
			if len(got.stderr) > 400 {
				t.Errorf("stderr is %d bytes, want the pid cut short: %q", len(got.stderr), got.stderr)
			}
		})
	}
	if n := alex.log.hits.Load(); n != 0 {
		t.Errorf("the daemon got %d requests for malformed pids, want 0", n)
	}
}
