package peer

import (
	"context"
	"testing"
	"time"
)

func TestGuessLimiterSpacesAnswersPerAddress(t *testing.T) {
	var g GuessLimiter
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // book the turns without waiting for them
	before := time.Now()
	for range 3 {
		g.Wait(ctx, "10.0.0.1", time.Hour)
	}
	g.Wait(ctx, "10.0.0.2", time.Hour)
	g.mu.Lock()
	a, b := g.next["10.0.0.1"], g.next["10.0.0.2"]
	g.mu.Unlock()
	if got := a.Sub(before); got < 3*GuessInterval || got > 3*GuessInterval+time.Second {
		t.Errorf("after 3 guesses the next slot is %s away, want about %s", got, 3*GuessInterval)
	}
	if got := b.Sub(before); got > GuessInterval+time.Second {
		t.Errorf("another address was slowed too: next slot %s away", got)
	}
}

// TestGuessBeyondTheDeadlineGetsNoAnswer: a turn that would come after the
// handshake's deadline is not taken: the attempt waits out the deadline,
// gets no answer, and does not push later turns further out.
func TestGuessBeyondTheDeadlineGetsNoAnswer(t *testing.T) {
	var g GuessLimiter
	ctx := context.Background()
	if !g.Wait(ctx, "10.0.0.1", time.Second) {
		t.Fatal("the first guess may be answered at once")
	}
	start := time.Now()
	if g.Wait(ctx, "10.0.0.1", GuessInterval/2) {
		t.Fatal("a guess whose turn is past its deadline was answered")
	}
	if took := time.Since(start); took < GuessInterval/2 {
		t.Errorf("the unanswered guess returned after %s, before its deadline %s", took, GuessInterval/2)
	}
	g.mu.Lock()
	next := g.next["10.0.0.1"]
	g.mu.Unlock()
	if d := time.Until(next); d > GuessInterval {
		t.Errorf("the unanswered guess took a turn: next turn %s away", d)
	}
}
