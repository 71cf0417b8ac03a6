package main

import (
	"log/slog"

	"github.com/coreos/go-systemd/v22/daemon"

	"chatd/wire"
)

const protocolVersion = wire.ProtocolVersion

// notifier speaks systemd's notify protocol when NOTIFY_SOCKET is set and
// does nothing otherwise.
type notifier struct {
	log *slog.Logger
}

func newNotifier(log *slog.Logger) notifier { return notifier{log: log} }

func (n notifier) send(state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		n.log.Warn("sd_notify failed", "state", state, "err", err)
	}
}
