package config

import (
	"path/filepath"
	"strconv"
	"strings"
)

// Getenv looks up an environment variable; os.Getenv in production, a map
// in tests.
type Getenv func(key string) string

// RuntimeRoot returns the directory that holds one sub-directory per running
// node: $CHATD_RUNTIME_DIR, else /run/chatd for root (uid 0), else
// $XDG_RUNTIME_DIR/chatd, else /tmp/chatd-<uid>.
func RuntimeRoot(getenv Getenv, uid int) string {
	if d := getenv("CHATD_RUNTIME_DIR"); d != "" {
		return d
	}
	if uid == 0 {
		return "/run/chatd"
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "chatd")
	}
	return filepath.Join("/tmp", "chatd-"+strconv.Itoa(uid))
}

// SocketPath returns the control socket path of the node called name (the
// name part, without @host) under the runtime root.
func SocketPath(root, name string) string {
	return filepath.Join(root, name, "control.sock")
}

// StateDir returns the directory for the generated cookie:
// $STATE_DIRECTORY (systemd's StateDirectory=), else /var/lib/chatd for
// root, else $XDG_STATE_HOME/chatd, else $HOME/.local/state/chatd.
func StateDir(getenv Getenv, uid int) string {
	if d := getenv("STATE_DIRECTORY"); d != "" {
		// systemd may pass several colon-separated directories; the first is ours.
		d, _, _ = strings.Cut(d, ":")
		return d
	}
	if uid == 0 {
		return "/var/lib/chatd"
	}
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "chatd")
	}
	return filepath.Join(getenv("HOME"), ".local", "state", "chatd")
}
