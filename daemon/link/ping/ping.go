// Package ping is the ping stream of chatd's link protocol (wire/SPEC.md,
// "Ping stream"): the side that opened the stream sends Ping frames, the
// other answers each with a Pong carrying the same payload. A round trip
// proves the peer's link loop and stream handling answer, not just its
// TCP stack.
package ping

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"chatd/daemon/peer"
	"chatd/wire"
)

// nonceLen is the size of the payload chatd puts in a Ping.
const nonceLen = 8

// Ping makes one round trip to node on s, a ping stream whose Open frame
// was sent, and returns its time. ctx bounds the wait; the caller closes s.
func Ping(ctx context.Context, node wire.NodeName, s net.Conn, maxFrame int) (time.Duration, error) {
	start := time.Now()
	stop := context.AfterFunc(ctx, func() { _ = s.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var nonce [nonceLen]byte
	_, _ = rand.Read(nonce[:])
	if err := wire.WriteFrame(s, wire.FramePing, nonce[:]); err != nil {
		return 0, fmt.Errorf("ping %s: %w", node, peer.ErrLinkDown)
	}
	f, err := wire.NewFrameReader(s, maxFrame).ReadFrame()
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("ping %s: %w", node, peer.ErrTimeout)
		}
		return 0, fmt.Errorf("ping %s: %w: %v", node, peer.ErrLinkDown, err)
	}
	if f.Type != wire.FramePong || string(f.Payload) != string(nonce[:]) {
		return 0, fmt.Errorf("ping %s: %w: got %s", node, peer.ErrProtocol, f.Type)
	}
	return time.Since(start), nil
}

// Serve answers the Ping frames read by fr on s until the stream ends; a
// stream that ends between frames is no error.
func Serve(s io.Writer, fr *wire.FrameReader) error {
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if f.Type != wire.FramePing {
			return fmt.Errorf("%w: %s frame on a ping stream", peer.ErrProtocol, f.Type)
		}
		if err := wire.WriteFrame(s, wire.FramePong, f.Payload); err != nil {
			return err
		}
	}
}
