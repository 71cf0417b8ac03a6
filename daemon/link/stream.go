package link

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"chatd/daemon/link/ping"
	"chatd/daemon/link/spawn"
	"chatd/wire"
)

// serveStream reads a stream's Open frame and serves the stream by its
// kind.
func (m *Manager) serveStream(ctx context.Context, l *Link, s net.Conn) {
	defer l.streams.done()
	defer l.active.Add(-1)
	s = &boundedStream{Conn: s, timeout: l.conn.writeTimeout, log: m.log, peer: l.peer}
	defer s.Close()
	fr := wire.NewFrameReader(s, m.cfg.MaxFrame)
	_ = s.SetReadDeadline(time.Now().Add(m.cfg.HandshakeTimeout))
	f, err := fr.ReadFrame()
	if err != nil {
		return
	}
	_ = s.SetReadDeadline(time.Time{})
	kind, err := wire.ParseOpen(f)
	if err != nil {
		m.log.Warn("bad stream from peer", "node", l.peer.String(), "err", err)
		return
	}
	switch kind {
	case wire.KindPing:
		if err := ping.Serve(s, fr); err != nil {
			m.log.Debug("ping stream ended", "node", l.peer.String(), "err", err)
		}
	case wire.KindCalls:
		m.calls.Handle(ctx, l.peer, s, fr, &l.conn.load)
	case wire.KindSpawn:
		spawn.Serve(ctx, m.cfg.Local, l.peer, s, fr, m.cfg.HandshakeTimeout)
	default:
		m.log.Warn("unknown stream kind from peer", "node", l.peer.String(), "kind", uint8(kind))
		_ = wire.WriteFrame(s, wire.FrameError, wire.ErrorPayload(wire.CodeBadRequest, "unknown "+kind.String()))
	}
}

// boundedStream is an incoming stream whose every write must make progress
// within timeout (the link's write timeout). yamux gives each stream its
// own flow-control window, so a peer that stops reading one stream blocks
// only the writes on that stream; without a bound, the handler writing
// there (a call's result, a process's output) would wait as long as the
// link lives. On a timeout the stream is given up: closed, and its reads
// ended, so its handler returns and its tasks are cancelled; the other
// streams of the link carry on.
type boundedStream struct {
	net.Conn
	timeout time.Duration
	log     *slog.Logger
	peer    wire.NodeName
}

// Write implements io.Writer.
func (s *boundedStream) Write(p []byte) (int, error) {
	_ = s.Conn.SetWriteDeadline(time.Now().Add(s.timeout))
	n, err := s.Conn.Write(p)
	if err != nil && isTimeout(err) {
		s.log.Warn("stream given up: the peer stopped reading it", "node", s.peer.String(), "timeout", s.timeout)
		_ = s.Conn.SetReadDeadline(time.Unix(1, 0))
		_ = s.Conn.Close()
		err = fmt.Errorf("peer stopped reading the stream for %s: %w", s.timeout, err)
	}
	return n, err
}
