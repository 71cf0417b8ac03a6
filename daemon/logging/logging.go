// Package logging builds chatd's operational logger: text on stderr, or,
// under systemd with journald reachable, journal records with a priority
// and structured fields (CHAT_PEER for the peer of a link event).
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/coreos/go-systemd/v22/journal"
)

// New returns a logger at level: journald records when useJournal, else
// text lines on w.
func New(w io.Writer, level *slog.LevelVar, useJournal bool) *slog.Logger {
	if useJournal {
		return slog.New(&JournalHandler{Level: level, Send: journal.Send})
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// JournalHandler is a slog.Handler that writes one journald record per log
// record. MESSAGE is the message followed by its attributes as key=value;
// each attribute is also a field CHATD_<KEY>, and the "node" attribute of
// link events is CHAT_PEER.
type JournalHandler struct {
	Level slog.Leveler
	// Send writes a record; journal.Send in production.
	Send  func(message string, priority journal.Priority, vars map[string]string) error
	attrs []slog.Attr // from WithAttrs, each wrapped in the group open then
	group string      // the open groups, dotted
}

// Enabled implements slog.Handler.
func (h *JournalHandler) Enabled(_ context.Context, l slog.Level) bool {
	return h.Level == nil || l >= h.Level.Level()
}

// Handle implements slog.Handler.
func (h *JournalHandler) Handle(_ context.Context, r slog.Record) error {
	vars := map[string]string{"SYSLOG_IDENTIFIER": "chatd"}
	var msg strings.Builder
	msg.WriteString(r.Message)
	for _, a := range h.attrs {
		addAttr(&msg, vars, "", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		addAttr(&msg, vars, h.group, a)
		return true
	})
	err := h.Send(msg.String(), priority(r.Level), vars)
	if err != nil {
		return fmt.Errorf("write journal record: %w", err)
	}
	return nil
}

// addAttr appends a to msg as key=value and sets its field, its key
// qualified by the dotted group prefix. Group values are inlined; empty
// attributes and empty groups are left out, as slog.Handler asks.
func addAttr(msg *strings.Builder, vars map[string]string, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := a.Key
	if prefix != "" && key != "" {
		key = prefix + "." + key
	} else if key == "" {
		key = prefix
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, ga := range a.Value.Group() {
			addAttr(msg, vars, key, ga)
		}
		return
	}
	v := a.Value.String()
	fmt.Fprintf(msg, " %s=%s", key, quoteIfNeeded(v))
	vars["CHATD_"+fieldName(key)] = v
	if key == "node" {
		vars["CHAT_PEER"] = v
	}
}

// WithAttrs implements slog.Handler. The attributes keep the groups open
// now, not those opened later.
func (h *JournalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	added := as
	if h.group != "" {
		added = []slog.Attr{{Key: h.group, Value: slog.GroupValue(as...)}}
	}
	return &JournalHandler{Level: h.Level, Send: h.Send, attrs: append(append([]slog.Attr{}, h.attrs...), added...), group: h.group}
}

// WithGroup implements slog.Handler.
func (h *JournalHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	g := name
	if h.group != "" {
		g = h.group + "." + name
	}
	return &JournalHandler{Level: h.Level, Send: h.Send, attrs: h.attrs, group: g}
}

// priority maps slog levels to syslog priorities.
func priority(l slog.Level) journal.Priority {
	switch {
	case l >= slog.LevelError:
		return journal.PriErr
	case l >= slog.LevelWarn:
		return journal.PriWarning
	case l >= slog.LevelInfo:
		return journal.PriInfo
	}
	return journal.PriDebug
}

// fieldName turns an attribute key into a journal field name: upper case
// letters, digits and underscores.
func fieldName(key string) string {
	b := []byte(strings.ToUpper(key))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
