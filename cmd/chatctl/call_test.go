package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"chatd/wire"
)

// TestCallRequest checks what call asks of the daemon: the node as typed,
// the function, the arguments as given, and the await timeout from call's
// own --timeout (or --await) only.
func TestCallRequest(t *testing.T) {
	root := isolate(t)
	alex := startFake(t, root, "alex")
	tests := []struct {
		name string
		args []string
		want wire.CallRequest
	}{
		{"no args", []string{"call", "kate", "say_name"},
			wire.CallRequest{Node: "kate", Function: "say_name"}},
		{"args as given", []string{"call", "kate@localhost", "echo", "a", "--b", "c d"},
			wire.CallRequest{Node: "kate@localhost", Function: "echo", Args: []string{"a", "--b", "c d"}}},
		{"--timeout after call", []string{"call", "--timeout", "1s", "kate@localhost", "sleep", "3s"},
			wire.CallRequest{Node: "kate@localhost", Function: "sleep", Args: []string{"3s"}, Timeout: "1s"}},
		{"--await", []string{"call", "--await", "1500ms", "kate", "sleep", "1s"},
			wire.CallRequest{Node: "kate", Function: "sleep", Args: []string{"1s"}, Timeout: "1.5s"}},
		{"global --timeout is not the await", []string{"--timeout", "20s", "call", "kate", "sleep", "1s"},
			wire.CallRequest{Node: "kate", Function: "sleep", Args: []string{"1s"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runApp(t, append([]string{"--socket", alex.socket}, tt.args...)...)
			if got := alex.called(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("request = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCallDeadline(t *testing.T) {
	tests := []struct {
		name          string
		global, await time.Duration
		want          time.Duration
		wantLimit     string
	}{
		{"daemon's default await", 10 * time.Second, 0, 10 * time.Second, "chatctl --timeout 10s"},
		{"short await", 10 * time.Second, time.Second, 10 * time.Second, "chatctl --timeout 10s"},
		{"await raises the deadline", 10 * time.Second, 6 * time.Second, 11 * time.Second, "call --timeout 6s plus 5s"},
		{"await above a short global", 100 * time.Millisecond, time.Second, 6 * time.Second, "call --timeout 1s plus 5s"},
		{"long global kept", 30 * time.Second, 10 * time.Second, 30 * time.Second, "chatctl --timeout 30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, limit := callDeadline(tt.global, tt.await)
			if got != tt.want || limit != tt.wantLimit {
				t.Errorf("callDeadline(%s, %s) = %s, %q; want %s, %q", tt.global, tt.await, got, limit, tt.want, tt.wantLimit)
			}
			if tt.await > 0 && got <= tt.await {
				t.Errorf("deadline %s is not above the await timeout %s", got, tt.await)
			}
		})
	}
}

// TestCallOutlastsGlobalTimeout runs calls against a daemon that answers
// only after four times the global --timeout: call's own --timeout raises
// chatctl's deadline above it; without it, chatctl gives up at --timeout.
func TestCallOutlastsGlobalTimeout(t *testing.T) {
	const global = 50 * time.Millisecond
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string // with SOCK for the socket
	}{
		{"await raises the deadline", []string{"call", "--timeout", "100ms", "kate", "sleep", "150ms"}, exitOK, "done\n", ""},
		{"global timeout applies", []string{"call", "kate", "sleep", "150ms"}, exitFailure, "",
			"chatctl: call: timed out after 50ms with no answer from chatd at SOCK (chatctl --timeout 50ms)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			sock := filepath.Join(t.TempDir(), "control.sock")
			serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var req wire.CallRequest
				if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
					t.Errorf("decode call: %v", err)
				}
				select {
				case <-time.After(4 * global): // a task that outlives --timeout
					reply(w, http.StatusOK, wire.CallResponse{Node: "kate@localhost", Function: req.Function, Result: "done"})
				case <-r.Context().Done():
				}
			}))
			got := runApp(t, append([]string{"--socket", sock, "--timeout", global.String()}, tt.args...)...)
			wantStderr := strings.ReplaceAll(tt.wantStderr, "SOCK", sock)
			if got.code != tt.wantCode || got.stdout != tt.wantStdout || got.stderr != wantStderr {
				t.Errorf("run = %+v, want exit %d, stdout %q, stderr %q", got, tt.wantCode, tt.wantStdout, wantStderr)
			}
			if tt.wantStderr == "" && got.stderr != "" {
				t.Errorf("stderr = %q, want nothing", got.stderr)
			}
		})
	}
}
