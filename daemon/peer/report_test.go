package peer

import (
	"errors"
	"testing"

	"chatd/wire"
)

// heard is an Observer that counts handshakes by result.
type heard map[HandshakeResult]int

func (h heard) Handshake(hs Handshake) { h[hs.Result]++ }
func (h heard) Up(wire.LinkInfo)       {}
func (h heard) Down(Down)              {}

// TestReporterHandshake: what a Reporter passes on and what it leaves out.
func TestReporterHandshake(t *testing.T) {
	errLost := errors.New("simultaneous connect lost")
	classify := func(err error) (HandshakeResult, bool) {
		if errors.Is(err, errLost) {
			return "", false
		}
		return ResultOf(err), true
	}
	tests := []struct {
		name     string
		err      error
		classify func(error) (HandshakeResult, bool)
		stopping bool
		want     HandshakeResult // "" for nothing reported
	}{
		{"ok", nil, nil, false, HandshakeOK},
		{"ok while stopping", nil, nil, true, HandshakeOK},
		{"cookie", ErrCookieMismatch, nil, false, HandshakeCookieMismatch},
		{"cut short by stopping", ErrCookieMismatch, nil, true, ""},
		{"no failure", errLost, classify, false, ""},
		{"classified", ErrRefused, classify, false, HandshakeRefused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := heard{}
			r := Reporter{Protocol: "test", Observer: h, Classify: tc.classify, Stopping: func() bool { return tc.stopping }}
			r.Handshake(wire.NodeName{Name: "kate", Host: "localhost"}, "in", "127.0.0.1:1", tc.err)
			if total := len(h); (tc.want == "" && total != 0) || (tc.want != "" && h[tc.want] != 1) {
				t.Errorf("heard %v, want %q", h, tc.want)
			}
		})
	}
	Reporter{}.Handshake(wire.NodeName{}, "in", "", nil) // no observer: nothing, no panic
}
