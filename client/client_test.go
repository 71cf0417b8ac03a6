package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"chatd/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve runs h on a fresh Unix socket in t.TempDir, as the daemon would, and
// returns a Client for it. Both are closed when the test ends.
func serve(t *testing.T, h http.Handler) *Client {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "control.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("listen %s: %v", sock, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close() // the loopback TCP listener it made; we serve on ln
	srv.Listener = ln
	srv.Start()
	c := New(sock)
	t.Cleanup(func() {
		c.CloseIdleConnections()
		srv.Close()
	})
	return c
}

// respond answers every request with status and the JSON of body.
func respond(status int, body any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
}

func TestStatus(t *testing.T) {
	want := wire.StatusResponse{
		Node: "alex@localhost", Version: "1.2.3", Protocol: 1, PID: 4242,
		Environment: "dev", Started: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Listen: "127.0.0.1:41235", MapperPort: 4369, MapperLocal: true, Creation: 7, Links: 2,
	}
	var gotMethod, gotPath string
	c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotMethod, gotPath = r.Method, r.URL.Path
		respond(http.StatusOK, want)(w, r)
	}))
	got, err := c.Status(t.Context())
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if gotMethod != http.MethodGet || gotPath != wire.PathStatus {
		t.Errorf("request = %s %s, want GET %s", gotMethod, gotPath, wire.PathStatus)
	}
	if !got.Started.Equal(want.Started) {
		t.Errorf("Started = %v, want %v", got.Started, want.Started)
	}
	got.Started = want.Started
	if got != want {
		t.Errorf("Status = %+v, want %+v", got, want)
	}
}

func TestNodes(t *testing.T) {
	since := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	want := wire.NodesResponse{Node: "alex@localhost", Links: []wire.LinkInfo{
		{Node: "kate@localhost", Address: "127.0.0.1:5555", Direction: "out", Since: since},
	}}
	c := serve(t, respond(http.StatusOK, want))
	got, err := c.Nodes(t.Context())
	if err != nil {
		t.Fatalf("Nodes: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Nodes = %+v, want %+v", got, want)
	}
}

// TestNodeRequests checks that the POST endpoints send {"node"} to the right
// path and decode their own response type.
func TestNodeRequests(t *testing.T) {
	tests := []struct {
		name string
		path string
		resp any
		call func(context.Context, *Client) (any, error)
	}{
		{"ping", wire.PathPing, wire.PingResponse{Node: "kate@localhost", Result: wire.Pang, Reason: "not registered"},
			func(ctx context.Context, c *Client) (any, error) { return c.Ping(ctx, "kate") }},
		{"connect", wire.PathConnect, wire.ConnectResponse{Node: "kate@localhost", Already: true},
			func(ctx context.Context, c *Client) (any, error) { return c.Connect(ctx, "kate") }},
		{"disconnect", wire.PathDisconnect, wire.DisconnectResponse{Node: "kate@localhost", WasLinked: true},
			func(ctx context.Context, c *Client) (any, error) { return c.Disconnect(ctx, "kate") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotReq wire.NodeRequest
			var gotMethod, gotPath, gotType string
			c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotMethod, gotPath, gotType = r.Method, r.URL.Path, r.Header.Get("Content-Type")
				if err := json.NewDecoder(r.Body).Decode(&gotReq); err != nil {
					t.Errorf("server: decode request: %v", err)
				}
				respond(http.StatusOK, tt.resp)(w, r)
			}))
			got, err := tt.call(t.Context(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if gotMethod != http.MethodPost || gotPath != tt.path || gotType != "application/json" {
				t.Errorf("request = %s %s (%s), want POST %s (application/json)", gotMethod, gotPath, gotType, tt.path)
			}
			if gotReq.Node != "kate" {
				t.Errorf("request node = %q, want %q", gotReq.Node, "kate")
			}
			if got != tt.resp {
				t.Errorf("response = %+v, want %+v", got, tt.resp)
			}
		})
	}
}

func TestAPIError(t *testing.T) {
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		wantStatus  int
		wantCode    wire.ErrorCode
		wantMessage string // substring
	}{
		{
			name: "error response",
			handler: respond(http.StatusBadGateway, wire.ErrorResponse{
				Error: "no connection to moebi@localhost: not registered", Code: wire.CodeNoConnection}),
			wantStatus: http.StatusBadGateway, wantCode: wire.CodeNoConnection,
			wantMessage: "no connection to moebi@localhost: not registered",
		},
		{
			name:       "error without code",
			handler:    respond(http.StatusNotFound, wire.ErrorResponse{Error: "no such task 12"}),
			wantStatus: http.StatusNotFound, wantCode: wire.CodeNotFound, wantMessage: "no such task 12",
		},
		{
			name: "plain text body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "upstream exploded", http.StatusServiceUnavailable)
			},
			wantStatus: http.StatusServiceUnavailable, wantCode: wire.CodeUnavailable,
			wantMessage: "GET /v1/status: chatd answered HTTP 503: upstream exploded",
		},
		{
			name:       "empty body",
			handler:    func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) },
			wantStatus: http.StatusInternalServerError, wantCode: wire.CodeInternal,
			wantMessage: "HTTP 500: Internal Server Error",
		},
		{
			name: "oversized error body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = io.WriteString(w, strings.Repeat("x", MaxErrorSize+10))
			},
			wantStatus: http.StatusTooManyRequests, wantCode: wire.CodeOverloaded,
			wantMessage: "HTTP 429: Too Many Requests",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serve(t, tt.handler)
			_, err := c.Status(t.Context())
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Status error = %v (%T), want *APIError", err, err)
			}
			if apiErr.Status != tt.wantStatus || apiErr.Kind != tt.wantCode {
				t.Errorf("APIError = {Status %d Code %q}, want {Status %d Code %q}",
					apiErr.Status, apiErr.Kind, tt.wantStatus, tt.wantCode)
			}
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantMessage)
			}
			if wire.CodeOf(err) != tt.wantCode {
				t.Errorf("CodeOf = %q, want %q", wire.CodeOf(err), tt.wantCode)
			}
		})
	}
}

func TestResponseTooLarge(t *testing.T) {
	c := serve(t, respond(http.StatusOK, wire.StatusResponse{Node: strings.Repeat("a", 200)}))
	c.maxBody = 100
	_, err := c.Status(t.Context())
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("Status error = %v, want ErrResponseTooLarge", err)
	}
	if !strings.Contains(err.Error(), c.Socket()) {
		t.Errorf("error %q does not name the socket %s", err, c.Socket())
	}
}

func TestBadJSON(t *testing.T) {
	c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "{not json")
	}))
	_, err := c.Status(t.Context())
	if err == nil || !strings.Contains(err.Error(), "GET /v1/status") {
		t.Fatalf("Status error = %v, want a decode error naming the request", err)
	}
}

// TestContextBoundsWait checks that a daemon that never answers does not
// hold the caller beyond its context.
func TestContextBoundsWait(t *testing.T) {
	c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices the client hanging up only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Ping(ctx, "kate")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ping error = %v, want context.DeadlineExceeded", err)
	}
}
