package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"chatd/wire"
)

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
		if !outlast(r, 4*timeout) {
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
			sock := serveDaemon(t, tt.handler)
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

// TestSpawnCut checks a spawn whose stream ends before the process's exit
// event: cleanly, as when the daemon stops, or mid-body, as when it is
// killed. The node went away, exit 1; --json ends the events with the
// error object.
func TestSpawnCut(t *testing.T) {
	pid := spawnPid("kate", false)
	going := []wire.SpawnEvent{{Event: wire.SpawnEventPid, Pid: pid}, {Event: wire.SpawnEventOutput, Pid: pid, Text: "going"}}
	const gone = "spawn: the node went away: chatd at SOCK ended the stream before process <kate@localhost.42.7> exited" +
		" (it is stopping, or it crashed)"
	tests := []struct {
		name       string
		abort      bool // the connection drops mid-body
		json       bool
		wantStdout string
	}{
		{"stream ended", false, false, "going\n"},
		{"stream ended, --json", false, true, ndjsonLines(t, going...) + `{"error":"` + gone + `","code":"unavailable"}` + "\n"},
		{"connection dropped", true, false, "going\n"},
		{"connection dropped, --json", true, true, ndjsonLines(t, going...) + `{"error":"` + gone + `","code":"unavailable"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := serveDaemon(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				streamLines(w, going[0], going[1])
				if tt.abort {
					panic(http.ErrAbortHandler)
				}
			}))
			args := []string{"--socket", sock, "spawn", "kate", "sleep", "1h"}
			if tt.json {
				args = append([]string{"--json"}, args...)
			}
			got := runApp(t, args...)
			wantStdout := strings.ReplaceAll(tt.wantStdout, "SOCK", sock)
			wantStderr := "chatctl: " + strings.ReplaceAll(gone, "SOCK", sock) + "\n"
			if got.code != exitFailure || got.stdout != wantStdout || got.stderr != wantStderr {
				t.Errorf("run = %+v, want exit 1, stdout %q, stderr %q", got, wantStdout, wantStderr)
			}
		})
	}
}

// TestSpawnInterrupted checks that the end of the context, as SIGINT,
// stops streaming with exit 1 and a message that the process runs on.
func TestSpawnInterrupted(t *testing.T) {
	alex := startAlex(t)
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
	alex := startAlex(t)
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
