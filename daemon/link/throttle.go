package link

import (
	"context"
	"net"
	"sync"
	"time"
)

// Guessing the cookie online is slowed down: a remote address's refusals
// for a cookie mismatch are answered at most guessRate times a second, the
// excess waiting (each bounded by the handshake timeout). Other peers,
// even from the same address, are not slowed.
const (
	guessRate     = 10
	guessInterval = time.Second / guessRate
	maxGuessers   = 10000 // addresses remembered before old ones are forgotten
)

// guessLimiter spaces out cookie-mismatch answers per remote address.
type guessLimiter struct {
	mu   sync.Mutex
	next map[string]time.Time // guarded by mu: when the address's next answer may go out
}

// wait blocks until ip's next cookie-mismatch answer may go out, at most
// limit, or until ctx ends.
func (g *guessLimiter) wait(ctx context.Context, ip string, limit time.Duration) {
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
	g.next[ip] = at.Add(guessInterval)
	g.mu.Unlock()
	d := min(at.Sub(now), limit)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// remoteIP is the address part of conn's remote address.
func remoteIP(conn net.Conn) string {
	host, _, err := net.SplitHostPort(conn.RemoteAddr().String())
	if err != nil {
		return conn.RemoteAddr().String()
	}
	return host
}
