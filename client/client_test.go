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

// request is what the fake daemon saw of one request.
type request struct {
	method, path, query string
	body                string
}

// recorded is a request as the fake daemon saw it, with its Content-Type.
type recorded struct {
	request
	contentType string
}

// recordingServer answers every request with status and the JSON of resp and
// reports what it saw on the returned channel.
func recordingServer(t *testing.T, status int, resp any) (*Client, <-chan recorded) {
	t.Helper()
	seen := make(chan recorded, 1)
	c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server: read request: %v", err)
		}
		seen <- recorded{
			request:     request{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, body: string(b)},
			contentType: r.Header.Get("Content-Type"),
		}
		respond(status, resp)(w, r)
	}))
	return c, seen
}

// requestCase is one call of an endpoint method: the request it must send
// and the response the fake daemon answers, which it must decode.
type requestCase struct {
	name string
	want request // body "" means none
	resp any
	call func(context.Context, *Client) (any, error)
}

// checkRequests runs each case against a recordingServer: the method,
// path and query must be the case's, the body the same JSON value (sent
// as application/json; no body and no Content-Type when the case has
// none), and the response must decode to resp.
func checkRequests(t *testing.T, tests []requestCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, seen := recordingServer(t, http.StatusOK, tt.resp)
			got, err := tt.call(t.Context(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			rec := <-seen
			req, wantType := rec.request, ""
			if tt.want.body != "" {
				wantType = "application/json"
				if !jsonEqual(t, req.body, tt.want.body) {
					t.Errorf("request body = %s, want %s", req.body, tt.want.body)
				}
				req.body = tt.want.body
			}
			if req != tt.want {
				t.Errorf("request = %+v, want %+v", req, tt.want)
			}
			if rec.contentType != wantType {
				t.Errorf("request Content-Type = %q, want %q", rec.contentType, wantType)
			}
			if !reflect.DeepEqual(got, tt.resp) {
				t.Errorf("response = %+v, want %+v", got, tt.resp)
			}
		})
	}
}

// jsonEqual reports whether the JSON texts a and b hold the same value.
func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Fatalf("%s is not JSON: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatalf("%s is not JSON: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// TestNodeRequests checks that Status, Nodes and the POST endpoints that
// name a node ({"node"}) send the right method, path and body, and decode
// their own response type.
func TestNodeRequests(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	body := `{"node":"kate"}`
	checkRequests(t, []requestCase{
		{"status", request{http.MethodGet, wire.PathStatus, "", ""},
			wire.StatusResponse{
				Node: "alex@localhost", Version: "1.2.3", Protocol: 1, PID: 4242,
				Environment: "dev", Started: at,
				Listen: "127.0.0.1:41235", MapperPort: 4369, MapperLocal: true, Creation: 7, Links: 2,
			},
			func(ctx context.Context, c *Client) (any, error) { return c.Status(ctx) }},
		{"nodes", request{http.MethodGet, wire.PathNodes, "", ""},
			wire.NodesResponse{Node: "alex@localhost", Links: []wire.LinkInfo{
				{Node: "kate@localhost", Address: "127.0.0.1:5555", Direction: "out", Since: at},
			}},
			func(ctx context.Context, c *Client) (any, error) { return c.Nodes(ctx) }},
		{"ping", request{http.MethodPost, wire.PathPing, "", body},
			wire.PingResponse{Node: "kate@localhost", Result: wire.Pang, Reason: "not registered"},
			func(ctx context.Context, c *Client) (any, error) { return c.Ping(ctx, "kate") }},
		{"connect", request{http.MethodPost, wire.PathConnect, "", body},
			wire.ConnectResponse{Node: "kate@localhost", Already: true},
			func(ctx context.Context, c *Client) (any, error) { return c.Connect(ctx, "kate") }},
		{"disconnect", request{http.MethodPost, wire.PathDisconnect, "", body},
			wire.DisconnectResponse{Node: "kate@localhost", WasLinked: true},
			func(ctx context.Context, c *Client) (any, error) { return c.Disconnect(ctx, "kate") }},
	})
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
