package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"chatd/paths"
)

// secret is cookie content long enough to be accepted; no error or
// rendering may contain it.
const secret = "s3cr3t-c00kie-content-do-not-print"

// writeCookie writes content to dir/cookie with mode and returns its path.
func writeCookie(t *testing.T, dir, content string, mode os.FileMode) string {
	t.Helper()
	p := writeFile(t, dir, "cookie", content)
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// foreignOwner makes path owned by someone other than the uid it returns,
// who is not root either: as root it gives the file away, otherwise it
// pretends to run as another user.
func foreignOwner(t *testing.T, path string) (runAs, owner int) {
	t.Helper()
	if os.Getuid() == 0 {
		if err := os.Lchown(path, 4242, -1); err != nil {
			t.Fatal(err)
		}
		return 0, 4242
	}
	return os.Getuid() + 1, os.Getuid()
}

// ownCookie is a LoadCookie setup: a file of this user's that holds
// content, with mode.
func ownCookie(content string, mode os.FileMode) func(*testing.T, string) (string, int) {
	return func(t *testing.T, dir string) (string, int) { return writeCookie(t, dir, content, mode), os.Getuid() }
}

// ownPath is a LoadCookie setup: name in the directory, made by mk as this
// user.
func ownPath(name string, mk func(path string) error) func(*testing.T, string) (string, int) {
	return func(t *testing.T, dir string) (string, int) {
		p := filepath.Join(dir, name)
		if err := mk(p); err != nil {
			t.Fatal(err)
		}
		return p, os.Getuid()
	}
}

func TestLoadCookieFile(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) (path string, uid int)
		want    string // the cookie; "" when an error is expected
		wantErr string // P stands for the path; checked when want == ""
	}{
		{"owner-only file", ownCookie("\n  "+secret+"\t\n", 0o600), secret, ""},
		{"read-only for the owner", ownCookie(secret, 0o400), secret, ""},
		{"exactly the minimum length", ownCookie(secret[:WeakCookieLen]+"\n", 0o600), secret[:WeakCookieLen], ""},
		{"readable by all", ownCookie(secret, 0o644), "", "cookie file P is readable by group or others (mode 0644); fix: chmod 600 P"},
		{"readable by group", ownCookie(secret, 0o640), "", "cookie file P is readable by group or others (mode 0640); fix: chmod 600 P"},
		{"writable by group", ownCookie(secret, 0o620), "", "cookie file P is writable or executable by group or others (mode 0620); fix: chmod 600 P"},
		{"symbolic link", func(t *testing.T, dir string) (string, int) {
			target := writeCookie(t, dir, secret, 0o600)
			link := filepath.Join(dir, "link")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link, os.Getuid()
		}, "", "cookie file P is a symbolic link; point the setting at the file itself"},
		{"directory", ownPath("cookie.d", func(p string) error { return os.Mkdir(p, 0o700) }), "", "cookie file P is a directory, not a file"},
		{"named pipe", ownPath("fifo", func(p string) error { return syscall.Mkfifo(p, 0o600) }), "", "cookie file P is not a regular file (mode prw-------)"},
		{"empty", ownCookie(" \n\t\n", 0o600), "", "cookie file P is empty: it must hold the shared cookie (at least 16 random bytes are best); fix: openssl rand -hex 32 > P"},
		{"short, as the lesson's secret_token: accepted (weak)", ownCookie("  secret_token  \n", 0o600), "secret_token", ""},
		{"Erlang's own mode 0400", ownCookie(secret, 0o400), secret, ""},
		{"too long", ownCookie(strings.Repeat(secret, MaxCookieLen/len(secret)+1), 0o600), "", "cookie file P is larger than 4096 bytes; a cookie is 1..4096 bytes"},
		{"owned by someone else", func(t *testing.T, dir string) (string, int) {
			p := writeCookie(t, dir, secret, 0o600)
			uid, _ := foreignOwner(t, p)
			return p, uid
		}, "", "cookie file P is owned by uid OWNER, not by this user (uid UID) or root; fix: chown UID P"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, uid := tc.setup(t, t.TempDir())
			c := Default()
			c.CookieFile = path
			got, err := LoadCookie(c, mapEnv(nil), uid)
			if tc.want != "" {
				if err != nil {
					t.Fatalf("LoadCookie: %v", err)
				}
				if string(got.Bytes()) != tc.want {
					t.Errorf("cookie = %q, want %q", got.Bytes(), tc.want)
				}
				return
			}
			if err == nil {
				t.Fatal("LoadCookie succeeded, want an error")
			}
			fi, _ := os.Lstat(path)
			owner := fi.Sys().(*syscall.Stat_t).Uid
			want := strings.NewReplacer("P", path, "OWNER", fmt.Sprint(owner), "UID", fmt.Sprint(uid)).Replace(tc.wantErr)
			if err.Error() != want {
				t.Errorf("error:\ngot  %v\nwant %s", err, want)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	if strings.Contains(s, secret[:WeakCookieLen-1]) {
		t.Errorf("%q contains the cookie", s)
	}
}

func TestLoadCookieSources(t *testing.T) {
	tests := []struct {
		name    string
		creds   string // content of $CREDENTIALS_DIRECTORY/cookie; "" for none
		mode    os.FileMode
		foreign bool // the credential belongs to another user
		want    string
		wantErr string
	}{
		{"credential wins over cookie_file", "credential-" + secret, 0o400, false, "credential-" + secret, ""},
		{"credential of another owner", "credential-" + secret, 0o400, true, "credential-" + secret, ""},
		{"unsafe credential", "credential-" + secret, 0o644, false, "", "is readable by group or others (mode 0644)"},
		{"no credential: cookie_file", "", 0, false, "file-" + secret, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			credDir, fileDir := t.TempDir(), t.TempDir()
			uid := os.Getuid()
			if tc.creds != "" {
				p := writeCookie(t, credDir, tc.creds, tc.mode)
				if tc.foreign {
					uid, _ = foreignOwner(t, p)
				}
			}
			c := Default()
			c.CookieFile = writeCookie(t, fileDir, "file-"+secret, 0o600)
			got, err := LoadCookie(c, mapEnv(map[string]string{"CREDENTIALS_DIRECTORY": credDir}), uid)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				assertNoSecret(t, err.Error())
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Bytes()) != tc.want {
				t.Errorf("cookie = %q, want %q", got.Bytes(), tc.want)
			}
		})
	}
}

