package sink

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"chatd/wire"
)

// Writer writes one received message somewhere durable-ish: journald or
// stdout. A nil error means the message was written; Sink.Deliver reports
// success to the sender only then. Implementations must be safe for
// concurrent use.
type Writer interface {
	Write(m wire.Message) error
}

// lineEscaper keeps one message on one line: a newline in the text is
// written as the two characters `\n`, a carriage return as `\r`. Backslashes
// are written as they are, so the escaping frames lines; it is not meant to
// be reversed.
var lineEscaper = strings.NewReplacer("\n", `\n`, "\r", `\r`)

// stdoutWriter is the Writer used outside journald: the text alone, one line per
// message.
type stdoutWriter struct {
	mu sync.Mutex // guards w, so lines from concurrent writes never interleave
	w  io.Writer
}

// NewStdout returns a Writer that writes each message's text alone as one
// line to w (newlines inside the text escaped as `\n`), one Write call per
// message, serialised with a mutex. A write error, including a short write,
// is returned.
func NewStdout(w io.Writer) Writer {
	return &stdoutWriter{w: w}
}

// Write writes m.Text as one line.
func (s *stdoutWriter) Write(m wire.Message) error {
	line := lineEscaper.Replace(m.Text) + "\n"
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := io.WriteString(s.w, line)
	if err == nil && n < len(line) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write message %s to stdout: %w", m.ID, err)
	}
	return nil
}
