package paths

import (
	"os"
	"path/filepath"
	"testing"
)

// mapEnv returns a Getenv reading from m.
func mapEnv(m map[string]string) Getenv {
	return func(k string) string { return m[k] }
}

// nonRoot is a uid other than root's, for the branches that depend on it.
const nonRoot = 1000

func TestRuntimeRoot(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		uid  int
		want string
	}{
		{"CHATD_RUNTIME_DIR wins", map[string]string{"CHATD_RUNTIME_DIR": "/x/run", "XDG_RUNTIME_DIR": "/run/user/1000"}, nonRoot, "/x/run"},
		{"CHATD_RUNTIME_DIR wins for root", map[string]string{"CHATD_RUNTIME_DIR": "/x/run"}, 0, "/x/run"},
		{"root", map[string]string{"XDG_RUNTIME_DIR": "/run/user/0"}, 0, "/run/chatd"},
		{"user with XDG_RUNTIME_DIR", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, nonRoot, "/run/user/1000/chatd"},
		{"user without XDG_RUNTIME_DIR", nil, nonRoot, "/tmp/chatd-1000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RuntimeRoot(mapEnv(tc.env), tc.uid); got != tc.want {
				t.Errorf("RuntimeRoot = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestNodeRuntimeDir(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		uid  int
		want string
	}{
		{"RUNTIME_DIRECTORY wins", map[string]string{"RUNTIME_DIRECTORY": "/run/chatd/kate", "CHATD_RUNTIME_DIR": "/x/run"}, nonRoot, "/run/chatd/kate"},
		{"first of several RUNTIME_DIRECTORY entries", map[string]string{"RUNTIME_DIRECTORY": "/run/chatd/kate:/run/other"}, 0, "/run/chatd/kate"},
		{"CHATD_RUNTIME_DIR", map[string]string{"CHATD_RUNTIME_DIR": "/x/run"}, nonRoot, "/x/run/kate"},
		{"root", nil, 0, "/run/chatd/kate"},
		{"user with XDG_RUNTIME_DIR", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, nonRoot, "/run/user/1000/chatd/kate"},
		{"user without XDG_RUNTIME_DIR", nil, nonRoot, "/tmp/chatd-1000/kate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NodeRuntimeDir(mapEnv(tc.env), tc.uid, "kate"); got != tc.want {
				t.Errorf("NodeRuntimeDir = %s, want %s", got, tc.want)
			}
		})
	}
}

// systemRootExists reports whether this machine has /run/chatd, which
// ClientRuntimeRoot prefers for users whose own runtime root is missing.
func systemRootExists(t *testing.T) bool {
	t.Helper()
	fi, err := os.Stat(SystemRuntimeRoot)
	return err == nil && fi.IsDir()
}

