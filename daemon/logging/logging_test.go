package logging

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
)

// record is one call of JournalHandler.Send.
type record struct {
	msg  string
	pri  journal.Priority
	vars map[string]string
}

// recorder collects what a JournalHandler sends.
type recorder struct {
	recs []record
	err  error // returned by send
}

func (r *recorder) send(msg string, pri journal.Priority, vars map[string]string) error {
	r.recs = append(r.recs, record{msg: msg, pri: pri, vars: maps.Clone(vars)})
	return r.err
}

// journalLogger returns a logger writing to a fresh recorder at level.
func journalLogger(level slog.Leveler) (*slog.Logger, *recorder) {
	rec := &recorder{}
	return slog.New(&JournalHandler{Level: level, Send: rec.send}), rec
}

// only returns the single record r holds.
func (r *recorder) only(t *testing.T) record {
	t.Helper()
	if len(r.recs) != 1 {
		t.Fatalf("sent %d records, want 1: %+v", len(r.recs), r.recs)
	}
	return r.recs[0]
}

func TestJournalRecord(t *testing.T) {
	tests := []struct {
		name     string
		log      func(l *slog.Logger)
		wantMsg  string
		wantPri  journal.Priority
		wantVars map[string]string // besides SYSLOG_IDENTIFIER=chatd
	}{
		{
			name:     "message alone",
			log:      func(l *slog.Logger) { l.Info("node started") },
			wantMsg:  "node started",
			wantPri:  journal.PriInfo,
			wantVars: map[string]string{},
		},
		{
			name: "attributes as key=value and fields",
			log: func(l *slog.Logger) {
				l.Info("node started", "listen", "127.0.0.1:4000", "mapper_port", 4369, "embedded_mapper", true)
			},
			wantMsg: "node started listen=127.0.0.1:4000 mapper_port=4369 embedded_mapper=true",
			wantPri: journal.PriInfo,
			wantVars: map[string]string{
				"CHATD_LISTEN": "127.0.0.1:4000", "CHATD_MAPPER_PORT": "4369", "CHATD_EMBEDDED_MAPPER": "true",
			},
		},
		{
			name:    "values with spaces, quotes or = are quoted in MESSAGE only",
			log:     func(l *slog.Logger) { l.Warn("reload", "keys", "[host listen]", "empty", "", "eq", "a=b") },
			wantMsg: `reload keys="[host listen]" empty="" eq="a=b"`,
			wantPri: journal.PriWarning,
			wantVars: map[string]string{
				"CHATD_KEYS": "[host listen]", "CHATD_EMPTY": "", "CHATD_EQ": "a=b",
			},
		},
		{
			name:    "node is also CHAT_PEER",
			log:     func(l *slog.Logger) { l.Info("link up", "node", "kate@localhost", "peer_addr", "127.0.0.1:5000") },
			wantMsg: "link up node=kate@localhost peer_addr=127.0.0.1:5000",
			wantPri: journal.PriInfo,
			wantVars: map[string]string{
				"CHATD_NODE": "kate@localhost", "CHAT_PEER": "kate@localhost", "CHATD_PEER_ADDR": "127.0.0.1:5000",
			},
		},
		{
			name:     "keys upper-cased, other characters become _",
			log:      func(l *slog.Logger) { l.Error("x", "peer-addr.v2", "a", "Mixed Case", "b") },
			wantMsg:  "x peer-addr.v2=a Mixed Case=b",
			wantPri:  journal.PriErr,
			wantVars: map[string]string{"CHATD_PEER_ADDR_V2": "a", "CHATD_MIXED_CASE": "b"},
		},
		{
			name:     "error values",
			log:      func(l *slog.Logger) { l.Error("health check failed", "err", errors.New("link manager: stuck")) },
			wantMsg:  `health check failed err="link manager: stuck"`,
			wantPri:  journal.PriErr,
			wantVars: map[string]string{"CHATD_ERR": "link manager: stuck"},
		},
		{
			name:     "debug",
			log:      func(l *slog.Logger) { l.Debug("frame", "n", 3) },
			wantMsg:  "frame n=3",
			wantPri:  journal.PriDebug,
			wantVars: map[string]string{"CHATD_N": "3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, rec := journalLogger(slog.LevelDebug)
			tc.log(l)
			got := rec.only(t)
			if got.msg != tc.wantMsg {
				t.Errorf("MESSAGE = %q, want %q", got.msg, tc.wantMsg)
			}
			if got.pri != tc.wantPri {
				t.Errorf("PRIORITY = %d, want %d", got.pri, tc.wantPri)
			}
			want := maps.Clone(tc.wantVars)
			want["SYSLOG_IDENTIFIER"] = "chatd"
			if !maps.Equal(got.vars, want) {
				t.Errorf("fields:\ngot  %v\nwant %v", got.vars, want)
			}
		})
	}
}

