package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"chatd/wire"
)

// spawnEvents is what a say_name spawn on kate streams.
var spawnEvents = []wire.SpawnEvent{
	{Event: wire.SpawnEventPid, Pid: "<kate@localhost.42.7>"},
	{Event: wire.SpawnEventOutput, Pid: "<kate@localhost.42.7>", Text: "Hi, my name is kate@localhost"},
	{Event: wire.SpawnEventOutput, Pid: "<kate@localhost.42.7>", Text: "bye"},
	{Event: wire.SpawnEventExit, Pid: "<kate@localhost.42.7>", Reason: wire.ExitNormal},
}

// collectSpawn runs Spawn and returns the events fn saw.
func collectSpawn(ctx context.Context, c *Client, req wire.SpawnRequest) ([]wire.SpawnEvent, error) {
	var got []wire.SpawnEvent
	err := c.Spawn(ctx, req, func(ev wire.SpawnEvent) error {
		got = append(got, ev)
		return nil
	})
	return got, err
}

// TestSpawn checks both answers to POST /v1/spawn: the NDJSON stream of an
// attached spawn and the one object of a detached one.
func TestSpawn(t *testing.T) {
	detached := wire.SpawnEvent{Event: wire.SpawnEventPid, Pid: "<kate@localhost.43.7>"}
	tests := []struct {
		name     string
		req      wire.SpawnRequest
		wantBody string
		handler  http.HandlerFunc
		want     []wire.SpawnEvent
	}{
		{"attached",
			wire.SpawnRequest{Node: "kate@localhost", Function: "say_name"},
			`{"node":"kate@localhost","function":"say_name","detach":false}`,
			func(w http.ResponseWriter, r *http.Request) {
				ndjson(w, spawnEvents[0], spawnEvents[1], spawnEvents[2], spawnEvents[3])
			},
			spawnEvents},
		{"attached, the daemon keeps the stream open after exit",
			wire.SpawnRequest{Node: "kate", Function: "echo", Args: []string{"a", "b c"}},
			`{"node":"kate","function":"echo","args":["a","b c"],"detach":false}`,
			func(w http.ResponseWriter, r *http.Request) {
				ndjson(w, spawnEvents[0], spawnEvents[3])
				<-r.Context().Done()
			},
			[]wire.SpawnEvent{spawnEvents[0], spawnEvents[3]}},
		{"detached",
			wire.SpawnRequest{Node: "kate@localhost", Function: "reply", Args: []string{"sup?"}, Detach: true},
			`{"node":"kate@localhost","function":"reply","args":["sup?"],"detach":true}`,
			respond(http.StatusOK, detached),
			[]wire.SpawnEvent{detached}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotMethod, gotPath, gotBody string
			c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					t.Errorf("server: read request: %v", err)
				}
				gotMethod, gotPath, gotBody = r.Method, r.URL.Path, string(b)
				tt.handler(w, r)
			}))
			got, err := collectSpawn(t.Context(), c, tt.req)
			if err != nil {
				t.Fatalf("Spawn: %v", err)
			}
			if gotMethod != http.MethodPost || gotPath != wire.PathSpawn {
				t.Errorf("request = %s %s, want POST %s", gotMethod, gotPath, wire.PathSpawn)
			}
			if !jsonEqual(t, gotBody, tt.wantBody) {
				t.Errorf("request body = %s, want %s", gotBody, tt.wantBody)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSpawnErrors checks the ways a spawn fails: refused before it
// started, a stream that ends before the exit event, a detached answer that
// is not a pid, and fn's own error.
func TestSpawnErrors(t *testing.T) {
	errStop := errors.New("stop")
	tests := []struct {
		name       string
		detach     bool
		handler    http.HandlerFunc
		fnErr      error
		wantEvents int
		check      func(t *testing.T, err error)
	}{
		{"refused", false,
			respond(http.StatusBadGateway, wire.ErrorResponse{Error: "no connection to moebi@localhost: not registered", Code: wire.CodeNoConnection}),
			nil, 0,
			func(t *testing.T, err error) {
				if wire.CodeOf(err) != wire.CodeNoConnection {
					t.Errorf("error = %v, want code no_connection", err)
				}
			}},
		{"stream ends before exit", false,
			func(w http.ResponseWriter, r *http.Request) { ndjson(w, spawnEvents[0], spawnEvents[1]) },
			nil, 2,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrNoExit) {
					t.Errorf("error = %v, want ErrNoExit", err)
				}
			}},
		{"stream cut before exit", false,
			func(w http.ResponseWriter, r *http.Request) {
				ndjson(w, spawnEvents[0])
				panic(http.ErrAbortHandler) // the connection drops mid-body
			},
			nil, 1,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrNoExit) {
					t.Errorf("error = %v, want ErrNoExit", err)
				}
			}},
		{"detached answer without a pid", true,
			respond(http.StatusOK, wire.SpawnEvent{Event: wire.SpawnEventExit, Reason: "crash"}),
			nil, 0,
			func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), `want a "pid" event`) {
					t.Errorf("error = %v, want one saying a pid event was expected", err)
				}
			}},
		{"fn error", false,
			func(w http.ResponseWriter, r *http.Request) {
				ndjson(w, spawnEvents[0])
				<-r.Context().Done()
			},
			errStop, 1,
			func(t *testing.T, err error) {
				if !errors.Is(err, errStop) || errors.Is(err, ErrNoExit) {
					t.Errorf("error = %v, want errStop as is", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serve(t, tt.handler)
			n := 0
			err := c.Spawn(t.Context(), wire.SpawnRequest{Node: "kate", Function: "say_name", Detach: tt.detach},
				func(wire.SpawnEvent) error {
					n++
					return tt.fnErr
				})
			tt.check(t, err)
			if n != tt.wantEvents {
				t.Errorf("fn ran %d times, want %d", n, tt.wantEvents)
			}
		})
	}
}

// TestSpawnEndsWithContext checks that cancelling an attached spawn, with
// the process still running, returns context.Canceled, not ErrNoExit.
func TestSpawnEndsWithContext(t *testing.T) {
	c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ndjson(w, spawnEvents[0])
		<-r.Context().Done()
	}))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	err := c.Spawn(ctx, wire.SpawnRequest{Node: "kate", Function: "sleep", Args: []string{"1h"}}, func(wire.SpawnEvent) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrNoExit) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

// TestProcessRequests checks that Flush and Processes send the right
// method, path and body, and decode their own response type.
func TestProcessRequests(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	flushed := wire.FlushResponse{Shell: "<alex@localhost.1.9>", Messages: []wire.MailboxMessage{
		{From: "<kate@localhost.42.7>", Text: "sup?", Time: at},
		{From: "<kate@localhost.43.7>", Exit: true, Reason: wire.ExitNoConnection, Time: at.Add(time.Second)},
	}}
	processes := wire.ProcessesResponse{Node: "alex@localhost", Processes: []wire.ProcessInfo{
		{Pid: "<alex@localhost.1.9>", Function: "shell", Mailbox: 2, Started: at},
		{Pid: "<alex@localhost.5.9>", Function: "reply", Args: "sup?", LinkedTo: "<kate@localhost.1.7>", Started: at},
	}}
	checkRequests(t, []requestCase{
		{"flush", request{http.MethodPost, wire.PathFlush, "", `{}`}, flushed,
			func(ctx context.Context, c *Client) (any, error) { return c.Flush(ctx) }},
		{"processes", request{http.MethodGet, wire.PathProcesses, "", ""}, processes,
			func(ctx context.Context, c *Client) (any, error) { return c.Processes(ctx) }},
	})
}
