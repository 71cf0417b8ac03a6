package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"chatd/cmd/internal/clidoc"
	"chatd/paths"
	"chatd/wire"
)

// result is what one in-process run of chatctl produced.
type result struct {
	code           int
	stdout, stderr string
}

// runApp runs chatctl with args in-process, as main would.
func runApp(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"chatctl"}, args...), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// isolate points discovery at an empty runtime root of the test's own and
// clears CHATCTL_NODE, so the caller's environment cannot leak in.
func isolate(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "rt")
	t.Setenv("CHATD_RUNTIME_DIR", root)
	t.Setenv(nodeEnv, "")
	return root
}

// TestCommands runs every command against a fake daemon, in human output
// (and spawn's NDJSON), and checks stdout, stderr and the exit status.
func TestCommands(t *testing.T) {
	alex := startAlex(t)
	sock := []string{"--socket", alex.socket}
	msgs := alex.messages(0).Messages
	msgLine := func(m wire.Message, text string) string {
		return regexp.QuoteMeta(m.Time.Local().Format("15:04:05") + " " + m.From + ": " + text + "\n")
	}

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // a regexp matched against the whole of stdout
		wantStderr string // exact
	}{
		{"status", []string{"status"}, exitOK,
			`node      alex@localhost\nversion   1\.0\.0\nprotocol  1\npid       4242\nenv       dev\n` +
				`uptime    1h0m\d+s\nlisten    127\.0\.0\.1:41235\nmapper    127\.0\.0\.1:4369 \(embedded\)\nlinks     1\n`, ""},
		{"nodes", []string{"nodes"}, exitOK,
			`NODE +PROTOCOL +ADDRESS +DIRECTION +TLS +SINCE\nkate@localhost +chatd +127\.0\.0\.1:5555 +out +no +3m1\ds\n`, ""},
		{"ping pong", []string{"ping", "kate@localhost"}, exitOK, "pong\n", ""},
		{"ping bare name", []string{"ping", "kate"}, exitOK, "pong\n", ""},
		{"ping pang", []string{"ping", "moebi@localhost"}, exitFailure,
			"pang\n", "chatctl: ping moebi@localhost: not registered\n"},
		{"connect", []string{"connect", "bob@localhost"}, exitOK, "linked to bob@localhost\n", ""},
		{"connect already", []string{"connect", "kate"}, exitOK, "already linked to kate@localhost\n", ""},
		{"connect no connection", []string{"connect", "moebi"}, exitFailure,
			"", "chatctl: no connection to moebi@localhost: not registered\n"},
		{"disconnect", []string{"disconnect", "kate@localhost"}, exitOK, "disconnected from kate@localhost\n", ""},
		{"disconnect not linked", []string{"disconnect", "bob"}, exitOK, "not linked to bob@localhost\n", ""},
		{"send", []string{"send", "kate@localhost", "hi", "there"}, exitOK, `sent to kate@localhost \(id 3f2a9c01\)\n`, ""},
		{"send bare name", []string{"send", "kate", "hi"}, exitOK, `sent to kate@localhost \(id 3f2a9c01\)\n`, ""},
		{"send no connection", []string{"send", "moebi", "hi"}, exitFailure,
			"", "chatctl: no connection to moebi@localhost: not registered\n"},
		{"send pid", []string{"send", "<kate@localhost.42.7>", "sup?"}, exitOK,
			`sent to <kate@localhost\.42\.7> from <alex@localhost\.1\.9>\n`, ""},
		{"send pid no process", []string{"send", "<kate@localhost.99.7>", "hi"}, exitFailure, "",
			"chatctl: send to <kate@localhost.99.7>: no such process (it ended, or belonged to an earlier start of its node)\n"},
		{"send pid mailbox full", []string{"send", "<kate@localhost.98.7>", "hi"}, exitFailure, "",
			"chatctl: send to <kate@localhost.98.7>: its mailbox is full (1024 messages)\n"},
		{"spawn", []string{"spawn", "kate@localhost", "say_name"}, exitOK,
			`Hi, my name is kate\n<kate@localhost\.42\.7>\n`, ""},
		{"spawn args as given, control characters quoted", []string{"spawn", "kate", "echo", "a", "-b", "c\td"}, exitOK,
			`a\n-b\n"c\\td"\n<kate@localhost\.42\.7>\n`, ""},
		{"spawn abnormal exit", []string{"spawn", "kate", "crash"}, exitFailure,
			`<kate@localhost\.42\.7>\n`, "chatctl: process <kate@localhost.42.7> exited: panic: crash\n"},
		{"spawn no connection", []string{"spawn", "moebi", "say_name"}, exitFailure,
			"", "chatctl: no connection to moebi@localhost: not registered\n"},
		{"spawn unknown function", []string{"spawn", "kate", "frob"}, exitFailure,
			"", "chatctl: kate@localhost: no function \"frob\"; chatctl functions lists them\n"},
		{"spawn --json", []string{"--json", "spawn", "kate", "say_name"}, exitOK,
			regexp.QuoteMeta(ndjsonLines(t, spawnEvents("kate", "say_name")...)), ""},
		{"spawn --json abnormal exit", []string{"--json", "spawn", "kate", "crash"}, exitFailure,
			regexp.QuoteMeta(ndjsonLines(t, spawnEvents("kate", "crash")...)), "chatctl: process <kate@localhost.42.7> exited: panic: crash\n"},
		{"spawn --detach", []string{"spawn", "--detach", "kate@localhost", "reply", "sup?"}, exitOK,
			`<kate@localhost\.43\.7>\n`, ""},
		{"spawn -d no connection", []string{"spawn", "-d", "moebi", "reply", "sup?"}, exitFailure,
			"", "chatctl: no connection to moebi@localhost: not registered\n"},
		{"processes", []string{"processes"}, exitOK,
			`PID                    FUNCTION  ARGS  LINKED-TO             MAILBOX  AGE\n` +
				`<alex@localhost\.1\.9>   shell     -     -                     2        1h0m\d+s\n` +
				`<alex@localhost\.42\.9>  reply     sup\?  <kate@localhost\.1\.7>  0        1\ds\n`, ""},
		{"call", []string{"call", "kate", "say_name"}, exitOK, "Hi, my name is kate\n", ""},
		{"call args", []string{"call", "kate@localhost", "echo", "a", "-b", "c d"}, exitOK, "a -b c d\n", ""},
		{"call timeout", []string{"call", "--timeout", "1s", "kate@localhost", "sleep", "3s"}, exitFailure,
			"", "chatctl: kate@localhost: sleep timed out after 1s (the task was cancelled)\n"},
		{"call task failed", []string{"call", "kate", "crash"}, exitFailure, "", "chatctl: kate@localhost: crash failed: panic: crash\n"},
		{"call unknown function", []string{"call", "kate", "frob"}, exitFailure,
			"", "chatctl: kate@localhost: no function \"frob\"; chatctl functions lists them\n"},
		{"call no connection", []string{"call", "moebi", "say_name"}, exitFailure,
			"", "chatctl: no connection to moebi@localhost: not registered\n"},
		{"messages", []string{"messages"}, exitOK,
			msgLine(msgs[0], "hi") + msgLine(msgs[1], "chicken?") + msgLine(msgs[2], `"two\nlines"`), ""},
		{"messages last", []string{"messages", "-n", "1"}, exitOK, msgLine(msgs[2], `"two\nlines"`), ""},
		{"functions", []string{"functions"}, exitOK,
			`NAME      ARGS      SUMMARY\n` +
				`echo      ARGS\.\.\.   returns its args\n` +
				`say_name  -         print "Hi, my name is <node name>"\n` +
				`sleep     DURATION  sleeps for DURATION\n`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runApp(t, append(sock, tt.args...)...)
			if got.code != tt.wantCode {
				t.Errorf("exit = %d, want %d (stderr %q)", got.code, tt.wantCode, got.stderr)
			}
			if !regexp.MustCompile(`^` + tt.wantStdout + `$`).MatchString(got.stdout) {
				t.Errorf("stdout = %q, want it to match %q", got.stdout, tt.wantStdout)
			}
			if got.stderr != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", got.stderr, tt.wantStderr)
			}
		})
	}
}

