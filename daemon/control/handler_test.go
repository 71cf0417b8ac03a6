package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

// newAPI serves a fresh fake backend and returns it with a client.
func newAPI(t *testing.T) (*fakeBackend, *apiClient) {
	t.Helper()
	b := newBackend()
	path := socketPath(t)
	startServer(t, path, selfPolicy(), b)
	return b, newClient(t, path)
}

func TestEndpoints(t *testing.T) {
	b, c := newAPI(t)
	for _, tc := range []struct {
		name         string
		method, path string
		body         string
		want         any // decoded into a new value of its type
		check        func(t *testing.T)
	}{
		{name: "status", method: "GET", path: wire.PathStatus, want: testStatus},
		{name: "nodes", method: "GET", path: wire.PathNodes,
			want: wire.NodesResponse{Node: "alex@localhost", Links: testLinks}},
		{name: "ping pong", method: "POST", path: wire.PathPing, body: `{"node": "kate"}`,
			want: wire.PingResponse{Node: "kate@localhost", Result: wire.Pong, RTTMs: 1.5}},
		{name: "ping pang is no API error", method: "POST", path: wire.PathPing, body: `{"node": "gone@localhost"}`,
			want: wire.PingResponse{Node: "gone@localhost", Result: wire.Pang, Reason: "not registered"}},
		{name: "connect", method: "POST", path: wire.PathConnect, body: `{"node": "bob@localhost"}`,
			want: wire.ConnectResponse{Node: "bob@localhost", Already: false}},
		{name: "connect already", method: "POST", path: wire.PathConnect, body: `{"node": "kate"}`,
			want: wire.ConnectResponse{Node: "kate@localhost", Already: true}},
		{name: "disconnect", method: "POST", path: wire.PathDisconnect, body: `{"node": "kate"}`,
			want: wire.DisconnectResponse{Node: "kate@localhost", WasLinked: true}},
		{name: "disconnect without a link", method: "POST", path: wire.PathDisconnect, body: `{"node": "bob"}`,
			want: wire.DisconnectResponse{Node: "bob@localhost", WasLinked: false}},
		{name: "send", method: "POST", path: wire.PathSend, body: `{"to": "kate", "text": "hi there"}`,
			want: wire.SendResponse{ID: "00000000000000aa", From: "alex@localhost", To: "kate@localhost"},
			check: func(t *testing.T) {
				b.mu.Lock()
				defer b.mu.Unlock()
				if got := b.sent[len(b.sent)-1]; got != "kate@localhost hi there" {
					t.Errorf("backend sent %q", got)
				}
			}},
		{name: "call with timeout", method: "POST", path: wire.PathCall,
			body: `{"node": "kate", "function": "echo", "args": ["a", "b"], "timeout": "2s"}`,
			want: wire.CallResponse{Node: "kate@localhost", Function: "echo", Result: "a b", DurationMs: 1.25},
			check: func(t *testing.T) {
				want := callArgs{node: wire.NodeName{Name: "kate", Host: "localhost"}, function: "echo", args: []string{"a", "b"}, timeout: 2 * time.Second}
				if got := b.lastCall(); !reflect.DeepEqual(got, want) {
					t.Errorf("backend called %+v, want %+v", got, want)
				}
			}},
		{name: "call with the default timeout", method: "POST", path: wire.PathCall,
			body: `{"node": "kate@localhost", "function": "say_name"}`,
			want: wire.CallResponse{Node: "kate@localhost", Function: "say_name", Result: "", DurationMs: 1.25},
			check: func(t *testing.T) {
				if got := b.lastCall(); got.timeout != 0 || got.args != nil {
					t.Errorf("backend called %+v, want timeout 0 and no args", got)
				}
			}},
		{name: "tasks", method: "GET", path: wire.PathTasks,
			want: wire.TasksResponse{Node: "alex@localhost", Tasks: testTasks[:1]}},
		{name: "all tasks", method: "GET", path: wire.PathTasks + "?all=1",
			want: wire.TasksResponse{Node: "alex@localhost", Tasks: testTasks}},
		{name: "messages", method: "GET", path: wire.PathMessages,
			want: wire.MessagesResponse{Node: "alex@localhost", Messages: b.messages}},
		{name: "last two messages", method: "GET", path: wire.PathMessages + "?n=2",
			want: wire.MessagesResponse{Node: "alex@localhost", Messages: b.messages[1:]}},
		{name: "functions", method: "GET", path: wire.PathFunctions,
			want: wire.FunctionsResponse{Functions: testFunctions}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := c.do(t, tc.method, tc.path, tc.body)
			if status != http.StatusOK || ctype != "application/json" {
				t.Fatalf("%s %s: status %d, Content-Type %q, body %s", tc.method, tc.path, status, ctype, body)
			}
			got := reflect.New(reflect.TypeOf(tc.want))
			dec := json.NewDecoder(strings.NewReader(string(body)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(got.Interface()); err != nil {
				t.Fatalf("decode %s: %v", body, err)
			}
			if !reflect.DeepEqual(got.Elem().Interface(), tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got.Elem().Interface(), tc.want)
			}
			if tc.check != nil {
				tc.check(t)
			}
		})
	}
}

