package link

import (
	"errors"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/testcert"
	"chatd/internal/testkit"
)

func withTLS(t *testing.T, ca *testcert.CA, node string, hosts ...string) func(*Config) {
	t.Helper()
	cert, key := ca.Issue(node, hosts...)
	lt, err := LoadTLS(cert, key, ca.File)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *Config) { c.TLS = lt }
}

func TestTLSLinks(t *testing.T) {
	dir := t.TempDir()
	good := testcert.NewCA(t, dir, "good")
	other := testcert.NewCA(t, dir, "other")
	const cookie = "a cookie of twenty bytes"
	tests := []struct {
		name      string
		connector func(*Config) // nil: plaintext
		acceptor  func(*Config)
		cookie    string
		want      error // nil: the link comes up
	}{
		{"both TLS, same CA", withTLS(t, good, "alex", "localhost"), withTLS(t, good, "kate", "localhost"), cookie, nil},
		{"plaintext connector", nil, withTLS(t, good, "kate", "localhost"), cookie, ErrTLS},
		{"plaintext acceptor", withTLS(t, good, "alex", "localhost"), nil, cookie, ErrTLS},
		{"connector from another CA", withTLS(t, other, "alex", "localhost"), withTLS(t, good, "kate", "localhost"), cookie, ErrTLS},
		{"acceptor from another CA", withTLS(t, good, "alex", "localhost"), withTLS(t, other, "kate", "localhost"), cookie, ErrTLS},
		{"connector's certificate for another host", withTLS(t, good, "alex", "elsewhere"), withTLS(t, good, "kate", "localhost"), cookie, ErrTLS},
		{"acceptor's certificate for another host", withTLS(t, good, "alex", "localhost"), withTLS(t, good, "kate", "elsewhere"), cookie, ErrTLS},
		{"TLS but the wrong cookie", withTLS(t, good, "alex", "localhost"), withTLS(t, good, "kate", "localhost"), "another cookie, twenty+", peer.ErrCookieMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newResolver()
			var copts, aopts []func(*Config)
			if tt.connector != nil {
				copts = append(copts, tt.connector)
			}
			if tt.acceptor != nil {
				aopts = append(aopts, tt.acceptor)
			}
			kate := startNode(t, r, "kate@localhost", tt.cookie, time.Second, aopts...)
			alex := startNode(t, r, "alex@localhost", cookie, time.Second, copts...)
			l, err := alex.link(testkit.Ctx(t, 5*time.Second), kate.name)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("link: %v", err)
				}
				if _, err := l.Ping(testkit.Ctx(t, 5*time.Second)); err != nil {
					t.Fatalf("ping over TLS: %v", err)
				}
				if !l.Info().TLS {
					t.Fatal("the link's info does not say TLS")
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("link error = %v, want %v", err, tt.want)
			}
			t.Logf("refused as expected: %v", err)
			if n := len(kate.mgr.Links()); n != 0 {
				t.Errorf("kate has %d links after a refused attempt", n)
			}
		})
	}
}
