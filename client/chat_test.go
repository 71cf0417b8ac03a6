package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"chatd/wire"
)

// TestChatRequests checks that each task and chat method sends the right
// method, path, query and body, and decodes its own response type.
func TestChatRequests(t *testing.T) {
	started := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tasks := wire.TasksResponse{Node: "kate@localhost", Tasks: []wire.TaskInfo{{
		ID: 42, Function: "sleep", Args: "3s", Caller: "alex@localhost", Started: started,
		State: wire.TaskRunning, DurationMs: 12.5,
	}}}
	messages := wire.MessagesResponse{Node: "kate@localhost", Messages: []wire.Message{{
		ID: "3f2a", From: "alex@localhost", To: "kate@localhost", Text: "hi", Time: started,
	}}}
	checkRequests(t, []requestCase{
		{"send", request{http.MethodPost, wire.PathSend, "", `{"to":"kate","text":"hi there"}`},
			wire.SendResponse{ID: "3f2a", From: "alex@localhost", To: "kate@localhost"},
			func(ctx context.Context, c *Client) (any, error) { return c.Send(ctx, "kate", "hi there") }},
		{"send to pid", request{http.MethodPost, wire.PathSend, "", `{"to":"<kate@localhost.42.0>","text":"hi"}`},
			wire.SendResponse{ID: "3f2b", From: "alex@localhost", To: "kate@localhost"},
			func(ctx context.Context, c *Client) (any, error) { return c.Send(ctx, "<kate@localhost.42.0>", "hi") }},
		{"call", request{http.MethodPost, wire.PathCall, "",
			`{"node":"kate@localhost","function":"echo","args":["a","b c"],"timeout":"1s"}`},
			wire.CallResponse{Node: "kate@localhost", Function: "echo", Result: "a b c", DurationMs: 0.4},
			func(ctx context.Context, c *Client) (any, error) {
				return c.Call(ctx, wire.CallRequest{Node: "kate@localhost", Function: "echo", Args: []string{"a", "b c"}, Timeout: "1s"})
			}},
		{"call with defaults", request{http.MethodPost, wire.PathCall, "", `{"node":"kate","function":"say_name"}`},
			wire.CallResponse{Node: "kate@localhost", Function: "say_name", Result: "Hi, my name is kate@localhost"},
			func(ctx context.Context, c *Client) (any, error) {
				return c.Call(ctx, wire.CallRequest{Node: "kate", Function: "say_name"})
			}},
		{"tasks", request{http.MethodGet, wire.PathTasks, "", ""}, tasks,
			func(ctx context.Context, c *Client) (any, error) { return c.Tasks(ctx, false) }},
		{"tasks all", request{http.MethodGet, wire.PathTasks, "all=1", ""}, tasks,
			func(ctx context.Context, c *Client) (any, error) { return c.Tasks(ctx, true) }},
		{"messages", request{http.MethodGet, wire.PathMessages, "", ""}, messages,
			func(ctx context.Context, c *Client) (any, error) { return c.Messages(ctx, 0) }},
		{"messages last n", request{http.MethodGet, wire.PathMessages, "n=5", ""}, messages,
			func(ctx context.Context, c *Client) (any, error) { return c.Messages(ctx, 5) }},
		{"functions", request{http.MethodGet, wire.PathFunctions, "", ""},
			wire.FunctionsResponse{Functions: []wire.FunctionInfo{{Name: "echo", Args: "ARGS...", Summary: "returns its args"}}},
			func(ctx context.Context, c *Client) (any, error) { return c.Functions(ctx) }},
	})
}

// TestCallTaskFailed checks that a failed task keeps the daemon's code and
// message, which names the node and the reason.
func TestCallTaskFailed(t *testing.T) {
	const msg = "kate@localhost: sleep timed out after 1s (the task was cancelled)"
	c, _ := recordingServer(t, http.StatusGatewayTimeout, wire.ErrorResponse{Error: msg, Code: wire.CodeTimeout})
	_, err := c.Call(t.Context(), wire.CallRequest{Node: "kate@localhost", Function: "sleep", Args: []string{"3s"}, Timeout: "1s"})
	if wire.CodeOf(err) != wire.CodeTimeout || err.Error() != msg {
		t.Errorf("Call error = %v (code %q), want %q (timeout)", err, wire.CodeOf(err), msg)
	}
}

// ndjson writes each value as one JSON line, flushing after each.
func ndjson(w http.ResponseWriter, values ...any) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, v := range values {
		_ = enc.Encode(v)
	}
	w.(http.Flusher).Flush()
}

