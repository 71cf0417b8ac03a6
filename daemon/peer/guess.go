package peer

import (
	"context"
	"net"
	"sync"
	"time"
)

// Guessing the cookie online is slowed down: a remote address's refusals
// for a cookie mismatch are answered at most GuessRate times a second, the
// excess waiting (each bounded by the handshake timeout). Other peers,
// even from the same address, are not slowed.
const (
	// GuessRate is how many cookie-mismatch answers an address gets a
	// second.
	GuessRate = 10
	// GuessInterval is the time between two of them.
	GuessInterval = time.Second / GuessRate
	maxGuessers   = 10000 // addresses remembered before old ones are forgotten
)

// GuessLimiter spaces out cookie-mismatch answers per remote address, for
// every link protocol of the node. The zero value is ready to use.
type GuessLimiter struct {
	mu   sync.Mutex
	next map[string]time.Time // guarded by mu: when the address's next answer may go out
}

// Wait blocks until ip's next cookie-mismatch answer may go out, or until
// ctx ends, and reports whether the answer may go out. limit is what is
// left of the handshake: an attempt whose turn is further away than that
// takes no turn, waits out the limit and gets no answer (the caller closes
// the connection), so that a flood learns nothing faster than 10 a second
// and does not push later answers further out. A limit of 0 never waits.
func (g *GuessLimiter) Wait(ctx context.Context, ip string, limit time.Duration) bool {
	now := time.Now()
	g.mu.Lock()
	if g.next == nil {
		g.next = make(map[string]time.Time)
	}
	if len(g.next) >= maxGuessers {
		for k, t := range g.next {
			if t.Before(now) {
				delete(g.next, k)
			}
		}
	}
	at := g.next[ip]
	if at.Before(now) {
		at = now
	}
	d := at.Sub(now)
	answer := d <= limit
	if answer {
		g.next[ip] = at.Add(GuessInterval)
	}
	g.mu.Unlock()
	d = min(d, limit)
	if d <= 0 {
		return answer
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return answer
	case <-ctx.Done():
		return false
	}
}

// RemoteIP is the address part of conn's remote address.
func RemoteIP(conn net.Conn) string {
	host, _, err := net.SplitHostPort(conn.RemoteAddr().String())
	if err != nil {
		return conn.RemoteAddr().String()
	}
	return host
}
