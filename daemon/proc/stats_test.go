package proc

import (
	"testing"

	"chatd/wire"
)

// TestStats counts the processes and the messages waiting in their
// mailboxes.
func TestStats(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	if got := tb.Stats(); got != (Stats{Processes: 1}) {
		t.Fatalf("a table with only the shell: %+v", got)
	}
	p := mustAttach(t, tb, "reply")
	from := tb.Shell().Pid()
	for _, m := range []struct {
		to   wire.Pid
		text string
	}{{p.Pid(), "a"}, {p.Pid(), "b"}, {p.Pid(), "c"}, {from, "d"}} {
		if err := tb.Send(m.to, Message{From: from, Text: m.text}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := tb.Stats(), (Stats{Processes: 2, Queued: 4, Deepest: 3}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}