// TestCommandsJSON checks that --json prints the daemon's response as is,
// its error object on a failure, with the same exit status as human output.
func TestCommandsJSON(t *testing.T) {
	alex := startAlex(t)
	sock := []string{"--socket", alex.socket, "--json"}

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantJSON   any    // nil: stdout must be empty
		wantStderr string // exact
	}{
		{"status", []string{"status"}, exitOK, alex.Status(), ""},
		{"nodes", []string{"nodes"}, exitOK, alex.nodes(), ""},
		{"ping pong", []string{"ping", "kate"}, exitOK,
			wire.PingResponse{Node: "kate@localhost", Result: wire.Pong, RTTMs: 0.25}, ""},
		{"ping pang", []string{"ping", "moebi"}, exitFailure,
			wire.PingResponse{Node: "moebi@localhost", Result: wire.Pang, Reason: "not registered"},
			"chatctl: ping moebi@localhost: not registered\n"},
		{"connect", []string{"connect", "kate"}, exitOK, wire.ConnectResponse{Node: "kate@localhost", Already: true}, ""},
		{"connect no connection", []string{"connect", "moebi"}, exitFailure,
			wire.ErrorResponse{Error: "no connection to moebi@localhost: not registered", Code: wire.CodeNoConnection},
			"chatctl: no connection to moebi@localhost: not registered\n"},
		{"disconnect", []string{"disconnect", "bob"}, exitOK, wire.DisconnectResponse{Node: "bob@localhost"}, ""},
		{"send", []string{"send", "kate", "hi"}, exitOK,
			wire.SendResponse{ID: fakeSendID, From: "alex@localhost", To: "kate@localhost"}, ""},
		{"send no connection", []string{"send", "moebi", "hi"}, exitFailure,
			wire.ErrorResponse{Error: "no connection to moebi@localhost: not registered", Code: wire.CodeNoConnection},
			"chatctl: no connection to moebi@localhost: not registered\n"},
		{"send pid", []string{"send", "<kate@localhost.42.7>", "sup?"}, exitOK,
			wire.SendResponse{From: "<alex@localhost.1.9>", To: "<kate@localhost.42.7>"}, ""},
		{"spawn --detach", []string{"spawn", "--detach", "kate", "reply", "sup?"}, exitOK,
			wire.SpawnEvent{Event: wire.SpawnEventPid, Pid: "<kate@localhost.43.7>"}, ""},
		{"spawn --detach no connection", []string{"spawn", "--detach", "moebi", "reply", "sup?"}, exitFailure,
			wire.ErrorResponse{Error: "no connection to moebi@localhost: not registered", Code: wire.CodeNoConnection},
			"chatctl: no connection to moebi@localhost: not registered\n"},
		{"flush", []string{"flush"}, exitOK,
			wire.FlushResponse{Shell: "<alex@localhost.1.9>", Messages: fakeMailbox()}, ""},
		{"processes", []string{"processes"}, exitOK, alex.processes(), ""},
		{"call", []string{"call", "kate", "say_name"}, exitOK,
			wire.CallResponse{Node: "kate@localhost", Function: "say_name", Result: "Hi, my name is kate", DurationMs: 0.8}, ""},
		{"call timeout", []string{"call", "--await", "1s", "kate", "sleep", "3s"}, exitFailure,
			wire.ErrorResponse{Error: "kate@localhost: sleep timed out after 1s (the task was cancelled)", Code: wire.CodeTimeout},
			"chatctl: kate@localhost: sleep timed out after 1s (the task was cancelled)\n"},
		{"tasks", []string{"tasks"}, exitOK, alex.tasks(false), ""},
		{"tasks all", []string{"tasks", "--all"}, exitOK, alex.tasks(true), ""},
		{"messages", []string{"messages"}, exitOK, alex.messages(0), ""},
		{"messages last", []string{"messages", "-n", "2"}, exitOK, alex.messages(2), ""},
		{"functions", []string{"functions"}, exitOK, alex.functions(), ""},
		{"pids unescaped", []string{"processes"}, exitOK, alex.processes(), ""},
		{"usage error", []string{"ping"}, exitUsage, wire.ErrorResponse{Error: "ping: missing NODE", Code: wire.CodeBadRequest},
			"chatctl: ping: missing NODE\nusage: chatctl [--node N | --socket PATH] [--json] [--timeout D] ping NODE\n" +
				"Run 'chatctl ping --help' for details.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runApp(t, append(sock, tt.args...)...)
			if strings.Contains(got.stdout, `\u003c`) {
				t.Errorf("stdout %q escapes < as \\u003c", got.stdout)
			}
			if got.code != tt.wantCode {
				t.Errorf("exit = %d, want %d (stderr %q)", got.code, tt.wantCode, got.stderr)
			}
			if got.stderr != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", got.stderr, tt.wantStderr)
			}
			if tt.wantJSON == nil {
				if got.stdout != "" {
					t.Errorf("stdout = %q, want nothing", got.stdout)
				}
				return
			}
			if gotV, wantV := decodeJSON(t, []byte(got.stdout)), roundTrip(t, tt.wantJSON); !reflect.DeepEqual(gotV, wantV) {
				t.Errorf("stdout JSON = %v, want %v", gotV, wantV)
			}
		})
	}
}

