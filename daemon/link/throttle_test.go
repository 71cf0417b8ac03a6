package link

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/testkit"
)

// TestWrongCookieIsThrottled: 15 wrong-cookie attempts in parallel from
// one address take at least 1.4 s to be answered (10 a second), while a
// peer with the right cookie links at once meanwhile.
func TestWrongCookieIsThrottled(t *testing.T) {
	r := newResolver()
	kate := startNode(t, r, "kate@localhost", "secret-cookie-0123456789", time.Second)
	eve := startNode(t, r, "eve@localhost", "guessed-cookie-987654321", time.Second)
	alex := startNode(t, r, "alex@localhost", "secret-cookie-0123456789", time.Second)
	const attempts = 15
	start := time.Now()
	var wg sync.WaitGroup
	for range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// A fresh dial each time: the manager does not cache failures.
			if _, err := eve.mgr.dial(ctx, kate.name, r.addr(kate.name)); !errors.Is(err, peer.ErrCookieMismatch) {
				t.Errorf("guess: %v, want a cookie mismatch", err)
			}
		}()
	}
	linkStart := time.Now()
	if _, err := alex.link(testkit.Ctx(t, 2*time.Second), kate.name); err != nil {
		t.Fatalf("a legitimate peer could not link during the guessing: %v", err)
	}
	t.Logf("legitimate link during the guessing took %s", time.Since(linkStart))
	wg.Wait()
	took := time.Since(start)
	t.Logf("%d wrong-cookie attempts answered in %s", attempts, took)
	if took < (attempts-1)*peer.GuessInterval {
		t.Errorf("%d guesses answered in %s: not throttled to %d/s", attempts, took, peer.GuessRate)
	}
}
