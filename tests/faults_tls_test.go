//go:build faults

package tests

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"chatd/internal/testcert"
)

// tlsConfig is a node config turning on link TLS with a certificate from ca.
func tlsConfig(ca *testcert.CA, node string) string {
	cert, key := ca.Issue(node, "localhost", "127.0.0.1")
	return fmt.Sprintf("[link.tls]\ncert = %q\nkey = %q\nca = %q\n", cert, key, ca.File)
}

// TestFaultTLS: with [link] tls on, peers with the CA's certificates and the
// cookie link; a plaintext peer, a peer with another CA's certificate and a
// TLS peer with the wrong cookie are all refused with a message that says
// why.
func TestFaultTLS(t *testing.T) {
	c := newCluster(t)
	good := testcert.NewCA(t, c.dir, "good")
	other := testcert.NewCA(t, c.dir, "other")
	kate := c.start("kate", c.withConfig("kate", tlsConfig(good, "kate")))
	c.start("alex", c.withConfig("alex", tlsConfig(good, "alex")))
	c.start("moebi") // plaintext
	c.start("eve", c.withConfig("eve", tlsConfig(other, "eve")))
	wrong := c.writeCookie("wrong-cookie", "a-different-cookie-0123456789", 0o600)
	c.start("mallory", c.withConfig("mallory", tlsConfig(good, "mallory")), withArgs("--cookie-file", wrong))

	r := c.chatctl("--node", "alex", "ping", "kate@localhost")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "pong" {
		t.Fatalf("alex (TLS, same CA) ping kate: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	figure(t, "TLS peer with the CA's certificate: pong in %s", r.took)
	if r := c.chatctl("--node", "alex", "nodes"); r.code != 0 || !regexp.MustCompile(`kate@localhost +chatd +\S+ +out +yes `).MatchString(r.stdout) {
		t.Fatalf("alex's nodes table does not show the TLS link: exit %d, stdout %q", r.code, r.stdout)
	}
	r = c.chatctl("--node", "alex", "send", "kate@localhost", "over TLS")
	if r.code != 0 {
		t.Fatalf("send over TLS: exit %d, stderr %q", r.code, r.stderr)
	}
	waitFor(t, 5e9, "kate to print the message sent over TLS", func() bool {
		return strings.Contains(kate.stdout.String(), "over TLS")
	})

	for _, tc := range []struct{ node, why, want string }{
		{"moebi", "plaintext peer", "takes only TLS links"},
		{"eve", "certificate from another CA", "TLS handshake failed"},
		{"mallory", "TLS peer with the wrong cookie", "cookie mismatch"},
	} {
		r := c.chatctl("--node", tc.node, "ping", "kate@localhost")
		if r.code != 1 || strings.TrimSpace(r.stdout) != "pang" || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s (%s) ping kate: exit %d, stdout %q, stderr %q; want pang and %q", tc.node, tc.why, r.code, r.stdout, r.stderr, tc.want)
			continue
		}
		figure(t, "%s refused in %s: %s", tc.why, r.took, strings.TrimSpace(r.stderr))
	}
	if l := kate.links(); len(l) != 1 || l[0] != "alex@localhost" {
		t.Errorf("kate's links = %v, want only alex@localhost", l)
	}
	for _, s := range []string{"TLS handshake failed", "cookie mismatch"} {
		if !strings.Contains(kate.stderr.String(), s) {
			t.Errorf("kate's log lacks %q", s)
		}
	}

	// A key file that does not exist is a start-up error naming it.
	bad := fmt.Sprintf("[link.tls]\ncert = %q\nkey = %q\nca = %q\n", good.File, c.dir+"/missing-key.pem", good.File)
	cfg := c.dir + "/bad-tls.toml"
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(built.chatd, "check", "--name", "zed", "--config", cfg, "--cookie-file", c.cookieFile)
	cmd.Env = c.baseEnv()
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "missing-key.pem") {
		t.Fatalf("chatd check with a missing key: err %v, output %q; want a failure naming the file", err, out)
	}
	figure(t, "missing key file: chatd check exits 1: %s", strings.TrimSpace(string(out)))
}
