package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chatd/paths"
)

func TestDiscover(t *testing.T) {
	tests := []struct {
		name     string
		running  []string // nodes with a live control socket
		stale    []string // nodes whose socket file nobody listens on
		noSocket []string // runtime directories without a socket
		noRoot   bool     // the runtime root does not exist
		target   string   // the command's target node, excluded
		anyNode  bool     // any running node will do

		want     string   // the node chosen; "" when an error is expected
		wantCode int      // the exit status of the error
		wantMsg  []string // substrings of the error
	}{
		{
			name: "no root", noRoot: true,
			wantCode: exitUnreachable,
			wantMsg:  []string{"no running chatd node found under ROOT", "does not exist", "chatd --name NAME", "systemctl start chatd@NAME", "--socket PATH"},
		},
		{
			name:     "empty root",
			wantCode: exitUnreachable,
			wantMsg:  []string{"under ROOT", "no ROOT/*/control.sock exists"},
		},
		{
			name: "one", running: []string{"alex"},
			want: "alex",
		},
		{
			name: "several", running: []string{"moebi", "alex", "kate"},
			wantCode: exitUsage,
			wantMsg:  []string{"several chatd nodes are running under ROOT: alex, kate, moebi"},
		},
		{
			name: "target excluded", running: []string{"alex", "kate"}, target: "kate",
			want: "alex",
		},
		{
			name: "several, any will do", running: []string{"moebi", "alex", "kate"}, anyNode: true,
			want: "alex",
		},
		{
			name: "any will do, but not the target", running: []string{"alex", "kate"}, target: "alex", anyNode: true,
			want: "kate",
		},
		{
			name: "only the target", running: []string{"kate"}, target: "kate", stale: []string{"alex"},
			wantCode: exitUsage,
			wantMsg:  []string{"ping: kate is the only running chatd node, and it is the command's target"},
		},
		{
			name: "stale socket ignored", running: []string{"kate"}, stale: []string{"alex"},
			want: "kate",
		},
		{
			name: "only stale", stale: []string{"alex", "kate"},
			wantCode: exitUnreachable,
			wantMsg:  []string{"tried ROOT/alex/control.sock: connection refused; ROOT/kate/control.sock: connection refused"},
		},
		{
			name: "directories without sockets ignored", running: []string{"alex"}, noSocket: []string{"kate", "not a node"},
			want: "alex",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "rt")
			if !tt.noRoot {
				if err := os.Mkdir(root, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			for _, n := range tt.running {
				startFake(t, root, n)
			}
			for _, n := range tt.stale {
				staleSocket(t, paths.SocketPath(root, n))
			}
			for _, n := range tt.noSocket {
				if err := os.Mkdir(filepath.Join(root, n), 0o700); err != nil {
					t.Fatal(err)
				}
			}

			got, err := selection{root: root, target: tt.target, command: "ping", anyNode: tt.anyNode}.discover(t.Context())
			if tt.want != "" {
				if err != nil {
					t.Fatalf("discover: %v", err)
				}
				if want := paths.SocketPath(root, tt.want); got != want {
					t.Errorf("discover = %s, want %s", got, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("discover = %s, want an error", got)
			}
			if code := exitCode(err); code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (error %v)", code, tt.wantCode, err)
			}
			msg := strings.ReplaceAll(err.Error(), root, "ROOT")
			for _, want := range tt.wantMsg {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
		})
	}
}

func TestSelectionResolve(t *testing.T) {
	root := filepath.Join(t.TempDir(), "rt")
	startFake(t, root, "alex")
	startFake(t, root, "kate")

	tests := []struct {
		name     string
		sel      selection
		want     string
		wantCode int
	}{
		{"socket wins", selection{socket: "/elsewhere.sock", node: "kate", root: root}, "/elsewhere.sock", 0},
		{"node", selection{node: "kate", root: root}, paths.SocketPath(root, "kate"), 0},
		{"node with its host", selection{node: "kate@localhost", root: root}, paths.SocketPath(root, "kate"), 0},
		{"node with another host", selection{node: "kate@example.org", source: "--node", root: root}, "", exitUsage},
		{"node not running", selection{node: "bob", source: "--node", root: root}, "", exitUnreachable},
		{"node may be the target", selection{node: "kate", root: root, target: "kate"}, paths.SocketPath(root, "kate"), 0},
		{"bad node", selection{node: "../kate", source: "--node", root: root}, "", exitUsage},
		{"discovery", selection{root: root, target: "kate"}, paths.SocketPath(root, "alex"), 0},
		{"discovery ambiguous", selection{root: root}, "", exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sel.resolve(t.Context())
			if code := exitCode(err); code != tt.wantCode {
				t.Fatalf("resolve error = %v (exit %d), want exit %d", err, code, tt.wantCode)
			}
			if got != tt.want {
				t.Errorf("resolve = %q, want %q", got, tt.want)
			}
		})
	}
}