// TestFlagsAfterCommand checks that the global flags work after the command
// and its arguments too (chatctl status --json, as the README shows), and
// that -- makes the rest of a send's words text.
func TestFlagsAfterCommand(t *testing.T) {
	alex := startAlex(t)
	tests := []struct {
		name     string
		args     []string
		wantJSON any
	}{
		{"status --json", []string{"status", "--json"}, alex.Status()},
		{"tasks --json", []string{"tasks", "--json"}, alex.tasks(false)},
		{"tasks --all --json", []string{"tasks", "--json", "--all"}, alex.tasks(true)},
		{"ping NODE --json", []string{"ping", "kate", "--json"},
			wire.PingResponse{Node: "kate@localhost", Result: wire.Pong, RTTMs: 0.25}},
		{"--json=true after", []string{"messages", "-n", "2", "--json=true"}, alex.messages(2)},
		{"send --json before the text", []string{"send", "--json", "kate", "hi"},
			wire.SendResponse{ID: fakeSendID, From: "alex@localhost", To: "kate@localhost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runApp(t, append([]string{"--socket", alex.socket}, tt.args...)...)
			if got.code != exitOK || got.stderr != "" {
				t.Fatalf("run = %+v, want exit 0 and no stderr", got)
			}
			if gotV, wantV := decodeJSON(t, []byte(got.stdout)), roundTrip(t, tt.wantJSON); !reflect.DeepEqual(gotV, wantV) {
				t.Errorf("stdout JSON = %v, want %v", gotV, wantV)
			}
		})
	}
	t.Run("-- sends flag-looking words as text", func(t *testing.T) {
		for _, args := range [][]string{
			{"send", "kate", "--", "hi", "--json"},
			{"send", "--", "kate", "hi", "--json"},
		} {
			got := runApp(t, append([]string{"--socket", alex.socket}, args...)...)
			if got.code != exitOK || got.stdout != "sent to kate@localhost (id "+fakeSendID+")\n" {
				t.Errorf("%q = %+v, want it sent", args, got)
			}
			if want := (wire.SendRequest{To: "kate", Text: "hi --json"}); alex.sent(t) != want {
				t.Errorf("%q: alex got %+v, want %+v", args, alex.sent(t), want)
			}
		}
	})
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout %q is not JSON: %v", b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("stdout %q holds more than one JSON value", b)
	}
	return v
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return decodeJSON(t, b)
}