func TestLoadCookieMissingFile(t *testing.T) {
	c := Default()
	c.CookieFile = filepath.Join(t.TempDir(), "nope")
	_, err := LoadCookie(c, mapEnv(nil), os.Getuid())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), c.CookieFile) {
		t.Fatalf("err = %v, want fs.ErrNotExist naming %s", err, c.CookieFile)
	}
}

// stateEnv returns a paths.Getenv whose state directory is a fresh, not yet
// existing directory.
func stateEnv(t *testing.T) (paths.Getenv, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state", "chatd")
	return mapEnv(map[string]string{"STATE_DIRECTORY": dir}), dir
}

func TestGeneratedCookie(t *testing.T) {
	getenv, dir := stateEnv(t)
	first, err := LoadCookie(Default(), getenv, os.Getuid())
	if err != nil {
		t.Fatal(err)
	}
	if b := first.Bytes(); len(b) != 64 || strings.Trim(string(b), "0123456789abcdef") != "" {
		t.Errorf("generated cookie is %d bytes, want 64 hex characters", len(b))
	}
	for path, want := range map[string]os.FileMode{dir: fs.ModeDir | 0o700, filepath.Join(dir, "cookie"): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, err %v; want mode %v", path, fi.Mode(), err, want)
		}
	}
	second, err := LoadCookie(Default(), getenv, os.Getuid())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("second LoadCookie returned a different cookie")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("state directory holds %d entries, want only the cookie", len(entries))
	}
	if path, kind, err := cookieSource(Default(), getenv, os.Getuid()); err != nil || path != filepath.Join(dir, "cookie") || kind != cookieGenerated {
		t.Errorf("cookieSource = %s, %v, %v; want %s, %v", path, kind, err, filepath.Join(dir, "cookie"), cookieGenerated)
	}
}

