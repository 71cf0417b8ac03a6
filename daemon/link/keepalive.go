package link

import (
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

// Keepalives. The connector's yamux session pings every tick/4 and wants
// each answer within tick/2, or the session ends (ErrKeepAliveTimeout).
// The acceptor's session sends no pings of its own: the acceptor watches
// that bytes arrive, and pings only when nothing has arrived for
// acceptorPingAfter (a connector that pings, as chatd's does, is never
// silent that long), declaring the peer down when that ping is not
// answered within tick/2. Pings from both sides of every link would double
// what idle links cost (two processes woken for each ping and its answer)
// for nothing: in a mesh of 200 nodes that took most of two cores. A
// silent peer is down within 3/4 of a tick on the connector's side and
// 7/8 on the acceptor's.

// acceptorPingAfter is how long the acceptor waits for bytes before it
// pings: half a ping interval (tick/4) more than the connector's pings
// take to come.
func acceptorPingAfter(tick time.Duration) time.Duration { return tick/4 + tick/8 }

// keepaliveSender reports whether this side of a link pings on its own
// schedule (yamux's keepalive).
func keepaliveSender(outbound bool) bool { return outbound }

// pingFailedDown reports whether a failed ping of the acceptor's means the
// peer is down. As with yamux's own keepalive (the connector's), every
// failure does but the session's end: no answer within tick/2
// (ErrTimeout), and also a ping that could not even be sent within tick/2
// (ErrConnectionWriteTimeout) — a watch that gave up there would leave the
// link unwatched for good.
func pingFailedDown(err error) bool { return !errors.Is(err, yamux.ErrSessionShutdown) }

// watchSilence pings the peer when nothing has arrived on l for after, and
// closes l as a tick timeout when the ping is not sent and answered (each
// within the session's ConnectionWriteTimeout, tick/2). It wakes only when after
// would be reached (a timer, not a goroutine per link). stop ends the
// watch and waits for a check under way.
func (l *Link) watchSilence(after time.Duration) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool        // guarded by mu
		t       *time.Timer // guarded by mu
		checks  sync.WaitGroup
	)
	check := func() {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		checks.Add(1)
		mu.Unlock()
		defer checks.Done()
		next := after
		if silent := l.conn.silentFor(); silent < after {
			next = after - silent
		} else if _, err := l.sess.Ping(); err != nil {
			if pingFailedDown(err) {
				l.tickTimeout.Store(true)
				l.close("")
			}
			return // down, or going down
		}
		mu.Lock()
		if !stopped {
			t.Reset(next)
		}
		mu.Unlock()
	}
	mu.Lock()
	t = time.AfterFunc(after, check)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
		checks.Wait()
	}
}
