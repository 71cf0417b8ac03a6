package config

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"chatd/paths"
)

// Cookie length limits, in bytes, after trimming surrounding whitespace:
// a cookie may be as short as Erlang allows (the lesson's secret_token is
// 12 bytes), but one under WeakCookieLen is reported as weak.
const (
	WeakCookieLen = 16
	MaxCookieLen  = 4096
)

// redacted is how a Cookie prints, whatever the verb or encoder.
const redacted = "[redacted]"

// Cookie is the shared secret that nodes prove to each other. It never
// prints: fmt, slog, encoding/json and encoding.TextMarshaler users all
// see "[redacted]".
type Cookie struct {
	b []byte
}

// Bytes returns a copy of the secret: the cookie file's content with
// surrounding whitespace trimmed.
func (c Cookie) Bytes() []byte { return bytes.Clone(c.b) }

// IsZero reports whether c holds no secret.
func (c Cookie) IsZero() bool { return len(c.b) == 0 }

// Weakness says why the cookie is weak ("" when it is not): shorter than
// WeakCookieLen bytes, it can be guessed. Nodes still accept it, as Erlang
// does, and warn.
func (c Cookie) Weakness() string {
	if len(c.b) >= WeakCookieLen {
		return ""
	}
	return fmt.Sprintf("the cookie is only %d bytes: anyone who guesses it may run functions on this node; use at least %d random bytes (openssl rand -hex 32)", len(c.b), WeakCookieLen)
}

// String returns "[redacted]".
func (c Cookie) String() string { return redacted }

// GoString returns "[redacted]".
func (c Cookie) GoString() string { return redacted }

// Format writes "[redacted]" for every verb, so %x or %d cannot leak it.
func (c Cookie) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON returns the JSON string "[redacted]".
func (c Cookie) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]".
func (c Cookie) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue returns "[redacted]" for log/slog.
func (c Cookie) LogValue() slog.Value { return slog.StringValue(redacted) }

// cookieKind says which of LoadCookie's sources applies.
type cookieKind int

const (
	cookieCredential cookieKind = iota // $CREDENTIALS_DIRECTORY/cookie
	cookieFile                         // cookie_file
	cookieGenerated                    // <state dir>/cookie
)

// cookieSource returns the file LoadCookie reads (or creates, for
// cookieGenerated) for c, and which of its sources that is.
func cookieSource(c Config, getenv paths.Getenv, uid int) (string, cookieKind, error) {
	if dir := getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		p := filepath.Join(dir, "cookie")
		fi, err := os.Lstat(p)
		// An empty credential counts as none: fall through.
		if err == nil && fi.Size() > 0 {
			return p, cookieCredential, nil
		}
		if err == nil {
			err = fs.ErrNotExist
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return p, cookieCredential, fmt.Errorf("cookie credential: %w", err)
		}
	}
	if c.CookieFile != "" {
		return expandHome(c.CookieFile, getenv), cookieFile, nil
	}
	return filepath.Join(paths.StateDir(getenv, uid), "cookie"), cookieGenerated, nil
}

// expandHome turns a leading ~/ into $HOME/, so that cookie_file =
// "~/.erlang.cookie" names Erlang's own cookie file.
func expandHome(path string, getenv paths.Getenv) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home := getenv("HOME"); home != "" {
			return filepath.Join(home, rest)
		}
	}
	return path
}

// LoadCookie reads the cookie. If $CREDENTIALS_DIRECTORY/cookie exists and
// is not empty (systemd's LoadCredential=cookie:...) it is used; else c.CookieFile if
// set; else the generated cookie paths.StateDir(getenv, uid)/cookie, created on
// first start with 32 random bytes written as 64 hex characters.
//
// The file must be a regular file (not a symbolic link), readable and
// writable by its owner only, and, except for the systemd credential, owned
// by uid or root. It must hold 1..MaxCookieLen bytes after trimming
// surrounding whitespace (see Cookie.Weakness for short ones). No error ever
// contains the cookie.
func LoadCookie(c Config, getenv paths.Getenv, uid int) (Cookie, error) {
	path, kind, err := cookieSource(c, getenv, uid)
	if err != nil {
		return Cookie{}, err
	}
	switch kind {
	case cookieCredential:
		return readCookie(path, -1)
	case cookieFile:
		return readCookie(path, uid)
	}
	return generatedCookie(path, uid)
}

