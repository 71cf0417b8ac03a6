package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

// syncBuffer is an output a test reads while a command still writes it.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{} // closed, and replaced, at every Write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{wrote: make(chan struct{})} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.wrote)
	b.wrote = make(chan struct{})
	return b.buf.Write(p)
}

// snapshot returns what was written so far and a channel closed at the next
// Write.
func (b *syncBuffer) snapshot() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String(), b.wrote
}

// background is one chatctl run in a goroutine.
type background struct {
	stdout, stderr *syncBuffer
	code           chan int // receives the exit status
}

// startApp runs chatctl with args in the background under ctx, whose end
// interrupts it as a signal would.
func startApp(t *testing.T, ctx context.Context, args ...string) *background {
	t.Helper()
	b := &background{stdout: newSyncBuffer(), stderr: newSyncBuffer(), code: make(chan int, 1)}
	go func() {
		b.code <- runContext(ctx, append([]string{"chatctl"}, args...), b.stdout, b.stderr)
	}()
	t.Cleanup(func() { // never leave the goroutine behind, even after t.Fatal
		select {
		case <-b.code:
		case <-time.After(testkit.Wait):
			t.Errorf("chatctl %v did not end", args)
		}
	})
	return b
}

// waitFor waits until stdout contains want; the run ending first fails the
// test.
func (b *background) waitFor(t *testing.T, want string) {
	t.Helper()
	b.waitIn(t, "stdout", b.stdout, want)
}

// waitStderr waits until stderr contains want; the run ending first
// fails the test.
func (b *background) waitStderr(t *testing.T, want string) {
	t.Helper()
	b.waitIn(t, "stderr", b.stderr, want)
}

// waitIn waits until out, the run's stdout or stderr (name), contains
// want; the run ending first fails the test.
func (b *background) waitIn(t *testing.T, name string, out *syncBuffer, want string) {
	t.Helper()
	timeout := time.After(testkit.Wait)
	for {
		text, wrote := out.snapshot()
		if strings.Contains(text, want) {
			return
		}
		select {
		case <-wrote:
		case code := <-b.code:
			b.code <- code // for wait and the cleanup
			errOut, _ := b.stderr.snapshot()
			t.Fatalf("chatctl ended (exit %d, stderr %q) before printing %q; %s %q", code, errOut, want, name, text)
		case <-timeout:
			t.Fatalf("%s %q still lacks %q after %s", name, text, want, testkit.Wait)
		}
	}
}

// waitStream waits until the fake daemon streams and returns the query of
// the stream request; the run ending first fails the test.
func (b *background) waitStream(t *testing.T, streaming <-chan string) string {
	t.Helper()
	select {
	case q := <-streaming:
		return q
	case code := <-b.code:
		b.code <- code
		errOut, _ := b.stderr.snapshot()
		t.Fatalf("chatctl ended (exit %d, stderr %q) before the daemon streamed", code, errOut)
	case <-time.After(testkit.Wait):
		t.Fatalf("the daemon saw no stream request within %s", testkit.Wait)
	}
	return ""
}

// wait returns the finished run's result.
func (b *background) wait(t *testing.T) result {
	t.Helper()
	select {
	case code := <-b.code:
		b.code <- code
		out, _ := b.stdout.snapshot()
		errOut, _ := b.stderr.snapshot()
		return result{code: code, stdout: out, stderr: errOut}
	case <-time.After(testkit.Wait):
		t.Fatalf("chatctl did not end within %s", testkit.Wait)
	}
	return result{}
}

// clock is the local time of day as --watch prints it.
func clock(t time.Time) string { return t.Local().Format("15:04:05.000") }