func TestClientRuntimeRoot(t *testing.T) {
	// ifNoSystemRoot is the expected root when the user's own is missing:
	// /run/chatd where systemd runs nodes, else the fallback.
	ifNoSystemRoot := func(t *testing.T, fallback string) string {
		if systemRootExists(t) {
			return SystemRuntimeRoot
		}
		return fallback
	}
	tests := []struct {
		name  string
		env   func(xdg string) map[string]string
		setup func(t *testing.T, xdg string)
		uid   int
		want  func(t *testing.T, xdg string) string
	}{
		{
			name: "CHATD_RUNTIME_DIR wins, existing or not",
			env: func(xdg string) map[string]string {
				return map[string]string{"CHATD_RUNTIME_DIR": "/nonexistent/run", "XDG_RUNTIME_DIR": xdg}
			},
			setup: func(t *testing.T, xdg string) { mkdir(t, filepath.Join(xdg, "chatd")) },
			uid:   nonRoot,
			want:  func(*testing.T, string) string { return "/nonexistent/run" },
		},
		{
			name:  "root uses /run/chatd, existing or not",
			env:   func(xdg string) map[string]string { return map[string]string{"XDG_RUNTIME_DIR": xdg} },
			setup: func(t *testing.T, xdg string) { mkdir(t, filepath.Join(xdg, "chatd")) },
			uid:   0,
			want:  func(*testing.T, string) string { return SystemRuntimeRoot },
		},
		{
			name:  "user's own runtime root when it exists",
			env:   func(xdg string) map[string]string { return map[string]string{"XDG_RUNTIME_DIR": xdg} },
			setup: func(t *testing.T, xdg string) { mkdir(t, filepath.Join(xdg, "chatd")) },
			uid:   nonRoot,
			want:  func(_ *testing.T, xdg string) string { return filepath.Join(xdg, "chatd") },
		},
		{
			name:  "user's own runtime root missing",
			env:   func(xdg string) map[string]string { return map[string]string{"XDG_RUNTIME_DIR": xdg} },
			setup: func(*testing.T, string) {},
			uid:   nonRoot,
			want:  func(t *testing.T, xdg string) string { return ifNoSystemRoot(t, filepath.Join(xdg, "chatd")) },
		},
		{
			name: "user's chatd is a file, not a directory",
			env:  func(xdg string) map[string]string { return map[string]string{"XDG_RUNTIME_DIR": xdg} },
			setup: func(t *testing.T, xdg string) {
				if err := os.WriteFile(filepath.Join(xdg, "chatd"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			uid:  nonRoot,
			want: func(t *testing.T, xdg string) string { return ifNoSystemRoot(t, filepath.Join(xdg, "chatd")) },
		},
		{
			name:  "user without XDG_RUNTIME_DIR",
			env:   func(string) map[string]string { return nil },
			setup: func(*testing.T, string) {},
			uid:   nonRoot,
			want:  func(t *testing.T, _ string) string { return ifNoSystemRoot(t, "/tmp/chatd-1000") },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			xdg := t.TempDir()
			tc.setup(t, xdg)
			want := tc.want(t, xdg)
			if got := ClientRuntimeRoot(mapEnv(tc.env(xdg)), tc.uid); got != want {
				t.Errorf("ClientRuntimeRoot = %s, want %s (/run/chatd exists: %v)", got, want, systemRootExists(t))
			}
		})
	}
}

// TestUserFiles covers the state directory and the user's config file,
// which follow systemd's variables for root and XDG's for users.
func TestUserFiles(t *testing.T) {
	tests := []struct {
		name string
		of   func(Getenv, int) string
		env  map[string]string
		uid  int
		want string
	}{
		{"state: STATE_DIRECTORY wins", StateDir, map[string]string{"STATE_DIRECTORY": "/var/lib/chatd/kate", "XDG_STATE_HOME": "/x/state"}, nonRoot, "/var/lib/chatd/kate"},
		{"state: first of several STATE_DIRECTORY entries", StateDir, map[string]string{"STATE_DIRECTORY": "/var/lib/chatd:/var/lib/other"}, 0, "/var/lib/chatd"},
		{"state: root", StateDir, map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/root"}, 0, "/var/lib/chatd"},
		{"state: user with XDG_STATE_HOME", StateDir, map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/kate"}, nonRoot, "/x/state/chatd"},
		{"state: user without XDG_STATE_HOME", StateDir, map[string]string{"HOME": "/home/kate"}, nonRoot, "/home/kate/.local/state/chatd"},
		{"config: root has only the system file", UserConfigFile, map[string]string{"XDG_CONFIG_HOME": "/x/config", "HOME": "/root"}, 0, ""},
		{"config: user with XDG_CONFIG_HOME", UserConfigFile, map[string]string{"XDG_CONFIG_HOME": "/x/config", "HOME": "/home/kate"}, nonRoot, "/x/config/chatd/chatd.toml"},
		{"config: user without XDG_CONFIG_HOME", UserConfigFile, map[string]string{"HOME": "/home/kate"}, nonRoot, "/home/kate/.config/chatd/chatd.toml"},
		{"config: user without HOME", UserConfigFile, nil, nonRoot, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.of(mapEnv(tc.env), tc.uid); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestClientFindsDaemon checks that a client finds a node started with
// the same environment, wherever the daemon's runtime root is.
func TestClientFindsDaemon(t *testing.T) {
	tests := []struct {
		name string
		env  func(tmp string) map[string]string
		uid  int
	}{
		{"CHATD_RUNTIME_DIR", func(tmp string) map[string]string { return map[string]string{"CHATD_RUNTIME_DIR": tmp} }, nonRoot},
		{"XDG_RUNTIME_DIR", func(tmp string) map[string]string { return map[string]string{"XDG_RUNTIME_DIR": tmp} }, nonRoot},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := mapEnv(tc.env(t.TempDir()))
			dir := NodeRuntimeDir(getenv, tc.uid, "kate")
			mkdir(t, dir) // what control.Listen does
			client := ClientRuntimeRoot(getenv, tc.uid)
			if got := SocketPath(client, "kate"); got != filepath.Join(dir, "control.sock") {
				t.Errorf("client looks for %s, daemon listens on %s", got, filepath.Join(dir, "control.sock"))
			}
		})
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
}
