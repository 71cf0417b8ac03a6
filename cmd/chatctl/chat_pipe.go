package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
)

// maxChatLine bounds one line of input: the daemon's limit on a message
// (64 KiB).
const maxChatLine = 64 << 10

// pipe sends each non-empty line of in, until its end or until ctx ends
// (SIGINT, SIGTERM), printing only the lines that failed.
func (s *chatSession) pipe(ctx context.Context, in io.Reader) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	// The reader cannot be interrupted; it ends with the input, or with
	// the process when a signal ends the chat first.
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 0, 4096), maxChatLine)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				readErr <- nil
				return
			}
		}
		readErr <- sc.Err()
	}()
	sent, failed := 0, 0
	for {
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-ctx.Done():
			return nil // interrupted: how a chat is meant to end
		}
		if !ok {
			break
		}
		if line == "" {
			continue
		}
		sent++
		if err := s.send(ctx, line); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failed++
			fmt.Fprintf(s.c.App.ErrWriter, "chatctl: chat: not delivered to %s: %s: %v\n", s.peer, printable(line), err)
		}
	}
	if err := <-readErr; err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("a line is longer than %d bytes, the limit of a message", maxChatLine)
		}
		return fmt.Errorf("chat: read standard input: %w", err)
	}
	if failed > 0 {
		return &chatFailedError{peer: s.peer, failed: failed, lines: sent}
	}
	return nil
}
