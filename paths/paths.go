// Package paths says where chatd's files live at run time: the runtime
// root, which holds one directory per running node with its control
// socket, and the state directory, which holds the generated cookie. It
// follows systemd's RuntimeDirectory= and StateDirectory= and the XDG base
// directories.
//
// chatd (through config and daemon) and chatctl must agree on these
// paths, so they share this package. It needs only the standard library,
// so chatctl links it without the config file's TOML decoder (chatctl's
// TestDeps checks that).
package paths

import (
	"os"
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
		return SystemRuntimeRoot
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "chatd")
	}
	return filepath.Join("/tmp", "chatd-"+strconv.Itoa(uid))
}

// SystemRuntimeRoot is where nodes run by systemd keep their sockets
// (RuntimeDirectory=chatd/%i).
const SystemRuntimeRoot = "/run/chatd"

// NodeRuntimeDir returns the directory of the node called name: systemd's
// $RUNTIME_DIRECTORY when it sets one, else <RuntimeRoot>/<name>.
func NodeRuntimeDir(getenv Getenv, uid int, name string) string {
	if d := getenv("RUNTIME_DIRECTORY"); d != "" {
		d, _, _ = strings.Cut(d, ":")
		return d
	}
	return filepath.Join(RuntimeRoot(getenv, uid), name)
}

// ClientRuntimeRoot is where chatctl looks for nodes: $CHATD_RUNTIME_DIR,
// else /run/chatd for root; for other users their own
// $XDG_RUNTIME_DIR/chatd when it exists, else /run/chatd when systemd runs
// nodes there, else RuntimeRoot.
func ClientRuntimeRoot(getenv Getenv, uid int) string {
	if getenv("CHATD_RUNTIME_DIR") != "" || uid == 0 {
		return RuntimeRoot(getenv, uid)
	}
	if x := getenv("XDG_RUNTIME_DIR"); x != "" {
		if fi, err := os.Stat(filepath.Join(x, "chatd")); err == nil && fi.IsDir() {
			return filepath.Join(x, "chatd")
		}
	}
	if fi, err := os.Stat(SystemRuntimeRoot); err == nil && fi.IsDir() {
		return SystemRuntimeRoot
	}
	return RuntimeRoot(getenv, uid)
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

// UserConfigFile returns the config file of a user who is not root:
// $XDG_CONFIG_HOME/chatd/chatd.toml, else $HOME/.config/chatd/chatd.toml
// (where `make install PREFIX=~/.local SYSCONFDIR=~/.config` puts it). It
// is "" for root, whose file is the system one, and when neither variable
// is set.
func UserConfigFile(getenv Getenv, uid int) string {
	if uid == 0 {
		return ""
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "chatd", "chatd.toml")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "chatd", "chatd.toml")
	}
	return ""
}
