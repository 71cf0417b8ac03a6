package sink

import (
	"fmt"

	"github.com/coreos/go-systemd/v22/journal"

	"chatd/wire"
)

// Journal field names of a received message. MESSAGE (the text) and
// PRIORITY are set by journal.Send itself.
const (
	FieldFrom = "CHAT_FROM"
	FieldTo   = "CHAT_TO"
	FieldID   = "CHAT_ID"

	// SyslogIdentifier is the SYSLOG_IDENTIFIER of every message record, so
	// `journalctl -t chatd` shows the received messages.
	SyslogIdentifier = "chatd"
)

// sendFunc has the shape of journal.Send.
type sendFunc func(message string, priority journal.Priority, vars map[string]string) error

// journalWriter is the Writer used under systemd: one journald record per message.
type journalWriter struct {
	send sendFunc // journal.Send; replaced in tests
}

// NewJournal returns a Writer that sends each message to journald as one
// record: MESSAGE is the text alone, with fields CHAT_FROM, CHAT_TO, CHAT_ID,
// SYSLOG_IDENTIFIER=chatd and PRIORITY=6 (info).
func NewJournal() Writer {
	return &journalWriter{send: journal.Send}
}

// Write sends m to journald.
func (j *journalWriter) Write(m wire.Message) error {
	vars := map[string]string{
		FieldFrom:           m.From,
		FieldTo:             m.To,
		FieldID:             m.ID,
		"SYSLOG_IDENTIFIER": SyslogIdentifier,
	}
	if err := j.send(m.Text, journal.PriInfo, vars); err != nil {
		return fmt.Errorf("send message %s to journald: %w", m.ID, err)
	}
	return nil
}

// UseJournal reports whether received messages should go to journald:
// JOURNAL_STREAM is set (stdout/stderr are connected to the journal, i.e.
// chatd runs under systemd) and journal.Enabled() (the journald socket is
// reachable). getenv is usually os.Getenv.
func UseJournal(getenv func(string) string) bool {
	return useJournal(getenv, journal.Enabled)
}

// useJournal is UseJournal with the socket probe injectable; enabled is
// called only when JOURNAL_STREAM is set.
func useJournal(getenv func(string) string, enabled func() bool) bool {
	return getenv("JOURNAL_STREAM") != "" && enabled()
}
