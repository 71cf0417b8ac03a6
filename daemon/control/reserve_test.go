package control

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"chatd/wire"
)

// TestServeOutOfDescriptors takes every descriptor the process may open:
// the control socket still answers, round after round, on its reserve.
func TestServeOutOfDescriptors(t *testing.T) {
	path := socketPath(t)
	startServer(t, path, selfPolicy(), newBackend())
	hogs := exhaustDescriptors(t)
	for round := range 3 {
		// Free one descriptor: the client's end of the connection. The
		// server has none left but its reserve.
		_ = hogs[len(hogs)-1].Close()
		hogs = hogs[:len(hogs)-1]
		status := statusOnFreshConn(t, path)
		if status != http.StatusOK {
			t.Fatalf("round %d: GET /v1/status out of descriptors: %d", round, status)
		}
		f, err := reopenHog(t)
		if err != nil {
			t.Fatalf("round %d: the freed descriptor did not come back: %v", round, err)
		}
		hogs = append(hogs, f)
	}
}

// exhaustDescriptors lowers the process's descriptor limit to a little
// above the highest descriptor open and opens /dev/null until it fails;
// the test's end gives everything back.
func exhaustDescriptors(t *testing.T) []*os.File {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	highest := 0
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil {
			highest = max(highest, fd)
		}
	}
	low := old
	low.Cur = uint64(highest + 16)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	var hogs []*os.File
	t.Cleanup(func() {
		for _, f := range hogs {
			_ = f.Close()
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Errorf("restore the descriptor limit: %v", err)
		}
	})
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("exhaust descriptors: %v", err)
			}
			return hogs
		}
		hogs = append(hogs, f)
	}
}

// reopenHog takes back the descriptor a finished connection freed; the
// server's end refills its reserve as it closes, so wait for the pair.
func reopenHog(t *testing.T) (*os.File, error) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for {
		f, err := os.Open(os.DevNull)
		if err == nil || time.Now().After(deadline) {
			return f, err
		}
		time.Sleep(time.Millisecond)
	}
}

// statusOnFreshConn makes one GET /v1/status on a new connection and
// returns the status code.
func statusOnFreshConn(t *testing.T, path string) int {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testWait))
	if _, err := io.WriteString(c, "GET "+wire.PathStatus+" HTTP/1.1\r\nHost: chatd\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read the answer out of descriptors: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