func TestGeneratedCookieUnsafe(t *testing.T) {
	getenv, dir := stateEnv(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := writeCookie(t, dir, secret, 0o644)
	_, err := LoadCookie(Default(), getenv, os.Getuid())
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+p) {
		t.Fatalf("err = %v, want the chmod fix", err)
	}
	assertNoSecret(t, err.Error())
}

func TestGeneratedCookieRace(t *testing.T) {
	const nodes, rounds = 4, 20
	for range rounds {
		getenv, _ := stateEnv(t)
		cookies := make([][]byte, nodes)
		errs := make([]error, nodes)
		var wg sync.WaitGroup
		for i := range nodes {
			wg.Go(func() {
				c, err := LoadCookie(Default(), getenv, os.Getuid())
				cookies[i], errs[i] = c.Bytes(), err
			})
		}
		wg.Wait()
		for i := range nodes {
			if errs[i] != nil {
				t.Fatalf("node %d: %v", i, errs[i])
			}
			if !bytes.Equal(cookies[i], cookies[0]) {
				t.Fatalf("node %d got a different cookie than node 0", i)
			}
		}
	}
}

func TestCookieNeverPrints(t *testing.T) {
	c := Cookie{b: []byte(secret)}
	js, err := json.Marshal(struct{ C Cookie }{c})
	if err != nil {
		t.Fatal(err)
	}
	txt, _ := c.MarshalText()
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("loaded", "cookie", c)
	renderings := map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%s": fmt.Sprintf("%s", c), "%q": fmt.Sprintf("%q", c), "%x": fmt.Sprintf("%x", c),
		"%d": fmt.Sprintf("%d", c), "pointer %v": fmt.Sprintf("%v", &c), "in a struct": fmt.Sprintf("%+v", struct{ C Cookie }{c}),
		"String": c.String(), "GoString": c.GoString(), "json": string(js), "text": string(txt), "slog": logged.String(),
	}
	for name, s := range renderings {
		if strings.Contains(s, secret) || strings.Contains(s, fmt.Sprintf("%x", secret)) || !strings.Contains(s, "[redacted]") {
			t.Errorf("%s: %q should show [redacted] and not the cookie", name, s)
		}
	}
	b := c.Bytes()
	b[0] = 'X'
	if string(c.Bytes()) != secret {
		t.Error("Bytes returned the cookie's own slice, not a copy")
	}
	if c.IsZero() || !(Cookie{}).IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestCookieWeakness(t *testing.T) {
	for _, tc := range []struct {
		cookie string
		weak   bool
	}{
		{"secret_token", true},
		{secret[:WeakCookieLen-1], true},
		{secret[:WeakCookieLen], false},
	} {
		w := Cookie{b: []byte(tc.cookie)}.Weakness()
		if (w != "") != tc.weak {
			t.Errorf("%d-byte cookie: weakness %q, want weak %v", len(tc.cookie), w, tc.weak)
		}
		if tc.weak && (!strings.Contains(w, fmt.Sprintf("only %d bytes", len(tc.cookie))) || strings.Contains(w, tc.cookie)) {
			t.Errorf("weakness %q does not say the length, or shows the cookie", w)
		}
	}
}

// TestCookieFileInHome reads cookie_file = "~/.erlang.cookie" from $HOME.
func TestCookieFileInHome(t *testing.T) {
	home := t.TempDir()
	writeCookie(t, home, secret, 0o400)
	if err := os.Rename(filepath.Join(home, "cookie"), filepath.Join(home, ".erlang.cookie")); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.CookieFile = "~/.erlang.cookie"
	got, err := LoadCookie(c, mapEnv(map[string]string{"HOME": home}), os.Getuid())
	if err != nil || string(got.Bytes()) != secret {
		t.Fatalf("LoadCookie(~/.erlang.cookie) = %q, %v", got.Bytes(), err)
	}
}