// TestNodeSelection runs commands with two local nodes and no --socket.
func TestNodeSelection(t *testing.T) {
	root := isolate(t)
	alex := startFake(t, root, "alex")
	kate := startFake(t, root, "kate")

	t.Run("target excluded", func(t *testing.T) {
		before := kate.log.hits.Load()
		got := runApp(t, "ping", "kate@localhost")
		if got.code != exitOK || got.stdout != "pong\n" {
			t.Fatalf("ping kate = %+v, want pong", got)
		}
		if kate.log.hits.Load() != before {
			t.Errorf("ping kate@localhost spoke as kate, want alex")
		}
	})
	t.Run("send target excluded", func(t *testing.T) {
		before := kate.log.hits.Load()
		got := runApp(t, "send", "kate@localhost", "hi")
		if got.code != exitOK || got.stdout != "sent to kate@localhost (id "+fakeSendID+")\n" {
			t.Fatalf("send kate hi = %+v, want it sent", got)
		}
		if kate.log.hits.Load() != before {
			t.Errorf("send kate@localhost spoke as kate, want alex")
		}
		if want := (wire.SendRequest{To: "kate@localhost", Text: "hi"}); alex.sent(t) != want {
			t.Errorf("alex got %+v, want %+v", alex.sent(t), want)
		}
	})
	t.Run("send to a pid excludes the pid's node", func(t *testing.T) {
		tests := []struct {
			pid              string
			speaker, pidNode *fakeDaemon
			wantStdout       string
		}{
			{"<kate@localhost.42.7>", alex, kate, "sent to <kate@localhost.42.7> from <alex@localhost.1.9>\n"},
			{"<alex@localhost.3.9>", kate, alex, "sent to <alex@localhost.3.9> from <kate@localhost.1.9>\n"},
			{"<kate@elsewhere.5.1>", alex, kate, "sent to <kate@elsewhere.5.1> from <alex@localhost.1.9>\n"},
		}
		for _, tt := range tests {
			before := tt.pidNode.log.hits.Load()
			got := runApp(t, "send", tt.pid, "hi")
			if got.code != exitOK || got.stdout != tt.wantStdout || got.stderr != "" {
				t.Errorf("send %s hi = %+v, want exit 0 and %q", tt.pid, got, tt.wantStdout)
			}
			if tt.pidNode.log.hits.Load() != before {
				t.Errorf("send %s spoke as %s, the pid's node", tt.pid, tt.pidNode.node)
			}
			if want := (wire.SendRequest{To: tt.pid, Text: "hi"}); tt.speaker.sent(t) != want {
				t.Errorf("%s got %+v, want %+v", tt.speaker.node, tt.speaker.sent(t), want)
			}
		}
	})
	t.Run("spawn target excluded", func(t *testing.T) {
		before := kate.log.hits.Load()
		got := runApp(t, "spawn", "kate@localhost", "say_name")
		if got.code != exitOK || kate.log.hits.Load() != before {
			t.Errorf("spawn kate = %+v (kate hit %d times), want alex to ask", got, kate.log.hits.Load()-before)
		}
		if want := (wire.SpawnRequest{Node: "kate@localhost", Function: "say_name"}); !reflect.DeepEqual(alex.spawned(t), want) {
			t.Errorf("alex got %+v, want %+v", alex.spawned(t), want)
		}
	})
	t.Run("call target excluded", func(t *testing.T) {
		before := kate.log.hits.Load()
		got := runApp(t, "call", "kate@localhost", "say_name")
		if got.code != exitOK || kate.log.hits.Load() != before {
			t.Errorf("call kate = %+v (kate hit %d times), want alex to ask", got, kate.log.hits.Load()-before)
		}
	})
	t.Run("several", func(t *testing.T) {
		got := runApp(t, "status")
		if got.code != exitUsage || got.stdout != "" {
			t.Errorf("status = %+v, want exit %d and no stdout", got, exitUsage)
		}
		for _, want := range []string{"alex, kate", "--node NAME"} {
			if !strings.Contains(got.stderr, want) {
				t.Errorf("stderr %q does not contain %q", got.stderr, want)
			}
		}
	})
	t.Run("flag", func(t *testing.T) {
		got := runApp(t, "--node", "kate", "status")
		if !strings.HasPrefix(got.stdout, "node      kate@localhost\n") {
			t.Errorf("--node kate status = %+v, want kate's status", got)
		}
	})
	t.Run("env", func(t *testing.T) {
		t.Setenv(nodeEnv, "kate")
		got := runApp(t, "status")
		if !strings.HasPrefix(got.stdout, "node      kate@localhost\n") {
			t.Errorf("CHATCTL_NODE=kate status = %+v, want kate's status", got)
		}
		got = runApp(t, "--node", "alex", "status")
		if !strings.HasPrefix(got.stdout, "node      alex@localhost\n") {
			t.Errorf("--node alex with CHATCTL_NODE=kate = %+v, want alex's status", got)
		}
	})
	t.Run("functions: any node will do", func(t *testing.T) {
		got := runApp(t, "functions")
		if got.code != exitOK || !strings.HasPrefix(got.stdout, "NAME ") || got.stderr != "" {
			t.Errorf("functions with alex and kate running = %+v, want the table", got)
		}
	})
	t.Run("--node typo", func(t *testing.T) {
		got := runApp(t, "--node", "alx", "status")
		want := "chatctl: --node alx: no node alx is running under " + root + " (no " + paths.SocketPath(root, "alx") +
			"); running: alex, kate; did you mean alex?\n"
		if got.code != exitUnreachable || got.stdout != "" || got.stderr != want {
			t.Errorf("--node alx status = %+v, want exit %d and stderr %q", got, exitUnreachable, want)
		}
	})
	t.Run("--node on another host", func(t *testing.T) {
		before := alex.log.hits.Load()
		got := runApp(t, "--node", "alex@otherhost", "send", "kate", "hi")
		want := "chatctl: --node alex@otherhost: the local node alex is alex@localhost; chatctl reaches only the nodes" +
			" of this machine, through their control sockets\nuse --node alex, or run chatctl on otherhost\n"
		if got.code != exitUsage || got.stdout != "" || got.stderr != want {
			t.Errorf("--node alex@otherhost = %+v, want exit %d and stderr %q", got, exitUsage, want)
		}
		if n := alex.log.hits.Load() - before; n != 1 {
			t.Errorf("alex got %d requests, want 1 (its status)", n)
		}
		if got := runApp(t, "--node", "alex@localhost", "status"); got.code != exitOK {
			t.Errorf("--node alex@localhost status = %+v, want alex's status", got)
		}
	})
	t.Run("bad env", func(t *testing.T) {
		t.Setenv(nodeEnv, "kate/x")
		got := runApp(t, "status")
		if got.code != exitUsage || !strings.Contains(got.stderr, "CHATCTL_NODE \"kate/x\": bad node name") {
			t.Errorf("CHATCTL_NODE=kate/x status = %+v, want a usage error naming CHATCTL_NODE", got)
		}
	})
}

