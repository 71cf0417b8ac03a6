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
