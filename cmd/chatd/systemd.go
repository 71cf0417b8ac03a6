package main

// The systemd side of chatd: readiness notification and socket activation.

import (
	"fmt"
	"log/slog"
	"net"

	"github.com/coreos/go-systemd/v22/activation"
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

// activatedControl returns the control socket systemd passed in
// (chatd@.socket), or nil when the node should create its own.
func activatedControl() (net.Listener, error) {
	lns, err := activation.Listeners()
	if err != nil {
		return nil, fmt.Errorf("socket activation: %w", err)
	}
	for _, ln := range lns {
		if _, ok := ln.(*net.UnixListener); ok {
			return ln, nil
		}
	}
	return nil, nil
}
