package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"chatd/wire"
)

// runAPI measures the control API path next to its floor, a trivial Go
// HTTP server on a Unix socket (a chatbench child), all driven the same
// way: c clients, each with a kept-alive connection of its own, over one
// net/http client. Lines:
//
//	api rtt KIND p50_ns p90_ns p99_ns max_ns    1 client, sequential
//	api tput KIND C requests_per_second         C clients at once
//
// KIND: trivial (POST to the trivial server, which decodes the JSON body
// and answers a JSON body), call (POST /v1/call, echo x on -peer) and send
// (POST /v1/send, hi to -peer).
func runAPI(args []string) error {
	fs := newFlags("api")
	socket := fs.String("socket", "", "the calling node's control socket")
	peer := fs.String("peer", "kate@localhost", "the node called and sent to")
	loadFlags := addLoadFlags(fs, 5000, "sequential requests per kind", "64", "concurrent clients for throughput")
	_ = fs.Parse(args)
	ld, err := loadFlags()
	if err != nil {
		return err
	}
	if *socket == "" {
		return errors.New("want -socket, the calling node's control socket")
	}
	dir, err := os.MkdirTemp("", "chatbench-api-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	trivialSock, srv, err := startServerChild("http-server", "-socket", filepath.Join(dir, "trivial.sock"))
	if err != nil {
		return err
	}
	defer srv.stop(5 * time.Second)

	call, _ := json.Marshal(wire.CallRequest{Node: *peer, Function: "echo", Args: []string{"x"}})
	send, _ := json.Marshal(wire.SendRequest{To: *peer, Text: "hi"})
	kinds := []struct {
		name, socket, path string
		body               []byte
	}{
		{"trivial", trivialSock, wire.PathCall, call},
		{"call", *socket, wire.PathCall, call},
		{"send", *socket, wire.PathSend, send},
	}
	ctx := context.Background()
	for _, k := range kinds {
		hc := unixHTTPClient(k.socket, slices.Max(ld.concs))
		op := func(ctx context.Context) error { return post(ctx, hc, k.path, k.body) }
		ds, err := sequential(ctx, ld.n, op)
		if err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		percentiles("api rtt "+k.name, ds)
		for _, c := range ld.concs {
			rate, err := throughput(ctx, c, ld.d, op)
			if err != nil {
				return fmt.Errorf("%s with %d clients: %w", k.name, c, err)
			}
			fmt.Printf("api tput %s %d %.0f\n", k.name, c, rate)
		}
		hc.CloseIdleConnections()
	}
	return nil
}

// post makes one POST of body to path and wants 200 and a body.
func post(ctx context.Context, hc *http.Client, path string, body []byte) error {
	b, err := roundTrip(ctx, hc, "POST", path, body, 64<<10)
	if err == nil && len(b) == 0 {
		err = fmt.Errorf("POST %s: an empty answer", path)
	}
	return err
}

// roundTrip makes one request with body (JSON; none when nil) to path and
// returns the answer's body, of at most limit bytes, read to the end so
// that the connection is reused. An answer other than 200 is an error.
func roundTrip(ctx context.Context, hc *http.Client, method, path string, body []byte, limit int64) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://chatd"+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

// runHTTPServer is the trivial HTTP server: on -socket, every POST has its
// JSON body decoded as a call request and answered with a call response,
// with net/http's defaults. It prints the socket's path once it listens
// and serves until it is stopped.
func runHTTPServer(args []string) error {
	fs := newFlags("http-server")
	socket := fs.String("socket", "", "the Unix socket to listen on")
	debug := debugFlag(fs)
	_ = fs.Parse(args)
	if err := serveDebug(*debug); err != nil {
		return err
	}
	ln, err := net.Listen("unix", *socket)
	if err != nil {
		return err
	}
	fmt.Println(*socket)
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req wire.CallRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(wire.CallResponse{Node: req.Node, Function: req.Function, Result: "x"})
	}))
}
