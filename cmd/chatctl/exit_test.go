package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

func TestExitCode(t *testing.T) {
	unreachable := &client.UnreachableError{Socket: "/run/chatd/alex/control.sock", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, exitOK},
		{"usage", &usageError{msg: "missing NODE"}, exitUsage},
		{"wrapped usage", fmt.Errorf("ping: %w", &usageError{msg: "x"}), exitUsage},
		{"urfave/cli exit error", cli.Exit("No help topic for 'x'", 3), exitUsage},
		{"unreachable", unreachable, exitUnreachable},
		{"wrapped unreachable", fmt.Errorf("status: %w", unreachable), exitUnreachable},
		{"no node", &noNodeError{root: "/run/chatd"}, exitUnreachable},
		{"no connection", &client.APIError{Kind: wire.CodeNoConnection, Message: "no connection to moebi@localhost", Status: 502}, exitFailure},
		{"not found", &client.APIError{Kind: wire.CodeNotFound, Status: 404}, exitFailure},
		{"forbidden", fmt.Errorf("status: %w", &client.APIError{Kind: wire.CodeForbidden, Status: 403}), exitUnreachable},
		{"pang", &pangError{node: "kate@localhost", reason: "not registered"}, exitFailure},
		{"process exited", &processExitError{pid: "<kate@localhost.42.7>", reason: "panic: crash"}, exitFailure},
		{"spawn interrupted", &spawnRunningError{pid: "<kate@localhost.42.7>", socket: "/run/chatd/alex/control.sock"}, exitFailure},
		{"spawn stream cut", &spawnCutError{socket: "/run/chatd/alex/control.sock", err: client.ErrNoExit}, exitFailure},
		{"timeout", fmt.Errorf("status: no answer: %w", context.DeadlineExceeded), exitFailure},
		{"other", errors.New("write output: broken pipe"), exitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.want {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestReport(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
		code int
	}{
		{"nil", nil, "", exitOK},
		{"failure", &client.APIError{Kind: wire.CodeNoConnection, Message: "no connection to moebi@localhost: not registered"},
			"chatctl: no connection to moebi@localhost: not registered\n", exitFailure},
		{"usage with hint", &usageError{msg: "ping: missing NODE", usage: "usage: chatctl ping NODE"},
			"chatctl: ping: missing NODE\nusage: chatctl ping NODE\n", exitUsage},
		{"usage without hint", &usageError{msg: "unknown command \"x\""},
			"chatctl: unknown command \"x\"\nusage: " + globalUsage + " COMMAND [ARGS...]\nRun 'chatctl --help' for the commands.\n", exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := report(&stdout, &stderr, false, tt.err); code != tt.code {
				t.Errorf("report = %d, want %d", code, tt.code)
			}
			if stderr.String() != tt.want {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q without --json, want nothing", stdout.String())
			}
		})
	}
}

// TestReportJSON checks what --json prints on stdout for a failure: the
// daemon's error object as it answered, or the same shape for chatctl's own.
func TestReportJSON(t *testing.T) {
	apiErr := &client.APIError{Kind: wire.CodeNoConnection, Message: "no connection to moebi@localhost: not registered", Status: 502}
	tests := []struct {
		name string
		err  error
		want string // stdout, exact; "" for nothing
	}{
		{"the daemon's answer", apiErr,
			`{"error":"no connection to moebi@localhost: not registered","code":"no_connection"}` + "\n"},
		{"wrapped: still the daemon's", fmt.Errorf("send: %w", apiErr),
			`{"error":"no connection to moebi@localhost: not registered","code":"no_connection"}` + "\n"},
		{"usage", &usageError{msg: "ping: missing NODE"}, `{"error":"ping: missing NODE","code":"bad_request"}` + "\n"},
		{"unreachable", &client.UnreachableError{Socket: "/s", Err: syscall.ECONNREFUSED}, `"code":"unavailable"`},
		{"no node", &noNodeError{root: "/run/chatd"}, `"code":"unavailable"`},
		{"permission", &client.UnreachableError{Socket: "/s", Err: syscall.EACCES}, `"code":"forbidden"`},
		{"timeout", fmt.Errorf("status: timed out: %w", context.DeadlineExceeded), `"code":"timeout"`},
		{"stream ended", &streamEndedError{what: "tasks --watch", socket: "/s"}, `"code":"unavailable"`},
		{"pid in the message", &usageError{msg: "send <kate@localhost.1.2>"}, `"error":"send <kate@localhost.1.2>"`},
		{"spawn interrupted", &spawnRunningError{pid: "<kate@localhost.42.7>", socket: "/s"}, ""},
		{"spawn timed out", &spawnRunningError{socket: "/s", timeout: time.Second}, `"code":"timeout"`},
		{"pang: the response was the output", &pangError{node: "kate@localhost"}, ""},
		{"process exit: the exit event was", &processExitError{pid: "<kate@localhost.42.7>", reason: "killed"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := report(&stdout, &stderr, true, tt.err)
			if code != exitCode(tt.err) {
				t.Errorf("report = %d, want %d as without --json", code, exitCode(tt.err))
			}
			got := stdout.String()
			switch {
			case tt.want == "" && got != "":
				t.Errorf("stdout = %q, want nothing", got)
			case strings.HasPrefix(tt.want, "{") && got != tt.want:
				t.Errorf("stdout = %q, want %q", got, tt.want)
			case !strings.Contains(got, tt.want):
				t.Errorf("stdout = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}
