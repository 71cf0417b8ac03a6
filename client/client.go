// Package client is the Go client of chatd's control API: HTTP/1.1 and JSON
// over the daemon's Unix socket (<runtime root>/<name>/control.sock).
//
// Every method takes a context that bounds the whole exchange: dialing,
// writing the request and reading the response. A non-2xx answer is an
// *APIError carrying the daemon's wire.ErrorCode; a socket nobody answers on
// is an *UnreachableError naming the socket and the likely fix. Callers
// branch on those types with errors.As, never on error text.
//
// The package imports wire only, so that chatctl never links daemon code.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"

	"chatd/wire"
)

// MaxResponseSize is the largest response body the client reads; a longer
// one is an error, not a truncated value.
const MaxResponseSize = 8 << 20

// MaxErrorSize is the largest non-2xx response body the client reads.
const MaxErrorSize = 64 << 10

// MaxStreamLine is the longest NDJSON line a streaming endpoint may send.
const MaxStreamLine = 1 << 20

// baseURL is the scheme and host of every request; the host is ignored by
// the daemon since the socket already names it.
const baseURL = "http://chatd"

// Client talks to one chatd over its control socket. It is safe for
// concurrent use. Its zero value is not usable; build one with New.
type Client struct {
	socket string
	hc     *http.Client
	// maxBody bounds response bodies; MaxResponseSize except in tests.
	maxBody int64

	ownVersion string              // set by WarnOnVersionMismatch
	mismatch   func(daemon string) // called at most once
	warnOnce   sync.Once
}

// WarnOnVersionMismatch makes the client call warn, once, with the
// daemon's version when a response says it differs from own.
func (c *Client) WarnOnVersionMismatch(own string, warn func(daemon string)) {
	c.ownVersion, c.mismatch = own, warn
}

func (c *Client) checkVersion(resp *http.Response) {
	v := resp.Header.Get(wire.HeaderVersion)
	if c.mismatch == nil || v == "" || v == c.ownVersion {
		return
	}
	c.warnOnce.Do(func() { c.mismatch(v) })
}

// New returns a Client for the control socket at socketPath. It does not
// connect; the first request does.
func New(socketPath string) *Client {
	tr := &http.Transport{
		// Proxy is left nil: HTTP_PROXY must never apply to a Unix socket.
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialSocket(ctx, socketPath)
		},
		DisableCompression:     true,
		MaxIdleConns:           4,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Client{
		socket: socketPath,
		// No Timeout and no ResponseHeaderTimeout: ctx bounds every request,
		// and a stream (NDJSON follow or watch) must last as long as its
		// caller wants.
		hc:      &http.Client{Transport: tr},
		maxBody: MaxResponseSize,
	}
}

// Socket returns the control socket path the Client talks to.
func (c *Client) Socket() string { return c.socket }

// CloseIdleConnections closes the kept-alive connections to the daemon and
// the goroutines that watch them. The Client stays usable.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Status returns the daemon's identity and state (GET /v1/status).
func (c *Client) Status(ctx context.Context) (wire.StatusResponse, error) {
	return exchange[wire.StatusResponse](ctx, c, http.MethodGet, wire.PathStatus, nil)
}

// Nodes returns the nodes linked now (GET /v1/nodes).
func (c *Client) Nodes(ctx context.Context) (wire.NodesResponse, error) {
	return exchange[wire.NodesResponse](ctx, c, http.MethodGet, wire.PathNodes, nil)
}

// Ping asks the daemon to ping node (POST /v1/ping). A pang is not an
// error: it comes back with Result wire.Pang and a Reason.
func (c *Client) Ping(ctx context.Context, node string) (wire.PingResponse, error) {
	return exchange[wire.PingResponse](ctx, c, http.MethodPost, wire.PathPing, wire.NodeRequest{Node: node})
}

// Connect links the daemon to node unless it already is (POST /v1/connect).
func (c *Client) Connect(ctx context.Context, node string) (wire.ConnectResponse, error) {
	return exchange[wire.ConnectResponse](ctx, c, http.MethodPost, wire.PathConnect, wire.NodeRequest{Node: node})
}

// Disconnect closes the daemon's link to node, if any (POST /v1/disconnect).
func (c *Client) Disconnect(ctx context.Context, node string) (wire.DisconnectResponse, error) {
	return exchange[wire.DisconnectResponse](ctx, c, http.MethodPost, wire.PathDisconnect, wire.NodeRequest{Node: node})
}

// exchange sends in (when non-nil) as a JSON body to path and returns the
// 2xx response decoded as a T: the one request helper of the endpoint
// methods. path may carry a query string. It is a function, not a method,
// because methods cannot have type parameters (as stream).
func exchange[T any](ctx context.Context, c *Client, method, path string, in any) (T, error) {
	var out T
	resp, err := c.send(ctx, method, path, in)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, c.maxBody)
	if err != nil {
		return out, c.wrap(method, path, fmt.Errorf("read response: %w", err))
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return out, c.wrap(method, path, fmt.Errorf("decode %T from response: %w", out, err))
	}
	return out, nil
}

// send performs one request and returns a 2xx response whose body the
// caller must close. Any other status is turned into an *APIError here.
func (c *Client) send(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, c.wrap(method, path, fmt.Errorf("encode request: %w", err))
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, baseURL+path, body)
	if err != nil {
		return nil, c.wrap(method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var unreachable *UnreachableError
		if errors.As(err, &unreachable) {
			return nil, unreachable
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its text repeats the meaningless http://chatd URL
		}
		return nil, c.wrap(method, path, err)
	}
	c.checkVersion(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, decodeAPIError(method, path, resp)
	}
	return resp, nil
}

// wrap names the request and the socket in err.
func (c *Client) wrap(method, path string, err error) error {
	return &RequestError{Method: method, Path: path, Socket: c.socket, Err: err}
}

// RequestError is a request that failed on the way, not by the daemon's
// answer (that is an *APIError): the connection broke, the body could not
// be read or decoded.
type RequestError struct {
	Method, Path string // the request, e.g. POST /v1/call
	Socket       string // the control socket
	Err          error  // the cause, e.g. io.ErrUnexpectedEOF
}

// Error names the request, the socket and the cause.
func (e *RequestError) Error() string {
	return fmt.Sprintf("%s %s on %s: %v", e.Method, e.Path, e.Socket, e.Err)
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// readLimited reads all of r, failing once it has more than limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, limit)
	}
	return b, nil
}
