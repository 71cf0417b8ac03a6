package control

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

// TestRefusedHTTPClient refuses a real HTTP client many times over: it must
// get the 403 and its reason every time, never an "unsolicited response"
// because the answer came before its request.
func TestRefusedHTTPClient(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to connect as another uid")
	}
	path := socketPath(t)
	refuseAll := Policy{UID: 1 << 30, GID: 1 << 30, Groups: func(int) ([]int, error) { return nil, nil }}
	startServer(t, path, refuseAll, newBackend())
	hc := &http.Client{Timeout: testkit.Wait, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return dialAsStranger(t, path), nil
		},
	}}
	for i := range 30 {
		start := time.Now()
		resp, err := hc.Get("http://chatd" + wire.PathStatus)
		if err != nil {
			t.Fatalf("try %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("try %d: read body: %v", i, err)
		}
		wantError(t, resp.StatusCode, resp.Header.Get("Content-Type"), body, http.StatusForbidden, wire.CodeForbidden)
		if took := time.Since(start); took >= refuseWait {
			t.Errorf("try %d: refused after %s; a client that sends its request at once should not wait %s", i, took, refuseWait)
		}
	}
}