func TestJournalPriority(t *testing.T) {
	tests := []struct {
		level slog.Level
		want  journal.Priority
	}{
		{slog.LevelDebug - 4, 7},
		{slog.LevelDebug, 7},
		{slog.LevelInfo - 1, 7},
		{slog.LevelInfo, 6},
		{slog.LevelInfo + 2, 6},
		{slog.LevelWarn, 4},
		{slog.LevelError - 1, 4},
		{slog.LevelError, 3},
		{slog.LevelError + 4, 3},
	}
	for _, tc := range tests {
		t.Run(tc.level.String(), func(t *testing.T) {
			l, rec := journalLogger(slog.Level(-100))
			l.Log(context.Background(), tc.level, "m")
			if got := rec.only(t).pri; got != tc.want {
				t.Errorf("priority of %s = %d, want %d", tc.level, got, tc.want)
			}
		})
	}
}

func TestJournalWithAttrsAndGroup(t *testing.T) {
	tests := []struct {
		name     string
		log      func(l *slog.Logger)
		wantMsg  string
		wantVars map[string]string // besides SYSLOG_IDENTIFIER=chatd
	}{
		{
			name:     "With attrs come first",
			log:      func(l *slog.Logger) { l.With("node", "kate@localhost").Info("link down", "reason", "tick") },
			wantMsg:  "link down node=kate@localhost reason=tick",
			wantVars: map[string]string{"CHATD_NODE": "kate@localhost", "CHAT_PEER": "kate@localhost", "CHATD_REASON": "tick"},
		},
		{
			name:     "With twice accumulates",
			log:      func(l *slog.Logger) { l.With("a", 1).With("b", 2).Info("m", "c", 3) },
			wantMsg:  "m a=1 b=2 c=3",
			wantVars: map[string]string{"CHATD_A": "1", "CHATD_B": "2", "CHATD_C": "3"},
		},
		{
			name:     "group qualifies record attrs",
			log:      func(l *slog.Logger) { l.WithGroup("link").Info("m", "tick", "15s") },
			wantMsg:  "m link.tick=15s",
			wantVars: map[string]string{"CHATD_LINK_TICK": "15s"},
		},
		{
			name:     "nested groups",
			log:      func(l *slog.Logger) { l.WithGroup("a").WithGroup("b").Info("m", "k", "v") },
			wantMsg:  "m a.b.k=v",
			wantVars: map[string]string{"CHATD_A_B_K": "v"},
		},
		{
			name:     "attrs added before a group stay outside it",
			log:      func(l *slog.Logger) { l.With("x", 1).WithGroup("g").With("y", 2).Info("m", "z", 3) },
			wantMsg:  "m x=1 g.y=2 g.z=3",
			wantVars: map[string]string{"CHATD_X": "1", "CHATD_G_Y": "2", "CHATD_G_Z": "3"},
		},
		{
			name:     "node inside a group is not the peer",
			log:      func(l *slog.Logger) { l.WithGroup("mapper").Info("m", "node", "alex") },
			wantMsg:  "m mapper.node=alex",
			wantVars: map[string]string{"CHATD_MAPPER_NODE": "alex"},
		},
		{
			name:     "group values are inlined",
			log:      func(l *slog.Logger) { l.Info("m", slog.Group("req", "id", 7, slog.Group("peer", "node", "kate"))) },
			wantMsg:  "m req.id=7 req.peer.node=kate",
			wantVars: map[string]string{"CHATD_REQ_ID": "7", "CHATD_REQ_PEER_NODE": "kate"},
		},
		{
			name:     "With a group value inside an open group",
			log:      func(l *slog.Logger) { l.WithGroup("g").With(slog.Group("h", "k", 1)).Info("m") },
			wantMsg:  "m g.h.k=1",
			wantVars: map[string]string{"CHATD_G_H_K": "1"},
		},
		{
			name:     "a group without a key is inlined, an empty one dropped",
			log:      func(l *slog.Logger) { l.Info("m", slog.Group("", "a", 1), slog.Group("none"), slog.Attr{}) },
			wantMsg:  "m a=1",
			wantVars: map[string]string{"CHATD_A": "1"},
		},
		{
			name:     "LogValuer values are resolved",
			log:      func(l *slog.Logger) { l.Info("m", "v", valuer("resolved")) },
			wantMsg:  "m v=resolved",
			wantVars: map[string]string{"CHATD_V": "resolved"},
		},
		{
			name:     "an empty group name changes nothing",
			log:      func(l *slog.Logger) { l.WithGroup("").Info("m", "node", "alex") },
			wantMsg:  "m node=alex",
			wantVars: map[string]string{"CHATD_NODE": "alex", "CHAT_PEER": "alex"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, rec := journalLogger(nil)
			tc.log(l)
			got := rec.only(t)
			if got.msg != tc.wantMsg {
				t.Errorf("MESSAGE = %q, want %q", got.msg, tc.wantMsg)
			}
			want := maps.Clone(tc.wantVars)
			want["SYSLOG_IDENTIFIER"] = "chatd"
			if !maps.Equal(got.vars, want) {
				t.Errorf("fields:\ngot  %v\nwant %v", got.vars, want)
			}
		})
	}
}

