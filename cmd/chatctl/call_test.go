package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"chatd/wire"
)

// TestFunctionRequests checks what call and spawn ask of the daemon: the
// node as typed, the function and the arguments as given; for call the
// await timeout from its own --timeout (or --await) only, for spawn detach.
func TestFunctionRequests(t *testing.T) {
	alex := startAlex(t)
	tests := []struct {
		name string
		args []string
		want any // a wire.CallRequest or a wire.SpawnRequest
	}{
		{"call, no args", []string{"call", "kate", "say_name"},
			wire.CallRequest{Node: "kate", Function: "say_name"}},
		{"call, args as given", []string{"call", "kate@localhost", "echo", "a", "--b", "c d"},
			wire.CallRequest{Node: "kate@localhost", Function: "echo", Args: []string{"a", "--b", "c d"}}},
		{"call --timeout", []string{"call", "--timeout", "1s", "kate@localhost", "sleep", "3s"},
			wire.CallRequest{Node: "kate@localhost", Function: "sleep", Args: []string{"3s"}, Timeout: "1s"}},
		{"call --await", []string{"call", "--await", "1500ms", "kate", "sleep", "1s"},
			wire.CallRequest{Node: "kate", Function: "sleep", Args: []string{"1s"}, Timeout: "1.5s"}},
		{"global --timeout is not the await", []string{"--timeout", "20s", "call", "kate", "sleep", "1s"},
			wire.CallRequest{Node: "kate", Function: "sleep", Args: []string{"1s"}}},
		{"spawn, no args", []string{"spawn", "kate", "say_name"},
			wire.SpawnRequest{Node: "kate", Function: "say_name"}},
		{"spawn, args as given", []string{"spawn", "kate@localhost", "echo", "-x", "c d"},
			wire.SpawnRequest{Node: "kate@localhost", Function: "echo", Args: []string{"-x", "c d"}}},
		{"spawn, a flag as an arg after --", []string{"spawn", "kate@localhost", "echo", "--", "a", "--detach", "c d"},
			wire.SpawnRequest{Node: "kate@localhost", Function: "echo", Args: []string{"a", "--detach", "c d"}}},
		{"spawn --detach", []string{"spawn", "--detach", "kate@localhost", "reply", "sup?"},
			wire.SpawnRequest{Node: "kate@localhost", Function: "reply", Args: []string{"sup?"}, Detach: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runApp(t, append([]string{"--socket", alex.socket}, tt.args...)...)
			var got any = alex.called(t)
			if _, spawn := tt.want.(wire.SpawnRequest); spawn {
				got = alex.spawned(t)
			}
			if !reflect.DeepEqual(got, tt.want) {
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
			sock := serveDaemon(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var req wire.CallRequest
				if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
					t.Errorf("decode call: %v", err)
				}
				if outlast(r, 4*global) { // a task that outlives --timeout
					reply(w, http.StatusOK, wire.CallResponse{Node: "kate@localhost", Function: req.Function, Result: "done"})
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
