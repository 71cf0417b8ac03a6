package link

import (
	"context"
	"fmt"
	"time"
)

// Check verifies that the manager's bookkeeping answers: it takes and
// releases the manager's lock within ctx. A stuck link manager fails it,
// which stops the systemd watchdog pings.
func (m *Manager) Check(ctx context.Context) error {
	for {
		if m.mu.TryLock() {
			m.mu.Unlock()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("link manager lock held past the check deadline: %w", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// SetTick changes the keepalive tick for links made from now on; links
// up now keep the tick they started with.
func (m *Manager) SetTick(tick time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg.Tick = tick
	yc := m.yamuxConfig.Clone()
	yc.KeepAliveInterval = tick / 4
	yc.ConnectionWriteTimeout = tick / 2
	yc.StreamOpenTimeout = tick
	yc.StreamCloseTimeout = tick
	m.yamuxConfig = yc
}
