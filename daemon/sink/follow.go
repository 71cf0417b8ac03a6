package sink

import (
	"context"
	"fmt"

	"chatd/wire"
)

// FollowBuffer is how many delivered messages a follower may have unread
// before it is cut off.
const FollowBuffer = 256

// ErrFollowerTooSlow is reported by a follower's error function when its
// channel was closed because it fell FollowBuffer messages behind.
var ErrFollowerTooSlow = fmt.Errorf("follower too slow: %d messages unread", FollowBuffer)

// follower is one Follow call's subscription. ch and err are guarded by
// Sink.mu: ch is sent to and closed only with it held, err is set when ch
// is closed.
type follower struct {
	ch   chan wire.Message
	err  error
	stop func() bool // deregisters the context.AfterFunc that ends the follower
}

// Follow returns a channel that receives, in order, every message delivered
// from now on, and a function that says why the channel closed.
//
// The channel is closed when ctx ends, or when the follower falls
// FollowBuffer messages behind: a slow follower is cut off rather than
// blocking Deliver or silently missing messages. Messages already buffered
// can still be received after the close. The function returns nil while the
// channel is open and after a close caused by ctx, and ErrFollowerTooSlow
// after a cut-off; call it once the channel is drained.
func (s *Sink) Follow(ctx context.Context) (<-chan wire.Message, func() error) {
	f := &follower{ch: make(chan wire.Message, FollowBuffer)}
	s.mu.Lock()
	s.followers[f] = struct{}{}
	f.stop = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.cutLocked(f, nil)
	})
	s.mu.Unlock()
	return f.ch, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		return f.err
	}
}

// cutLocked ends follower f with reason err (nil: its ctx ended) unless it
// has ended already. s.mu must be held.
func (s *Sink) cutLocked(f *follower, err error) {
	if _, ok := s.followers[f]; !ok {
		return
	}
	delete(s.followers, f)
	f.err = err
	close(f.ch)
	f.stop()
}
