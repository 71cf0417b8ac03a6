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

func TestGuessLimiterSpacesAnswersPerAddress(t *testing.T) {
	var g guessLimiter
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // book the turns without waiting for them
	before := time.Now()
	for range 3 {
		g.wait(ctx, "10.0.0.1", time.Hour)
	}
	g.wait(ctx, "10.0.0.2", time.Hour)
	g.mu.Lock()
	a, b := g.next["10.0.0.1"], g.next["10.0.0.2"]
	g.mu.Unlock()
	if got := a.Sub(before); got < 3*guessInterval || got > 3*guessInterval+time.Second {
		t.Errorf("after 3 guesses the next slot is %s away, want about %s", got, 3*guessInterval)
	}
	if got := b.Sub(before); got > guessInterval+time.Second {
		t.Errorf("another address was slowed too: next slot %s away", got)
	}
}

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
	if took < (attempts-1)*guessInterval {
		t.Errorf("%d guesses answered in %s: not throttled to %d/s", attempts, took, guessRate)
	}
}

// TestGuessBeyondTheDeadlineGetsNoAnswer: a turn that would come after the
// handshake's deadline is not taken: the attempt waits out the deadline,
// gets no answer, and does not push later turns further out.
func TestGuessBeyondTheDeadlineGetsNoAnswer(t *testing.T) {
	var g guessLimiter
	ctx := context.Background()
	if !g.wait(ctx, "10.0.0.1", time.Second) {
		t.Fatal("the first guess may be answered at once")
	}
	start := time.Now()
	if g.wait(ctx, "10.0.0.1", guessInterval/2) {
		t.Fatal("a guess whose turn is past its deadline was answered")
	}
	if took := time.Since(start); took < guessInterval/2 {
		t.Errorf("the unanswered guess returned after %s, before its deadline %s", took, guessInterval/2)
	}
	g.mu.Lock()
	next := g.next["10.0.0.1"]
	g.mu.Unlock()
	if d := time.Until(next); d > guessInterval {
		t.Errorf("the unanswered guess took a turn: next turn %s away", d)
	}
}