// TestOnlyTheTarget checks send to the one running node without --node:
// the node is up, the command line must say who speaks (exit 2).
func TestOnlyTheTarget(t *testing.T) {
	alex := startAlex(t)
	got := runApp(t, "send", "alex", "hi")
	want := "chatctl: send: alex is the only running chatd node, and it is the command's target; chatctl speaks as" +
		" a node other than the target unless told otherwise\n" +
		"to speak as alex itself, pass --node alex (chatctl --node alex send ...), or start another node\n"
	if got.code != exitUsage || got.stdout != "" || got.stderr != want {
		t.Errorf("send alex hi = %+v, want exit %d and stderr %q", got, exitUsage, want)
	}
	if n := alex.log.hits.Load(); n != 0 {
		t.Errorf("alex got %d requests, want none", n)
	}
	if got := runApp(t, "--node", "alex", "send", "alex", "hi"); got.code != exitOK {
		t.Errorf("--node alex send alex hi = %+v, want it sent", got)
	}
}

func TestUnreachable(t *testing.T) {
	root := isolate(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"socket missing", []string{"--socket", paths.SocketPath(root, "alex"), "status"},
			[]string{"cannot reach chatd at " + paths.SocketPath(root, "alex"), "is chatd running?"}},
		{"node missing", []string{"--node", "alex", "nodes"},
			[]string{"chatctl: --node alex: no node alex is running under " + root, "no node is running there: start it with `chatd --name alex`"}},
		{"nothing running", []string{"ping", "kate"},
			[]string{"no running chatd node found under " + root, "chatd --name NAME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runApp(t, tt.args...)
			if got.code != exitUnreachable || got.stdout != "" {
				t.Errorf("run = %+v, want exit %d and no stdout", got, exitUnreachable)
			}
			for _, want := range tt.want {
				if !strings.Contains(got.stderr, want) {
					t.Errorf("stderr %q does not contain %q", got.stderr, want)
				}
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	root := isolate(t)
	sock := paths.SocketPath(root, "alex")
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // a hung daemon
	}))
	got := runApp(t, "--timeout", "100ms", "status")
	if got.code != exitFailure || got.stdout != "" {
		t.Errorf("run = %+v, want exit %d and no stdout", got, exitFailure)
	}
	if want := "chatctl: status: timed out after 100ms with no answer from alex (chatctl --timeout 100ms)\n"; got.stderr != want {
		t.Errorf("stderr = %q, want %q", got.stderr, want)
	}
}