// valuer is a slog.LogValuer.
type valuer string

func (v valuer) LogValue() slog.Value { return slog.StringValue(string(v)) }

func TestJournalHandlerEmptyGroup(t *testing.T) {
	rec := &recorder{}
	var h slog.Handler = &JournalHandler{Send: rec.send}
	h = h.WithGroup("g").WithGroup("").WithAttrs(nil)
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Int("k", 1))
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := rec.only(t).msg; got != "m g.k=1" {
		t.Errorf("MESSAGE = %q, want %q", got, "m g.k=1")
	}
}

// TestJournalWithDoesNotShare checks that loggers derived from one parent
// do not see each other's attributes.
func TestJournalWithDoesNotShare(t *testing.T) {
	l, rec := journalLogger(nil)
	base := l.With("a", 1, "b", 2, "c", 3) // spare capacity in the slice is likely
	base.With("x", "left").Info("m")
	base.With("x", "right").Info("m")
	base.Info("m")
	want := []string{"m a=1 b=2 c=3 x=left", "m a=1 b=2 c=3 x=right", "m a=1 b=2 c=3"}
	if len(rec.recs) != len(want) {
		t.Fatalf("sent %d records, want %d", len(rec.recs), len(want))
	}
	for i, w := range want {
		if rec.recs[i].msg != w {
			t.Errorf("record %d: MESSAGE = %q, want %q", i, rec.recs[i].msg, w)
		}
	}
}

func TestJournalLevelChangesAtRunTime(t *testing.T) {
	level := new(slog.LevelVar) // info
	l, rec := journalLogger(level)
	ctx := context.Background()

	steps := []struct {
		set       slog.Level
		debug     bool // Enabled(debug) after set
		info      bool
		warn      bool
		sentByLog int // records sent by one Debug, Info, Warn and Error call each
	}{
		{slog.LevelInfo, false, true, true, 3},
		{slog.LevelDebug, true, true, true, 4},
		{slog.LevelWarn, false, false, true, 2},
		{slog.LevelError, false, false, false, 1},
		{slog.LevelInfo, false, true, true, 3},
	}
	for _, s := range steps {
		level.Set(s.set)
		h := l.Handler()
		if got := h.Enabled(ctx, slog.LevelDebug); got != s.debug {
			t.Errorf("level %s: Enabled(debug) = %v", s.set, got)
		}
		if got := h.Enabled(ctx, slog.LevelInfo); got != s.info {
			t.Errorf("level %s: Enabled(info) = %v", s.set, got)
		}
		if got := h.Enabled(ctx, slog.LevelWarn); got != s.warn {
			t.Errorf("level %s: Enabled(warn) = %v", s.set, got)
		}
		// Derived handlers follow the same LevelVar.
		if got := l.With("k", "v").WithGroup("g").Handler().Enabled(ctx, slog.LevelDebug); got != s.debug {
			t.Errorf("level %s: derived Enabled(debug) = %v", s.set, got)
		}
		rec.recs = nil
		l.Debug("d")
		l.Info("i")
		l.Warn("w")
		l.Error("e")
		if len(rec.recs) != s.sentByLog {
			t.Errorf("level %s: %d records sent, want %d", s.set, len(rec.recs), s.sentByLog)
		}
	}
}

func TestJournalSendError(t *testing.T) {
	rec := &recorder{err: errors.New("journal socket gone")}
	h := &JournalHandler{Send: rec.send}
	err := h.Handle(context.Background(), slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0))
	if err == nil || !strings.Contains(err.Error(), "journal socket gone") {
		t.Fatalf("Handle = %v, want the Send error wrapped", err)
	}
	if !errors.Is(err, rec.err) {
		t.Errorf("Handle error %v does not wrap the Send error", err)
	}
}

func TestNewPicksHandler(t *testing.T) {
	var buf strings.Builder
	level := new(slog.LevelVar)
	l := New(&buf, level, false)
	l.Info("hello", "node", "alex")
	if got := buf.String(); !strings.Contains(got, "msg=hello node=alex") || !strings.Contains(got, "level=INFO") {
		t.Errorf("text handler wrote %q", got)
	}
	if _, ok := New(&buf, level, true).Handler().(*JournalHandler); !ok {
		t.Errorf("New(useJournal=true) handler is %T, want *JournalHandler", New(&buf, level, true).Handler())
	}
}
