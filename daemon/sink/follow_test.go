package sink

import (
	"context"
	"errors"
	"slices"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire"
)

// collect receives from ch until it is closed and returns the IDs.
func collect(ch <-chan wire.Message) []string {
	var out []string
	for m := range ch {
		out = append(out, m.ID)
	}
	return out
}

func TestFollowInOrderUntilCtxEnds(t *testing.T) {
	s := New(Config{Writer: &memory{}})
	deliver(t, s, 0, 2) // before Follow: not streamed

	ctx, cancel := context.WithCancel(testkit.Ctx(t, testkit.Wait))
	ch, followErr := s.Follow(ctx)
	deliver(t, s, 2, 10)
	if err := followErr(); err != nil {
		t.Errorf("error while following = %v, want nil", err)
	}
	cancel()
	if got, want := collect(ch), idRange(2, 10); !slices.Equal(got, want) {
		t.Errorf("followed %v, want %v", got, want)
	}
	if err := followErr(); err != nil {
		t.Errorf("error after ctx ended = %v, want nil", err)
	}
	deliver(t, s, 10, 11) // no follower left; must not panic on the closed channel
}

func TestFollowCtxAlreadyDone(t *testing.T) {
	s := New(Config{Writer: &memory{}})
	ctx, cancel := context.WithCancel(testkit.Ctx(t, testkit.Wait))
	cancel()
	ch, followErr := s.Follow(ctx)
	for range ch {
	}
	if err := followErr(); err != nil {
		t.Errorf("error = %v, want nil", err)
	}
	deliver(t, s, 0, 1)
}

func TestFollowSlowFollowerCutOff(t *testing.T) {
	s := New(Config{Writer: &memory{}})

	// The fast follower reads each message as it is delivered and must see
	// every one; the slow one reads nothing while FollowBuffer+10 arrive.
	fastCtx, stopFast := context.WithCancel(testkit.Ctx(t, testkit.Wait))
	fastCh, fastErr := s.Follow(fastCtx)
	slowCh, slowErr := s.Follow(testkit.Ctx(t, testkit.Wait))
	total := FollowBuffer + 10
	var fastGot []string
	for i := range total {
		deliver(t, s, i, i+1) // returns: a full follower does not block Deliver
		fastGot = append(fastGot, (<-fastCh).ID)
	}

	// What the slow follower had buffered is still readable, then the
	// channel is closed and the reason reported.
	if got, want := collect(slowCh), idRange(0, FollowBuffer); !slices.Equal(got, want) {
		t.Errorf("slow follower got %d messages (%v...), want the first %d", len(got), got[:min(len(got), 3)], FollowBuffer)
	}
	if err := slowErr(); !errors.Is(err, ErrFollowerTooSlow) {
		t.Errorf("slow follower error = %v, want %v", err, ErrFollowerTooSlow)
	}

	stopFast()
	fastGot = append(fastGot, collect(fastCh)...)
	if want := idRange(0, total); !slices.Equal(fastGot, want) {
		t.Errorf("fast follower got %d messages, want %d in order", len(fastGot), len(want))
	}
	if err := fastErr(); err != nil {
		t.Errorf("fast follower error = %v, want nil", err)
	}
}
