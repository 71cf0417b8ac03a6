package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"chatd/wire"
)

// TestSpawnRequest checks what spawn asks of the daemon: the node as typed,
// the function, the arguments as given, and detach.
func TestSpawnRequest(t *testing.T) {
	root := isolate(t)
	alex := startFake(t, root, "alex")
	tests := []struct {
		name string
		args []string
		want wire.SpawnRequest
	}{
		{"no args", []string{"spawn", "kate", "say_name"},
			wire.SpawnRequest{Node: "kate", Function: "say_name"}},
		{"args as given", []string{"spawn", "kate@localhost", "echo", "-x", "c d"},
			wire.SpawnRequest{Node: "kate@localhost", Function: "echo", Args: []string{"-x", "c d"}}},
		{"a flag as an arg after --", []string{"spawn", "kate@localhost", "echo", "--", "a", "--detach", "c d"},
			wire.SpawnRequest{Node: "kate@localhost", Function: "echo", Args: []string{"a", "--detach", "c d"}}},
		{"detach", []string{"spawn", "--detach", "kate@localhost", "reply", "sup?"},
			wire.SpawnRequest{Node: "kate@localhost", Function: "reply", Args: []string{"sup?"}, Detach: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runApp(t, append([]string{"--socket", alex.socket}, tt.args...)...)
			if got := alex.spawned(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("request = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSpawnJSON checks that spawn --json prints the events as NDJSON, with
// the same exit status and stderr as human output.
func TestSpawnJSON(t *testing.T) {
	root := isolate(t)
	alex := startFake(t, root, "alex")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"normal", []string{"spawn", "kate", "say_name"}, exitOK,
			ndjsonLines(t, spawnEvents("kate", "say_name")...), ""},
		{"abnormal exit", []string{"spawn", "kate", "crash"}, exitFailure,
			ndjsonLines(t, spawnEvents("kate", "crash")...), "chatctl: process <kate@localhost.42.7> exited: panic: crash\n"},
		{"stream cut", []string{"spawn", "kate", "vanish"}, exitFailure,
			ndjsonLines(t, spawnEvents("kate", "vanish")...) + `{"error":"spawn: the node went away: chatd at ` + alex.socket +
				` ended the stream before process <kate@localhost.42.7> exited (it is stopping, or it crashed)","code":"unavailable"}` + "\n",
			"chatctl: spawn: the node went away: chatd at " + alex.socket +
				" ended the stream before process <kate@localhost.42.7> exited (it is stopping, or it crashed)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runApp(t, append([]string{"--socket", alex.socket, "--json"}, tt.args...)...)
			if got.code != tt.wantCode || got.stdout != tt.wantStdout || got.stderr != tt.wantStderr {
				t.Errorf("run = %+v, want exit %d, stdout %q, stderr %q", got, tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}

// TestSpawnTimeout checks that the global --timeout bounds the wait for a
// spawn's first event and a detached spawn, but not the output of a
// process that runs longer than it.
func TestSpawnTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	pid := spawnPid("kate", false)
	late := func(w http.ResponseWriter, r *http.Request) { // a process that outlives --timeout
		// The server notices the client hanging up only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		enc := json.NewEncoder(w)
		_ = enc.Encode(wire.SpawnEvent{Event: wire.SpawnEventPid, Pid: pid})
		w.(http.Flusher).Flush()
		select {
		case <-time.After(4 * timeout):
		case <-r.Context().Done():
			return
		}
		_ = enc.Encode(wire.SpawnEvent{Event: wire.SpawnEventOutput, Pid: pid, Text: "later"})
		_ = enc.Encode(wire.SpawnEvent{Event: wire.SpawnEventExit, Pid: pid, Reason: wire.ExitNormal})
	}
	hung := func(w http.ResponseWriter, r *http.Request) { // a daemon that never answers
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string // prefix
	}{
		{"output after --timeout", late, []string{"spawn", "kate", "sleep", "200ms"}, exitOK, "later\n" + pid + "\n", ""},
		{"no pid within --timeout", hung, []string{"spawn", "kate", "say_name"}, exitFailure, "",
			"chatctl: spawn: timed out after 50ms with no answer (chatctl --timeout 50ms); if the process started, it keeps running, linked to the shell of the node at "},
		{"detach bounded by --timeout", hung, []string{"spawn", "--detach", "kate", "reply", "x"}, exitFailure, "",
			"chatctl: spawn: timed out after 50ms with no answer from chatd at SOCK (chatctl --timeout 50ms)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			sock := filepath.Join(t.TempDir(), "control.sock")
			serveUnix(t, sock, tt.handler)
			got := runApp(t, append([]string{"--socket", sock, "--timeout", timeout.String()}, tt.args...)...)
			wantStderr := strings.ReplaceAll(tt.wantStderr, "SOCK", sock)
			if got.code != tt.wantCode || got.stdout != tt.wantStdout || !strings.HasPrefix(got.stderr, wantStderr) {
				t.Errorf("run = %+v, want exit %d, stdout %q, stderr starting %q", got, tt.wantCode, tt.wantStdout, wantStderr)
			}
			if tt.wantStderr == "" && got.stderr != "" {
				t.Errorf("stderr = %q, want nothing", got.stderr)
			}
		})
	}
}

// TestSpawnCut checks a spawn whose stream drops mid-body, as when the
// daemon is killed: the node went away, exit 1.
func TestSpawnCut(t *testing.T) {
	isolate(t)
	sock := filepath.Join(t.TempDir(), "control.sock")
	pid := spawnPid("kate", false)
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(wire.SpawnEvent{Event: wire.SpawnEventPid, Pid: pid})
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-body
	}))
	got := runApp(t, "--socket", sock, "spawn", "kate", "sleep", "1h")
	want := "chatctl: spawn: the node went away: chatd at " + sock +
		" ended the stream before process " + pid + " exited (it is stopping, or it crashed)\n"
	if got.code != exitFailure || got.stdout != "" || got.stderr != want {
		t.Errorf("run = %+v, want exit 1, no stdout, stderr %q", got, want)
	}
}

// TestSpawnInterrupted checks that the end of the context, as SIGINT,
// stops streaming with exit 1 and a message that the process runs on.
func TestSpawnInterrupted(t *testing.T) {
	root := isolate(t)
	alex := startFake(t, root, "alex")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	run := startApp(t, ctx, "--socket", alex.socket, "spawn", "kate", "sleep", "1h")
	run.waitStream(t, alex.streaming)
	run.waitFor(t, "sleeping\n")
	cancel()
	got := run.wait(t)
	want := "chatctl: spawn: interrupted; process <kate@localhost.42.7> keeps running, linked to the shell of the node at " +
		alex.socket + ", and its later output goes to that node's log\n"
	if got.code != exitFailure || got.stdout != "sleeping\n" || got.stderr != want {
		t.Errorf("interrupted run = %+v, want exit 1, stdout %q, stderr %q", got, "sleeping\n", want)
	}
}

// TestSpawnSignals checks that SIGINT and SIGTERM stop an attached spawn
// with exit 1, saying the process keeps running.
func TestSpawnSignals(t *testing.T) {
	root := isolate(t)
	alex := startFake(t, root, "alex")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			run := startApp(t, t.Context(), "--socket", alex.socket, "--json", "spawn", "kate", "sleep", "1h")
			// The stream is up, so chatctl has installed its handler: the
			// signal cannot reach the test binary's default action.
			run.waitStream(t, alex.streaming)
			run.waitFor(t, `"text":"sleeping"`) // chatctl has the pid
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatalf("kill -%s self: %v", sig, err)
			}
			got := run.wait(t)
			if want := ndjsonLines(t, spawnEvents("kate", "sleep")...); got.code != exitFailure || got.stdout != want {
				t.Errorf("run after %s = %+v, want exit 1 and stdout %q", sig, got, want)
			}
			if want := "chatctl: spawn: interrupted; process <kate@localhost.42.7> keeps running"; !strings.HasPrefix(got.stderr, want) {
				t.Errorf("stderr = %q, want it to start with %q", got.stderr, want)
			}
		})
	}
}
