package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// stream sends a request to a streaming endpoint (NDJSON: one JSON value per
// line, as GET /v1/messages?follow=1 and /v1/tasks?watch=1 answer) and calls
// fn with each decoded line, in order, until the daemon ends the stream, fn
// returns an error, or ctx is done. Blank lines (keepalives) are skipped.
//
// It returns nil when the daemon ended the stream, fn's error as fn returned
// it (a sentinel fn uses to stop early stays testable with errors.Is), or
// ctx.Err() when the caller cancelled: cancellation is how a follow is meant
// to end, not a failure.
//
// It is a function, not a method, because methods cannot have type
// parameters. Endpoint methods wrap it, e.g.
//
//	func (c *Client) Messages(ctx context.Context, fn func(wire.Message) error) error {
//		return stream(ctx, c, http.MethodGet, wire.PathMessages+"?follow=1", nil, fn)
//	}
func stream[T any](ctx context.Context, c *Client, method, path string, in any, fn func(T) error) error {
	resp, err := c.send(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), MaxStreamLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return c.wrap(method, path, fmt.Errorf("decode %T from stream line %d: %w", v, line, err))
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("%w: stream line %d is longer than %d bytes", ErrResponseTooLarge, line+1, MaxStreamLine)
		}
		return c.wrap(method, path, fmt.Errorf("read stream: %w", err))
	}
	return nil
}
