package sink

import (
	"errors"
	"maps"
	"testing"

	"github.com/coreos/go-systemd/v22/journal"
)

// sentRecord is one call of an injected journal send function.
type sentRecord struct {
	message  string
	priority journal.Priority
	vars     map[string]string
}

func TestJournalFields(t *testing.T) {
	var got []sentRecord
	w := NewJournal()
	w.(*journalWriter).send = func(message string, priority journal.Priority, vars map[string]string) error {
		got = append(got, sentRecord{message, priority, maps.Clone(vars)})
		return nil
	}
	m := msg(3)
	m.Text = "hi\nthere" // journald records are binary-safe: no escaping
	if err := w.Write(m); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("%d records sent, want 1", len(got))
	}
	rec := got[0]
	if rec.message != "hi\nthere" {
		t.Errorf("MESSAGE = %q, want %q", rec.message, "hi\nthere")
	}
	if rec.priority != journal.PriInfo {
		t.Errorf("PRIORITY = %d, want 6 (info)", rec.priority)
	}
	want := map[string]string{
		"CHAT_FROM":         "alex@localhost",
		"CHAT_TO":           "kate@localhost",
		"CHAT_ID":           "id-3",
		"SYSLOG_IDENTIFIER": "chatd",
	}
	if !maps.Equal(rec.vars, want) {
		t.Errorf("fields = %v, want %v", rec.vars, want)
	}
}

func TestJournalSendError(t *testing.T) {
	w := NewJournal()
	w.(*journalWriter).send = func(string, journal.Priority, map[string]string) error {
		return errDiskFull
	}
	err := w.Write(msg(4))
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("Write: %v, want %v", err, errDiskFull)
	}
}

func TestUseJournal(t *testing.T) {
	tests := []struct {
		name    string
		stream  string // JOURNAL_STREAM
		enabled bool   // journald socket reachable
		want    bool
	}{
		{"unset, socket reachable", "", true, false},
		{"unset, no socket", "", false, false},
		{"set, socket reachable", "8:12345", true, true},
		{"set, no socket", "8:12345", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "JOURNAL_STREAM" {
					return tt.stream
				}
				return ""
			}
			if got := useJournal(getenv, func() bool { return tt.enabled }); got != tt.want {
				t.Errorf("useJournal = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("exported, unset", func(t *testing.T) {
		if UseJournal(func(string) string { return "" }) {
			t.Error("UseJournal with JOURNAL_STREAM unset = true, want false")
		}
	})
}