func TestWatchTasks(t *testing.T) {
	started := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	want := []wire.TaskInfo{
		{ID: 42, Function: "receive_message", Args: "hi", Caller: "alex@localhost", Started: started, State: wire.TaskRunning},
		{ID: 42, Function: "receive_message", Args: "hi", Caller: "alex@localhost", Started: started, State: wire.TaskOK, DurationMs: 0.4},
		{ID: 43, Function: "crash", Caller: "alex@localhost", Started: started, State: wire.TaskFailed, DurationMs: 0.2, Error: "panic: crash"},
	}
	var gotPath, gotQuery string
	c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery = r.URL.Path, r.URL.RawQuery
		ndjson(w, want[0], want[1], want[2])
	}))
	var got []wire.TaskInfo
	err := c.WatchTasks(t.Context(), func(ti wire.TaskInfo) error {
		got = append(got, ti)
		return nil
	})
	if err != nil {
		t.Fatalf("WatchTasks: %v", err)
	}
	if gotPath != wire.PathTasks || gotQuery != "watch=1" {
		t.Errorf("request = %s?%s, want %s?watch=1", gotPath, gotQuery, wire.PathTasks)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events = %+v, want %+v", got, want)
	}
}

func TestFollowMessages(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	msgs := []wire.Message{
		{ID: "1", From: "alex@localhost", To: "kate@localhost", Text: "hi", Time: at},
		{ID: "2", From: "moebi@localhost", To: "kate@localhost", Text: "chicken?", Time: at.Add(time.Second)},
	}
	tests := []struct {
		name      string
		n         int
		wantQuery string
	}{
		{"new only", 0, "follow=1"},
		{"last n first", 2, "follow=1&n=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotQuery string
			c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotQuery = r.URL.RawQuery
				ndjson(w, msgs[0], msgs[1])
			}))
			var got []wire.Message
			err := c.FollowMessages(t.Context(), tt.n, func(m wire.Message) error {
				got = append(got, m)
				return nil
			})
			if err != nil {
				t.Fatalf("FollowMessages: %v", err)
			}
			if gotQuery != tt.wantQuery {
				t.Errorf("query = %q, want %q", gotQuery, tt.wantQuery)
			}
			if !reflect.DeepEqual(got, msgs) {
				t.Errorf("messages = %+v, want %+v", got, msgs)
			}
		})
	}
}

// TestStreamsEndWithContext checks that WatchTasks and FollowMessages, with
// the daemon still streaming, return context.Canceled once the caller
// cancels: before any line, and from the callback after some.
func TestStreamsEndWithContext(t *testing.T) {
	follows := []struct {
		name   string
		line   any
		follow func(ctx context.Context, c *Client, onLine func()) error
	}{
		{"watch tasks", wire.TaskInfo{ID: 1, State: wire.TaskRunning},
			func(ctx context.Context, c *Client, onLine func()) error {
				return c.WatchTasks(ctx, func(wire.TaskInfo) error { onLine(); return nil })
			}},
		{"follow messages", wire.Message{ID: "1", Text: "hi"},
			func(ctx context.Context, c *Client, onLine func()) error {
				return c.FollowMessages(ctx, 0, func(wire.Message) error { onLine(); return nil })
			}},
	}
	cases := []struct {
		name  string
		lines int // sent before the daemon goes quiet; the caller cancels after the last
	}{
		{"before any line", 0},
		{"after lines", 2},
	}
	for _, f := range follows {
		for _, tc := range cases {
			t.Run(f.name+"/"+tc.name, func(t *testing.T) {
				streaming := make(chan struct{})
				c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					vals := make([]any, tc.lines)
					for i := range vals {
						vals[i] = f.line
					}
					ndjson(w, vals...)
					close(streaming)
					<-r.Context().Done() // a daemon with nothing more to say
				}))
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				got := 0
				done := make(chan error, 1)
				go func() {
					done <- f.follow(ctx, c, func() {
						if got++; got == tc.lines {
							cancel()
						}
					})
				}()
				if tc.lines == 0 {
					<-streaming // the response has begun: the follow is waiting
					cancel()
				}
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Errorf("error = %v, want context.Canceled", err)
				}
				if got != tc.lines {
					t.Errorf("callback ran %d times, want %d", got, tc.lines)
				}
			})
		}
	}
}

// TestNoClientTimeout keeps streams bounded by their context alone: an HTTP
// client or header timeout would cut a quiet follow.
func TestNoClientTimeout(t *testing.T) {
	c := New("/nonexistent/control.sock")
	defer c.CloseIdleConnections()
	if c.hc.Timeout != 0 {
		t.Errorf("http.Client.Timeout = %s, want 0", c.hc.Timeout)
	}
	if tr, ok := c.hc.Transport.(*http.Transport); !ok || tr.ResponseHeaderTimeout != 0 {
		t.Errorf("transport = %T with a response header timeout, want *http.Transport without one", c.hc.Transport)
	}
}
