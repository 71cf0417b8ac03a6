//go:build faults

package tests

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFaultCookieFiles: every unsafe or unusable cookie file is refused at
// start with a message naming the file and the fix, never the cookie; with
// no cookie configured the node generates 32 random bytes, owner-only.
func TestFaultCookieFiles(t *testing.T) {
	const secret = "e2e-secret-cookie-0123456789abcdef"
	for _, tc := range []struct {
		name string
		make func(c *cluster) string // returns the --cookie-file path
		want string
	}{
		{"group-readable", func(c *cluster) string { return c.writeCookie("c", secret, 0o640) }, "chmod 600"},
		{"other-readable", func(c *cluster) string { return c.writeCookie("c", secret, 0o604) }, "chmod 600"},
		{"symbolic link", func(c *cluster) string {
			target := c.writeCookie("target", secret, 0o600)
			link := filepath.Join(c.dir, "link")
			mustDo(c.t, os.Symlink(target, link))
			return link
		}, "symbolic link"},
		{"directory", func(c *cluster) string {
			d := filepath.Join(c.dir, "dir")
			mustDo(c.t, os.Mkdir(d, 0o700))
			return d
		}, "is a directory"},
		{"FIFO", func(c *cluster) string {
			p := filepath.Join(c.dir, "fifo")
			mustDo(c.t, syscall.Mkfifo(p, 0o600))
			return p
		}, "not a regular file"},
		{"empty", func(c *cluster) string { return c.writeCookie("c", "", 0o600) }, "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			path := tc.make(c)
			n := c.spawn("alex", withArgs("--cookie-file", path))
			took := n.waitExit(10 * time.Second)
			msg := n.stderr.String()
			if n.err == nil || !strings.Contains(msg, path) || !strings.Contains(msg, tc.want) {
				t.Fatalf("chatd with a %s cookie file: err %v, stderr %q; want exit 1 naming %s and %q", tc.name, n.err, msg, path, tc.want)
			}
			if strings.Contains(msg, secret[:10]) {
				t.Fatalf("the cookie leaked into the error: %q", msg)
			}
			figure(t, "refused at start in %s: %s", took.Round(time.Millisecond), strings.TrimSpace(msg))
		})
	}

	// A short cookie is what Erlang clusters often use (an iex node's
	// --cookie secret), so it starts the node with a warning naming the
	// file and the fix, never the cookie.
	t.Run("15 bytes", func(t *testing.T) {
		c := newCluster(t)
		path := c.writeCookie("c", secret[:15], 0o600)
		n := c.start("alex", withArgs("--cookie-file", path))
		waitFor(t, 5*time.Second, "the weak-cookie warning", func() bool {
			return strings.Contains(n.stderr.String(), "weak cookie")
		})
		msg := n.stderr.String()
		if !strings.Contains(msg, path) || !strings.Contains(msg, "only 15 bytes") {
			t.Fatalf("chatd with a 15-byte cookie: stderr %q; want a weak-cookie warning naming %s", msg, path)
		}
		if strings.Contains(msg, secret[:10]) {
			t.Fatalf("the cookie leaked into the warning: %q", msg)
		}
		figure(t, "a 15-byte cookie starts the node with a warning naming %s", path)
	})

	t.Run("generated", func(t *testing.T) {
		c := newCluster(t)
		n := c.start("alex", withArgs("--cookie-file", ""))
		path := filepath.Join(c.dir, "state", "cookie")
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("no generated cookie: %v", err)
		}
		b, err := os.ReadFile(path)
		mustDo(t, err)
		raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(raw) != 32 || fi.Mode().Perm() != 0o600 {
			t.Fatalf("generated cookie: %d random bytes (hex err %v), mode %04o; want 32 bytes, 0600", len(raw), err, fi.Mode().Perm())
		}
		if strings.Contains(n.stderr.String(), strings.TrimSpace(string(b))) {
			t.Fatal("the generated cookie appears in the log")
		}
		figure(t, "no cookie configured: generated %d random bytes in %s, mode %04o", len(raw), path, fi.Mode().Perm())
	})
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