// ndjsonLines is values as NDJSON.
func ndjsonLines[T any](t *testing.T, values ...T) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // as the daemon, and chatctl, write them
	for _, v := range values {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestStreamCommands runs tasks --watch and messages --follow against the
// fake daemon, which streams its backlog and then stays open, and ends them
// by cancelling the context: exit 0, nothing on stderr, the lines in order.
func TestStreamCommands(t *testing.T) {
	alex := startAlex(t)
	ev := taskEvents()
	msgs := alex.messages(0).Messages
	msgLine := func(m wire.Message, text string) string {
		return m.Time.Local().Format("15:04:05") + " " + m.From + ": " + text + "\n"
	}

	tests := []struct {
		name      string
		args      []string
		wantQuery string
		want      string // the whole of stdout
	}{
		{"tasks --watch", []string{"tasks", "--watch"}, "watch=1",
			clock(ev[0].Started) + "  #43 receive_message hi  alex@localhost  running\n" +
				clock(ev[1].Started.Add(400*time.Microsecond)) + "  #43 receive_message hi  alex@localhost  ok 0.4ms\n" +
				clock(ev[2].Started.Add(300*time.Microsecond)) + "  #44 crash  alex@localhost  failed 0.3ms: panic: crash\n"},
		{"tasks --watch --json", []string{"--json", "tasks", "--watch"}, "watch=1", ndjsonLines(t, ev...)},
		{"messages --follow", []string{"messages", "--follow"}, "follow=1", ""},
		{"messages --follow -n", []string{"messages", "--follow", "-n", "2"}, "follow=1&n=2",
			msgLine(msgs[1], "chicken?") + msgLine(msgs[2], `"two\nlines"`)},
		{"messages -f --json", []string{"--json", "messages", "-f", "-n", "3"}, "follow=1&n=3", ndjsonLines(t, msgs...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			run := startApp(t, ctx, append([]string{"--socket", alex.socket}, tt.args...)...)
			if q := run.waitStream(t, alex.streaming); q != tt.wantQuery {
				t.Errorf("query = %q, want %q", q, tt.wantQuery)
			}
			run.waitFor(t, tt.want)
			cancel()
			got := run.wait(t)
			if got.code != exitOK || got.stderr != "" {
				t.Errorf("interrupted run = exit %d, stderr %q; want exit 0 and no stderr", got.code, got.stderr)
			}
			if got.stdout != tt.want {
				t.Errorf("stdout = %q, want %q", got.stdout, tt.want)
			}
		})
	}
}

// TestStreamsIgnoreTimeout checks that the global --timeout does not cut a
// follow: the daemon sends its second line well after --timeout passed.
func TestStreamsIgnoreTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	tests := []struct {
		name         string
		args         []string
		first, later any
		wantLater    string
	}{
		{"tasks --watch", []string{"tasks", "--watch"},
			wire.TaskInfo{ID: 1, Function: "echo", State: wire.TaskRunning, Started: time.Now()},
			wire.TaskInfo{ID: 2, Function: "sleep", State: wire.TaskRunning, Started: time.Now()},
			"#2 sleep"},
		{"messages --follow", []string{"messages", "--follow"},
			wire.Message{ID: "1", From: "alex@localhost", Text: "first", Time: time.Now()},
			wire.Message{ID: "2", From: "alex@localhost", Text: "later", Time: time.Now()},
			"alex@localhost: later"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := serveDaemon(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				enc := json.NewEncoder(w)
				_ = enc.Encode(tt.first)
				w.(http.Flusher).Flush()
				if !outlast(r, 4*timeout) { // the quiet spell the test is about
					return
				}
				_ = enc.Encode(tt.later)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			run := startApp(t, ctx, append([]string{"--socket", sock, "--timeout", timeout.String()}, tt.args...)...)
			run.waitFor(t, tt.wantLater)
			cancel()
			if got := run.wait(t); got.code != exitOK || got.stderr != "" {
				t.Errorf("run = %+v, want exit 0 and no stderr", got)
			}
		})
	}
}

// TestStreamSignals checks that SIGINT and SIGTERM end a follow with exit 0.
func TestStreamSignals(t *testing.T) {
	alex := startAlex(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			run := startApp(t, t.Context(), "--socket", alex.socket, "messages", "--follow")
			// The stream is up, so chatctl has installed its handler: the
			// signal cannot reach the test binary's default action.
			run.waitStream(t, alex.streaming)
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatalf("kill -%s self: %v", sig, err)
			}
			if got := run.wait(t); got.code != exitOK || got.stdout != "" || got.stderr != "" {
				t.Errorf("run after %s = %+v, want exit 0 and no output", sig, got)
			}
		})
	}
}