// TestErrorStatuses checks that every failure kind is answered with its
// HTTP status, and that an error of no kind is internal.
func TestErrorStatuses(t *testing.T) {
	b, c := newAPI(t)
	cases := map[wire.ErrorCode]int{
		wire.CodeBadRequest: http.StatusBadRequest, wire.CodeNotFound: http.StatusNotFound,
		wire.CodeNoConnection: http.StatusBadGateway, wire.CodeCookieMismatch: http.StatusBadGateway,
		wire.CodeTimeout: http.StatusGatewayTimeout, wire.CodeTaskFailed: http.StatusBadGateway,
		wire.CodeNoProcess: http.StatusNotFound, wire.CodeMailboxFull: http.StatusServiceUnavailable,
		wire.CodeOverloaded: http.StatusServiceUnavailable, wire.CodeForbidden: http.StatusForbidden,
		wire.CodeUnavailable: http.StatusServiceUnavailable, wire.CodeInternal: http.StatusInternalServerError,
	}
	if len(cases) != len(wire.Codes()) {
		t.Fatalf("%d kinds checked, %d exist: add the new one here", len(cases), len(wire.Codes()))
	}
	for code, status := range cases {
		t.Run(string(code), func(t *testing.T) {
			b.setErr(fmt.Errorf("call: %w", wire.NewError(code, "it went wrong")))
			defer b.setErr(nil)
			got, ctype, body := c.do(t, "POST", wire.PathCall, `{"node": "kate", "function": "echo"}`)
			wantError(t, got, ctype, body, status, code)
		})
	}
	t.Run("no kind", func(t *testing.T) {
		b.setErr(errInternal)
		defer b.setErr(nil)
		got, ctype, body := c.do(t, "POST", wire.PathCall, `{"node": "kate", "function": "echo"}`)
		wantError(t, got, ctype, body, http.StatusInternalServerError, wire.CodeInternal)
	})
}

// TestStatusOnlyForStatus checks that the other endpoints never ask for the
// node's status (it reads memory statistics and /proc).
func TestStatusOnlyForStatus(t *testing.T) {
	b, c := newAPI(t)
	for _, r := range []struct{ method, path, body string }{
		{"GET", wire.PathNodes, ""}, {"GET", wire.PathTasks, ""}, {"GET", wire.PathMessages, ""},
		{"GET", wire.PathProcesses, ""}, {"GET", wire.PathFunctions, ""},
		{"POST", wire.PathSend, `{"to": "kate", "text": "hi"}`}, {"POST", wire.PathFlush, ""},
	} {
		if status, _, body := c.do(t, r.method, r.path, r.body); status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", r.method, r.path, status, body)
		}
	}
	if n := b.statuses(); n != 0 {
		t.Fatalf("Status asked %d times by other endpoints", n)
	}
	c.do(t, "GET", wire.PathStatus, "")
	if n := b.statuses(); n != 1 {
		t.Fatalf("Status asked %d times by GET /v1/status, want 1", n)
	}
}

// TestBackendErrors checks that a backend error reaches the client with its
// code, status and text.
func TestBackendErrors(t *testing.T) {
	b, c := newAPI(t)
	kate := wire.NodeName{Name: "kate", Host: "localhost"}
	for _, tc := range []struct {
		name       string
		err        error
		wantCode   wire.ErrorCode
		wantStatus int
	}{
		{"no connection", wire.Errorf(wire.CodeNoConnection, "no connection to %s: not registered", kate), wire.CodeNoConnection, http.StatusBadGateway},
		{"cookie mismatch", wire.Errorf(wire.CodeCookieMismatch, "no connection to %s: cookie mismatch", kate), wire.CodeCookieMismatch, http.StatusBadGateway},
		{"shutting down", wire.Errorf(wire.CodeUnavailable, "no connection to %s: node is shutting down", kate), wire.CodeUnavailable, http.StatusServiceUnavailable},
		{"task failed", wire.Errorf(wire.CodeTaskFailed, "%s: crash: panic: boom", kate), wire.CodeTaskFailed, http.StatusBadGateway},
		{"timeout", wire.Errorf(wire.CodeTimeout, "%s: sleep timed out", kate), wire.CodeTimeout, http.StatusGatewayTimeout},
		{"internal", errInternal, wire.CodeInternal, http.StatusInternalServerError},
	} {
		for _, ep := range []struct{ path, body string }{
			{wire.PathSend, `{"to": "kate", "text": "hi"}`},
			{wire.PathCall, `{"node": "kate", "function": "echo"}`},
			{wire.PathConnect, `{"node": "kate"}`},
		} {
			t.Run(tc.name+" "+ep.path, func(t *testing.T) {
				b.setErr(tc.err)
				defer b.setErr(nil)
				status, ctype, body := c.do(t, "POST", ep.path, ep.body)
				er := wantError(t, status, ctype, body, tc.wantStatus, tc.wantCode)
				if er.Error != tc.err.Error() {
					t.Errorf("error text = %q, want %q", er.Error, tc.err.Error())
				}
			})
		}
	}
}

