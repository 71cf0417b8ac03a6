package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/trace"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"chatd/wire"
)

// The floors profiled next to chatd's paths, each a chatbench child that
// serves the same two debug endpoints as a chatd node's control socket
// (an execution trace and the Go and process metrics), on a Unix socket
// of their own so that the floor itself is untouched:
//
//	trivial  POST /v1/call to the trivial HTTP server (side trivial)
//	yamux    a 1-byte ping-pong on one yamux stream (sides bench and yamux)

// debugFlag adds -debug-socket to a server child's flags.
func debugFlag(fs *flag.FlagSet) *string {
	return fs.String("debug-socket", "", "serve a trace and metrics on this Unix socket too")
}

// serveDebug serves GET /debug/pprof/trace?seconds=N and GET /metrics on
// sock for as long as the process lives; "" serves nothing.
func serveDebug(sock string) error {
	if sock == "" {
		return nil
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET "+wire.PathMetrics, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET "+wire.PathDebugPprof+"trace", serveDebugTrace)
	go func() { _ = http.Serve(ln, mux) }() // ends with the process
	return nil
}

// serveDebugTrace writes an execution trace of ?seconds=N.
func serveDebugTrace(w http.ResponseWriter, r *http.Request) {
	var secs int
	if _, err := fmt.Sscan(r.URL.Query().Get("seconds"), &secs); err != nil || secs < 1 || secs > maxTraceSeconds {
		http.Error(w, "bad seconds", http.StatusBadRequest)
		return
	}
	if err := trace.Start(w); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	select {
	case <-time.After(time.Duration(secs) * time.Second):
	case <-r.Context().Done():
	}
	trace.Stop()
}

// refPaths starts the floors' children and returns their paths and how to
// stop them.
func refPaths(dir string) (map[string]profPath, func(), error) {
	var stops []func()
	stop := func() {
		for _, s := range stops {
			s()
		}
	}
	child := func(name string, args ...string) (string, profSide, error) {
		dsock := filepath.Join(dir, name+"-debug.sock")
		addr, c, err := startServerChild(append(args, "-debug-socket", dsock)...)
		if err != nil {
			return "", profSide{}, err
		}
		stops = append(stops, func() { c.stop(5 * time.Second) })
		return addr, profSide{name: name, pid: c.cmd.Process.Pid, node: remoteNode(dsock)}, nil
	}
	trivialSock, trivial, err := child("trivial", "http-server", "-socket", filepath.Join(dir, "trivial.sock"))
	if err != nil {
		return nil, stop, err
	}
	hc := unixHTTPClient(trivialSock, 1)
	stops = append(stops, hc.CloseIdleConnections)
	call, _ := json.Marshal(wire.CallRequest{Node: "kate@localhost", Function: "echo", Args: []string{"x"}})

	addr, ysrv, err := child("yamux", "yamux-server")
	if err != nil {
		return nil, stop, err
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, stop, err
	}
	sess, err := yamux.Client(conn, yamuxFloorConfig())
	if err != nil {
		conn.Close()
		return nil, stop, err
	}
	stops = append(stops, func() { sess.Close() })
	st, err := sess.OpenStream()
	if err != nil {
		return nil, stop, err
	}
	self := profSide{name: "bench", pid: os.Getpid()}
	return map[string]profPath{
		"trivial": {"trivial", func(ctx context.Context) error { return post(ctx, hc, wire.PathCall, call) }, []profSide{trivial}},
		"yamux":   {"yamux", func(context.Context) error { return pingPong(st) }, []profSide{self, ysrv}},
	}, stop, nil
}
