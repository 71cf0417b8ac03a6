package sink

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
)

func TestStdoutOneLinePerMessage(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{"plain", "hi", "hi\n"},
		{"empty", "", "\n"},
		{"unicode", "olá, mundo", "olá, mundo\n"},
		{"newline inside", "one\ntwo", `one\ntwo` + "\n"},
		{"trailing newline", "hi\n", `hi\n` + "\n"},
		{"crlf", "a\r\nb", `a\r\nb` + "\n"},
		{"backslash kept", `C:\dir`, `C:\dir` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			m := msg(1)
			m.Text = tt.text
			if err := NewStdout(&buf).Write(m); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("wrote %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStdoutConcurrentWritesKeepLinesWhole(t *testing.T) {
	var buf bytes.Buffer // not safe for concurrent use: the Writer's mutex must serialise
	w := NewStdout(&buf)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				m := msg(g*each + i)
				m.Text = strings.Repeat("x", 100) + "\n" + m.ID
				if err := w.Write(m); err != nil {
					t.Errorf("Write: %v", err)
				}
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != writers*each {
		t.Fatalf("got %d lines, want %d", len(lines), writers*each)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, strings.Repeat("x", 100)+`\nid-`) {
			t.Fatalf("torn line %q", l)
		}
	}
}

type errWriter struct{ err error }

func (w errWriter) Write(p []byte) (int, error) { return 0, w.err }

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) - 1, nil }

func TestStdoutWriteError(t *testing.T) {
	tests := []struct {
		name string
		w    io.Writer
		want error
	}{
		{"error", errWriter{errDiskFull}, errDiskFull},
		{"short write", shortWriter{}, io.ErrShortWrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewStdout(tt.w).Write(msg(7))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Write: %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), "id-7") {
				t.Errorf("error %q does not name the message", err)
			}
		})
	}
}