func TestBadRequests(t *testing.T) {
	_, c := newAPI(t)
	big := `{"to": "kate", "text": "` + strings.Repeat("x", wire.MaxAPIRequest) + `"}`
	for _, tc := range []struct {
		name         string
		method, path string
		body         string
		wantStatus   int
		wantCode     wire.ErrorCode
		wantMsg      string
	}{
		{"empty body", "POST", wire.PathSend, "", http.StatusBadRequest, wire.CodeBadRequest, "empty request body"},
		{"not JSON", "POST", wire.PathSend, `{"to": `, http.StatusBadRequest, wire.CodeBadRequest, "bad JSON body"},
		{"unknown field", "POST", wire.PathSend, `{"to": "kate", "text": "hi", "cc": "bob"}`, http.StatusBadRequest, wire.CodeBadRequest, `unknown field "cc"`},
		{"wrong type", "POST", wire.PathPing, `{"node": 5}`, http.StatusBadRequest, wire.CodeBadRequest, "bad JSON body"},
		{"two values", "POST", wire.PathConnect, `{"node": "kate"} {"node": "bob"}`, http.StatusBadRequest, wire.CodeBadRequest, "more than one value"},
		{"over MaxAPIRequest", "POST", wire.PathSend, big, http.StatusRequestEntityTooLarge, wire.CodeBadRequest, fmt.Sprintf("over %d bytes", wire.MaxAPIRequest)},
		{"send without to", "POST", wire.PathSend, `{"text": "hi"}`, http.StatusBadRequest, wire.CodeBadRequest, `missing "to"`},
		{"send text too long", "POST", wire.PathSend, `{"to": "kate", "text": "` + strings.Repeat("x", MaxText+1) + `"}`, http.StatusBadRequest, wire.CodeBadRequest, "the limit is 65536"},
		{"send to a bad name", "POST", wire.PathSend, `{"to": "ka te", "text": "hi"}`, http.StatusBadRequest, wire.CodeBadRequest, "bad node name"},
		{"ping without node", "POST", wire.PathPing, `{}`, http.StatusBadRequest, wire.CodeBadRequest, `missing "node"`},
		{"connect to a bad name", "POST", wire.PathConnect, `{"node": "a@b@c"}`, http.StatusBadRequest, wire.CodeBadRequest, "bad node name"},
		{"call without function", "POST", wire.PathCall, `{"node": "kate"}`, http.StatusBadRequest, wire.CodeBadRequest, `"function"`},
		{"call with a bad timeout", "POST", wire.PathCall, `{"node": "kate", "function": "echo", "timeout": "soon"}`, http.StatusBadRequest, wire.CodeBadRequest, `bad timeout "soon"`},
		{"call with a negative timeout", "POST", wire.PathCall, `{"node": "kate", "function": "echo", "timeout": "-1s"}`, http.StatusBadRequest, wire.CodeBadRequest, `bad timeout "-1s"`},
		{"messages with a bad n", "GET", wire.PathMessages + "?n=many", "", http.StatusBadRequest, wire.CodeBadRequest, `bad n "many"`},
		{"messages with a negative n", "GET", wire.PathMessages + "?n=-1", "", http.StatusBadRequest, wire.CodeBadRequest, `bad n "-1"`},
		{"unknown path", "GET", "/v1/nope", "", http.StatusNotFound, wire.CodeNotFound, "no endpoint GET /v1/nope"},
		{"unknown version", "GET", "/v2/status", "", http.StatusNotFound, wire.CodeNotFound, "no endpoint"},
		{"root", "GET", "/", "", http.StatusNotFound, wire.CodeNotFound, "no endpoint"},
		{"POST on a GET endpoint", "POST", wire.PathStatus, `{}`, http.StatusMethodNotAllowed, wire.CodeBadRequest, "method POST not allowed on /v1/status"},
		{"GET on a POST endpoint", "GET", wire.PathSend, "", http.StatusMethodNotAllowed, wire.CodeBadRequest, "method GET not allowed on /v1/send"},
		{"DELETE", "DELETE", wire.PathTasks, "", http.StatusMethodNotAllowed, wire.CodeBadRequest, "method DELETE not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := c.do(t, tc.method, tc.path, tc.body)
			er := wantError(t, status, ctype, body, tc.wantStatus, tc.wantCode)
			if !strings.Contains(er.Error, tc.wantMsg) {
				t.Errorf("error %q does not say %q", er.Error, tc.wantMsg)
			}
		})
	}
}

