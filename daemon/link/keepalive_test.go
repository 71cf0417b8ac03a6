package link

import (
	"fmt"
	"testing"

	"github.com/hashicorp/yamux"
)

// TestPingFailedDown: the acceptor's own ping declares the peer down on
// every failure but the session's end, as yamux's keepalive does on the
// connector's side; a ping that could not be sent must not end the watch
// with the link still up.
func TestPingFailedDown(t *testing.T) {
	for _, tc := range []struct {
		err  error
		down bool
	}{
		{yamux.ErrTimeout, true},
		{yamux.ErrConnectionWriteTimeout, true},
		{fmt.Errorf("ping: %w", yamux.ErrTimeout), true},
		{yamux.ErrSessionShutdown, false},
		{fmt.Errorf("ping: %w", yamux.ErrSessionShutdown), false},
	} {
		if got := pingFailedDown(tc.err); got != tc.down {
			t.Errorf("pingFailedDown(%v) = %v, want %v", tc.err, got, tc.down)
		}
	}
}
