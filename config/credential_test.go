package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmptyCredential checks that an empty $CREDENTIALS_DIRECTORY/cookie
// (a unit whose LoadCredential= source is empty) counts as no credential:
// cookie_file is used when set, else the generated cookie.
func TestEmptyCredential(t *testing.T) {
	tests := []struct {
		name          string
		credential    func(t *testing.T, dir string) // prepares $CREDENTIALS_DIRECTORY
		cookieFile    bool                           // cookie_file is set
		wantGenerated bool                           // else cookie_file's content
	}{
		{"empty credential, cookie_file set", emptyCredential(0o400), true, false},
		{"empty credential, no cookie_file", emptyCredential(0o400), false, true},
		{"empty credential of unsafe mode is still none", emptyCredential(0o644), true, false},
		{"no credential file, cookie_file set", func(*testing.T, string) {}, true, false},
		{"no credential file, no cookie_file", func(*testing.T, string) {}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			credDir, fileDir := t.TempDir(), t.TempDir()
			tc.credential(t, credDir)
			stateDir := filepath.Join(t.TempDir(), "state")
			getenv := mapEnv(map[string]string{"CREDENTIALS_DIRECTORY": credDir, "STATE_DIRECTORY": stateDir})
			c := Default()
			if tc.cookieFile {
				c.CookieFile = writeCookie(t, fileDir, "file-"+secret, 0o600)
			}

			path, kind, err := cookieSource(c, getenv, os.Getuid())
			wantPath, wantKind := c.CookieFile, cookieFile
			if tc.wantGenerated {
				wantPath, wantKind = filepath.Join(stateDir, "cookie"), cookieGenerated
			}
			if err != nil || path != wantPath || kind != wantKind {
				t.Errorf("cookieSource = %s, %v, %v; want %s, %v", path, kind, err, wantPath, wantKind)
			}

			got, err := LoadCookie(c, getenv, os.Getuid())
			if err != nil {
				t.Fatalf("LoadCookie: %v", err)
			}
			if tc.wantGenerated {
				b, err := os.ReadFile(filepath.Join(stateDir, "cookie"))
				if err != nil {
					t.Fatalf("no generated cookie: %v", err)
				}
				if string(got.Bytes()) != strings.TrimSpace(string(b)) || len(got.Bytes()) != 64 {
					t.Errorf("cookie is not the generated one (%d bytes)", len(got.Bytes()))
				}
			} else if string(got.Bytes()) != "file-"+secret {
				t.Errorf("cookie = %q, want cookie_file's", got.Bytes())
			}
			if fi, err := os.Stat(filepath.Join(credDir, "cookie")); err == nil && fi.Size() != 0 {
				t.Errorf("the credential was written to (%d bytes)", fi.Size())
			}
		})
	}
}

// emptyCredential creates an empty dir/cookie with mode.
func emptyCredential(mode os.FileMode) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		writeCookie(t, dir, "", mode)
	}
}

// TestNonEmptyCredentialWins checks the other side of the rule: a
// credential with content is used, or refused with its path, and never
// falls through to cookie_file.
func TestNonEmptyCredentialWins(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantErr string // "" when the credential is the cookie
	}{
		{"a cookie", "credential-" + secret + "\n", ""},
		{"only whitespace", " \t\n", "is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			credDir := t.TempDir()
			cred := writeCookie(t, credDir, tc.content, 0o400)
			c := Default()
			c.CookieFile = writeCookie(t, t.TempDir(), "file-"+secret, 0o600)
			getenv := mapEnv(map[string]string{"CREDENTIALS_DIRECTORY": credDir})
			if path, kind, err := cookieSource(c, getenv, os.Getuid()); err != nil || path != cred || kind != cookieCredential {
				t.Errorf("cookieSource = %s, %v, %v; want %s, %v", path, kind, err, cred, cookieCredential)
			}
			got, err := LoadCookie(c, getenv, os.Getuid())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), cred) {
					t.Fatalf("err = %v, want one containing %q and %s", err, tc.wantErr, cred)
				}
				assertNoSecret(t, err.Error())
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := "credential-" + secret; string(got.Bytes()) != want {
				t.Errorf("cookie = %q, want the credential's", got.Bytes())
			}
		})
	}
}