// stream opens a streaming GET and returns a line scanner over its body;
// cancel disconnects.
func stream(t *testing.T, c *apiClient, path string) (*bufio.Scanner, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", "http://chatd"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := *c.http
	hc.Timeout = 0 // a stream lasts until we hang up
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("GET %s: status %d, Content-Type %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return bufio.NewScanner(resp.Body), func() {
		cancel()
		resp.Body.Close()
	}
}

// readLine reads one NDJSON line into v.
func readLine(t *testing.T, sc *bufio.Scanner, v any) {
	t.Helper()
	if !sc.Scan() {
		t.Fatalf("stream ended early: %v", sc.Err())
	}
	dec := json.NewDecoder(strings.NewReader(sc.Text()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("line %q: %v", sc.Text(), err)
	}
}

// waitDone waits for a server-side request context to end.
func waitDone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(testkit.Wait):
		t.Fatalf("%s did not end after the client disconnected", what)
	}
}

func TestWatchTasks(t *testing.T) {
	b, c := newAPI(t)
	sc, hangUp := stream(t, c, wire.PathTasks+"?watch=1")
	var srvCtx context.Context
	select {
	case srvCtx = <-b.watchCtx:
	case <-time.After(testkit.Wait):
		t.Fatal("the handler did not call WatchTasks")
	}
	for _, want := range testTasks {
		b.watch <- want
		var got wire.TaskInfo
		readLine(t, sc, &got)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("line = %+v, want %+v", got, want)
		}
	}
	hangUp()
	waitDone(t, srvCtx, "the watch")
}

func TestWatchEndsWithTheBackend(t *testing.T) {
	b, c := newAPI(t)
	sc, _ := stream(t, c, wire.PathTasks+"?watch=1&all=1")
	<-b.watchCtx
	b.watch <- testTasks[0]
	close(b.watch) // the supervisor closed
	var got wire.TaskInfo
	readLine(t, sc, &got)
	if sc.Scan() {
		t.Fatalf("line %q after the backend's channel closed", sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("stream ended with %v, want a clean end", err)
	}
}

func TestFollowMessages(t *testing.T) {
	id := func(i int) string { return testMessage(i).ID }
	for _, tc := range []struct {
		name   string
		query  string
		queued []wire.Message // on the live channel before the request
		first  []string       // ids read before later is sent
		later  []wire.Message // sent once first is read
		then   []string       // ids read after that
	}{
		{
			name:   "replay two, then live without repeats",
			query:  "?follow=1&n=2",
			queued: []wire.Message{testMessage(3), testMessage(4)}, // 3 arrived while subscribing
			first:  []string{id(2), id(3), id(4)},
			later:  []wire.Message{testMessage(5)},
			then:   []string{id(5)},
		},
		{
			name:   "live only",
			query:  "?follow=1",
			queued: []wire.Message{testMessage(4)},
			first:  []string{id(4)},
			later:  []wire.Message{testMessage(5), testMessage(6)},
			then:   []string{id(5), id(6)},
		},
		{
			name:  "replay more than kept",
			query: "?follow=true&n=10",
			first: []string{id(1), id(2), id(3)},
			later: []wire.Message{testMessage(1), testMessage(4)}, // 1 was replayed
			then:  []string{id(4)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, c := newAPI(t)
			b.followErr = errors.New("follower too slow") // logged when the stream ends
			for _, m := range tc.queued {
				b.live <- m
			}
			sc, hangUp := stream(t, c, wire.PathMessages+tc.query)
			var srvCtx context.Context
			select {
			case srvCtx = <-b.followCtx:
			case <-time.After(testkit.Wait):
				t.Fatal("the handler did not call FollowMessages")
			}
			read := func(want []string) {
				t.Helper()
				var got []string
				for range want {
					var m wire.Message
					readLine(t, sc, &m)
					got = append(got, m.ID)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("ids = %v, want %v", got, want)
				}
			}
			read(tc.first)
			for _, m := range tc.later {
				b.live <- m
			}
			read(tc.then)
			hangUp()
			waitDone(t, srvCtx, "the follow")
		})
	}
}