// TestDaemonGone checks the message for a daemon that closes the
// connection before answering: what happened, not net/http's words.
func TestDaemonGone(t *testing.T) {
	root := isolate(t)
	sock := paths.SocketPath(root, "alex")
	serveUnix(t, sock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler) // the daemon dies under the request
	}))
	got := runApp(t, "call", "kate", "sleep", "3s")
	want := "chatctl: call: chatd at " + sock + " closed the connection before answering (it stopped or crashed; its log says which)\n"
	if got.code != exitFailure || got.stdout != "" || got.stderr != want {
		t.Errorf("run = %+v, want exit %d and stderr %q", got, exitFailure, want)
	}
}

// TestUsageErrors checks that a bad command line exits 2 with a hint and
// never reaches the daemon.
func TestUsageErrors(t *testing.T) {
	alex := startAlex(t)
	tests := []struct {
		name string
		args []string
		want string // substring of stderr
	}{
		{"no command", nil, "chatctl: missing command\nusage: chatctl"},
		{"unknown command", []string{"frobnicate"}, `chatctl: unknown command "frobnicate"`},
		{"unknown global flag", []string{"--frob", "status"}, "chatctl: unknown flag --frob\n"},
		{"unknown command flag", []string{"ping", "--frob", "kate"}, "chatctl: ping: unknown flag --frob\n"},
		{"unknown flag after the arguments", []string{"ping", "kate", "--frob"}, "chatctl: ping: unknown flag --frob\n"},
		{"flag typo", []string{"status", "--jsn"}, "chatctl: status: unknown flag --jsn (did you mean --json?)\n"},
		{"bad timeout", []string{"--timeout", "1x", "status"},
			`chatctl: --timeout "1x": not a duration (a number and a unit: 500ms, 2s, 1m)` + "\n"},
		{"bad timeout after the command", []string{"status", "--timeout=soon"}, `chatctl: --timeout "soon": not a duration`},
		{"missing value", []string{"status", "--node"}, "chatctl: --node needs a value"},
		{"zero timeout", []string{"--timeout", "0s", "status"}, "--timeout must be positive"},
		{"missing node", []string{"ping"}, "chatctl: ping: missing NODE\nusage: chatctl [--node N | --socket PATH] [--json] [--timeout D] ping NODE\n"},
		{"bad node", []string{"connect", "kate@"}, "chatctl: connect: bad node name: the host part is empty"},
		{"bad node format hint", []string{"disconnect", "k ate"}, "NODE is NAME or NAME@HOST"},
		{"extra argument", []string{"status", "now"}, `chatctl: status: unexpected argument "now"`},
		{"unknown command typo", []string{"sned"}, `chatctl: unknown command "sned"; did you mean send?` + "\n"},
		{"flag in the text", []string{"send", "kate", "hi", "--json"},
			`chatctl: send: "--json" is a flag of chatctl, but it is in the TEXT; put flags before TARGET,` +
				` or write -- before the text to take it as it is: chatctl send kate -- hi --json` + "\n"},
		{"command flag in the args", []string{"call", "kate", "sleep", "3s", "--timeout", "1s"},
			`chatctl: call: "--timeout" is a flag of chatctl, but it is in the ARGS; put flags before NODE,` +
				` or write -- before the args to take it as it is: chatctl call kate sleep -- 3s --timeout 1s` + "\n"},
		{"bad --node", []string{"--node", "a/b", "status"}, `chatctl: --node "a/b": bad node name`},
		{"help topic", []string{"help", "frobnicate"}, "No help topic for 'frobnicate'"},
		{"send missing target", []string{"send"}, "chatctl: send: missing TARGET TEXT...\n"},
		{"send missing text", []string{"send", "kate"},
			"chatctl: send: missing TEXT...\nusage: chatctl [--node N | --socket PATH] [--json] [--timeout D] send TARGET TEXT...\n"},
		{"send bad target", []string{"send", "k ate", "hi"}, "TARGET is a node, NAME or NAME@HOST"},
		{"call missing function", []string{"call", "kate"}, "chatctl: call: missing FUNCTION\n"},
		{"call bad node", []string{"call", "kate@", "echo"}, "chatctl: call: bad node name: the host part is empty"},
		{"call zero timeout", []string{"call", "--timeout", "0s", "kate", "echo"}, "chatctl: call: --timeout must be positive, not 0s"},
		{"call bad await", []string{"call", "--await", "soon", "kate", "echo"}, `chatctl: call: --await "soon": not a duration`},
		{"tasks all and watch", []string{"tasks", "--all", "--watch"}, "chatctl: tasks: --all lists finished tasks"},
		{"tasks extra argument", []string{"tasks", "now"}, `chatctl: tasks: unexpected argument "now"`},
		{"messages zero", []string{"messages", "-n", "0"}, "chatctl: messages: -n must be at least 1, not 0"},
		{"functions extra argument", []string{"functions", "all"}, `chatctl: functions: unexpected argument "all"`},
		{"send pid without id", []string{"send", "<kate>", "hi"},
			`chatctl: send: bad pid "<kate>": no .ID.CREATION after the node name; want ` + wire.PidFormat + "\n"},
		{"spawn missing node", []string{"spawn"}, "chatctl: spawn: missing NODE FUNCTION\n"},
		{"spawn missing function", []string{"spawn", "kate"},
			"chatctl: spawn: missing FUNCTION\nusage: chatctl [--node N | --socket PATH] [--json] [--timeout D] spawn NODE FUNCTION [ARGS...]\n"},
		{"spawn bad node", []string{"spawn", "--detach", "kate@", "reply", "x"}, "chatctl: spawn: bad node name: the host part is empty"},
		{"spawn flag in the args", []string{"spawn", "kate", "echo", "a", "--detach"},
			`chatctl: spawn: "--detach" is a flag of chatctl, but it is in the ARGS`},
		{"spawn pid as node", []string{"spawn", "<kate@localhost.1.2>", "say_name"}, "NODE is NAME or NAME@HOST"},
		{"spawn unknown flag", []string{"spawn", "--follow", "kate", "say_name"}, "chatctl: spawn: unknown flag --follow"},
		{"flush extra argument", []string{"flush", "now"}, `chatctl: flush: unexpected argument "now"`},
		{"processes extra argument", []string{"processes", "all"}, `chatctl: processes: unexpected argument "all"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runApp(t, tt.args...)
			if got.code != exitUsage {
				t.Errorf("exit = %d, want %d (stderr %q)", got.code, exitUsage, got.stderr)
			}
			if !strings.Contains(got.stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", got.stderr, tt.want)
			}
			if got.stdout != "" {
				t.Errorf("stdout = %q, want nothing", got.stdout)
			}
		})
	}
	if n := alex.log.hits.Load(); n != 0 {
		t.Errorf("the daemon got %d requests from bad command lines, want 0", n)
	}
}

// commandOrder is the order chatctl --help lists the commands in.
var commandOrder = []string{"send", "chat", "spawn", "call", "flush", "processes", "ping", "nodes", "connect",
	"disconnect", "tasks", "messages", "functions", "status", "version", "docs"}

func TestCommandOrder(t *testing.T) {
	var got []string
	for _, cmd := range newApp(io.Discard, io.Discard).Commands {
		if !cmd.Hidden {
			got = append(got, cmd.Name)
		}
	}
	if !reflect.DeepEqual(got, commandOrder) {
		t.Errorf("commands = %v, want %v", got, commandOrder)
	}
}

// TestVersion checks chatctl version: the client's version, then each
// running node's, like ctr version.
func TestVersion(t *testing.T) {
	root := isolate(t)
	client := "Client:\n  Version:   " + version + "\n  API:       v1\n"
	got := runApp(t, "version")
	if got.code != exitUnreachable || got.stdout != client || !strings.Contains(got.stderr, "no running chatd node found") {
		t.Errorf("version with no node = %+v, want the client part and exit %d", got, exitUnreachable)
	}
	startFake(t, root, "alex")
	startFake(t, root, "kate")
	node := func(n string) string { return "Node " + n + "@localhost:\n  Version:   1.0.0\n  Protocol:  1\n" }
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"version"}, client + node("alex") + node("kate")},
		{[]string{"--node", "kate", "version"}, client + node("kate")},
	}
	for _, tt := range tests {
		if got := runApp(t, tt.args...); got.code != exitOK || got.stdout != tt.want || got.stderr != "" {
			t.Errorf("%q = %+v, want exit 0 and %q", tt.args, got, tt.want)
		}
	}
	got = runApp(t, "version", "--json", "--node", "alex")
	want := versionOutput{Client: clientVersion{Version: version, API: "v1"},
		Nodes: []nodeVersion{{Node: "alex@localhost", Version: "1.0.0", Protocol: 1}}}
	if gotV, wantV := decodeJSON(t, []byte(got.stdout)), roundTrip(t, want); got.code != exitOK || !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("version --json = %+v, want %v", got, wantV)
	}
}

// TestFlagHelpSaysDefaultOnce checks that no flag's help names its
// default twice (once in the usage, once from urfave/cli).
func TestFlagHelpSaysDefaultOnce(t *testing.T) {
	for _, help := range clidoc.DoubleDefaults(newApp(io.Discard, io.Discard)) {
		t.Errorf("flag help %q says default twice", help)
	}
}

func TestHelpAndVersion(t *testing.T) {
	isolate(t)
	got := runApp(t, "--version")
	if got.code != exitOK || got.stdout != "chatctl version "+version+"\n" {
		t.Errorf("--version = %+v", got)
	}
	for _, cmd := range commandOrder {
		got := runApp(t, cmd, "--help")
		if got.code != exitOK || !strings.Contains(got.stdout, "Example:") {
			t.Errorf("%s --help = %+v, want exit 0 and an example", cmd, got)
		}
	}
}