// TestStreamEnds checks the ways a stream fails: the daemon ending a watch
// (lines may have been missed), and the daemon refusing a follow.
func TestStreamEnds(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		args       []string
		wantStdout string
		wantStderr string // with SOCK for the socket path
	}{
		{"watch ended by the daemon",
			func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"id":7,"function":"echo","caller":"kate@localhost","state":"running","started":"2025-01-02T15:04:05Z"}`+"\n")
			},
			[]string{"--json", "tasks", "--watch"},
			`{"id":7,"function":"echo","args":"","caller":"kate@localhost","started":"2025-01-02T15:04:05Z","state":"running","duration_ms":0}` + "\n" +
				`{"error":"tasks --watch: chatd at SOCK ended the stream (it is stopping, or it cut off a follower that fell behind); run the command again to resume","code":"unavailable"}` + "\n",
			"chatctl: tasks --watch: chatd at SOCK ended the stream (it is stopping, or it cut off a follower that fell behind); run the command again to resume\n"},
		{"follow refused",
			func(w http.ResponseWriter, r *http.Request) {
				reply(w, http.StatusServiceUnavailable, wire.ErrorResponse{Error: "chatd is shutting down", Code: wire.CodeUnavailable})
			},
			[]string{"messages", "--follow"}, "", "chatctl: chatd is shutting down\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := serveDaemon(t, tt.handler)
			got := runApp(t, append([]string{"--socket", sock}, tt.args...)...)
			if got.code != exitFailure {
				t.Errorf("exit = %d, want %d", got.code, exitFailure)
			}
			if want := strings.ReplaceAll(tt.wantStdout, "SOCK", sock); got.stdout != want {
				t.Errorf("stdout = %q, want %q", got.stdout, want)
			}
			if want := strings.ReplaceAll(tt.wantStderr, "SOCK", sock); got.stderr != want {
				t.Errorf("stderr = %q, want %q", got.stderr, want)
			}
		})
	}
}

// TestFollowReconnects checks that messages --follow outlives a restart of
// its node, like tail -F: it says it lost the node, waits, says it
// reconnected, and prints what came meanwhile, nothing twice.
func TestFollowReconnects(t *testing.T) {
	start := time.Now()
	m1 := wire.Message{ID: "m1", From: "kate@localhost", Text: "before", Time: start.Add(time.Second)}
	m2 := wire.Message{ID: "m2", From: "kate@localhost", Text: "meanwhile", Time: start.Add(2 * time.Second)}
	restarted := start.Add(3 * time.Second)
	var (
		mu      sync.Mutex
		follows int
		up      = make(chan struct{}) // closed when the node is back
	)
	sock := serveDaemon(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if r.URL.Query().Get("follow") == "1" {
			follows++
		}
		n := follows
		mu.Unlock()
		select {
		case <-up:
		default:
			if n > 1 || r.URL.Path == wire.PathStatus { // down, after the first follow
				reply(w, http.StatusServiceUnavailable, wire.ErrorResponse{Error: "chatd is shutting down", Code: wire.CodeUnavailable})
				return
			}
		}
		switch {
		case r.URL.Path == wire.PathStatus:
			reply(w, http.StatusOK, wire.StatusResponse{Node: "alex@localhost", Started: restarted})
		case n == 1: // the first run: m1, then it stops
			streamLines(w, m1)
		default: // the second: it replays what it keeps, then stays
			if got := r.URL.Query().Get("n"); got == "" {
				t.Errorf("reconnected follow asked for n=%q, want what the node keeps", got)
			}
			streamLines(w, m1, m2)
			<-r.Context().Done()
		}
	}))
	ctx, cancel := context.WithCancel(t.Context())
	b := startApp(t, ctx, "--socket", sock, "messages", "--follow")
	b.waitFor(t, "before")
	b.waitStderr(t, "chatctl: messages --follow: lost chatd at "+sock+
		" (it ended the stream: it is stopping, or this follow fell behind); reconnecting when it answers again (Ctrl-C stops)\n")
	close(up)
	b.waitFor(t, "meanwhile")
	b.waitStderr(t, "chatctl: messages --follow: reconnected to alex@localhost (running since "+restarted.Local().Format("15:04:05")+")\n")
	cancel()
	got := b.wait(t)
	if want := messageLine(m1) + "\n" + messageLine(m2) + "\n"; got.code != exitOK || got.stdout != want {
		t.Errorf("run = %+v, want exit 0 and stdout %q", got, want)
	}
}

// outlast waits d, as a daemon slower than chatctl's --timeout does,
// unless the client leaves first; it reports whether d passed.
func outlast(r *http.Request, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}