// generatedCookie reads path, creating it first when it does not exist.
// Two nodes starting at once agree on one cookie: each writes a complete
// candidate to a temporary file (created with O_EXCL) and links it to path,
// which fails for the loser, who then reads the winner's file.
func generatedCookie(path string, uid int) (Cookie, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Cookie{}, fmt.Errorf("cookie directory: %w", err)
	}
	if c, err := readCookie(path, uid); !errors.Is(err, fs.ErrNotExist) {
		return c, err
	}
	if err := createCookie(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return Cookie{}, err
	}
	return readCookie(path, uid)
}

// createCookie writes a new random cookie to path; the error wraps
// fs.ErrExist when another process created path first.
func createCookie(path string) error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("generate cookie: %w", err)
	}
	content := []byte(hex.EncodeToString(secret) + "\n")

	tmp, err := os.CreateTemp(filepath.Dir(path), ".cookie-*") // O_EXCL, mode 0600
	if err != nil {
		return fmt.Errorf("generate cookie: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(content)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("generate cookie: %w", err)
	}
	err = os.Link(tmp.Name(), path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	// No hard links on this file system: create path itself exclusively.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("generate cookie: %w", err)
	}
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("generate cookie %s: %w", path, err)
	}
	return nil
}

// readCookie reads and checks the cookie file at path. uid < 0 skips the
// owner check.
func readCookie(path string, uid int) (Cookie, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return Cookie{}, fmt.Errorf("cookie file: %w", err)
	}
	if err := checkCookieFile(path, fi, uid); err != nil {
		return Cookie{}, err
	}
	// O_NOFOLLOW and the re-check on the open file close the window in
	// which path could be swapped after Lstat; O_NONBLOCK keeps a FIFO
	// from hanging the open.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return Cookie{}, fmt.Errorf("cookie file: %w", err)
	}
	defer f.Close()
	ofi, err := f.Stat()
	if err != nil {
		return Cookie{}, fmt.Errorf("cookie file: %w", err)
	}
	if !os.SameFile(fi, ofi) {
		return Cookie{}, fmt.Errorf("cookie file %s was replaced while being read; try again", path)
	}
	if err := checkCookieFile(path, ofi, uid); err != nil {
		return Cookie{}, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxCookieLen+1))
	if err != nil {
		return Cookie{}, fmt.Errorf("cookie file %s: read failed: %w", path, err)
	}
	if len(b) > MaxCookieLen {
		return Cookie{}, fmt.Errorf("cookie file %s is larger than %d bytes; a cookie is 1..%d bytes", path, MaxCookieLen, MaxCookieLen)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Cookie{}, fmt.Errorf("cookie file %s is empty: it must hold the shared cookie (at least %d random bytes are best); fix: openssl rand -hex 32 > %s", path, WeakCookieLen, path)
	}
	return Cookie{b: bytes.Clone(b)}, nil
}

// checkCookieFile refuses anything but a regular, owner-only file owned by
// uid or root (uid < 0: any owner).
func checkCookieFile(path string, fi fs.FileInfo, uid int) error {
	mode := fi.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return fmt.Errorf("cookie file %s is a symbolic link; point the setting at the file itself", path)
	case mode.IsDir():
		return fmt.Errorf("cookie file %s is a directory, not a file", path)
	case !mode.IsRegular():
		return fmt.Errorf("cookie file %s is not a regular file (mode %s)", path, mode)
	}
	if perm := mode.Perm(); perm&0o077 != 0 {
		what := "readable by group or others"
		if perm&0o044 == 0 {
			what = "writable or executable by group or others"
		}
		return fmt.Errorf("cookie file %s is %s (mode %04o); fix: chmod 600 %s", path, what, perm, path)
	}
	if uid < 0 {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if owner := int(st.Uid); owner != uid && owner != 0 {
		return fmt.Errorf("cookie file %s is owned by uid %d, not by this user (uid %d) or root; fix: chown %d %s", path, owner, uid, uid, path)
	}
	return nil
}
