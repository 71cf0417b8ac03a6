package control

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"time"

	"chatd/wire"
)

// The Go runtime's profiles, for finding where a node spends its time
// (make profile): GET /debug/pprof/profile?seconds=N is a CPU profile,
// /debug/pprof/trace?seconds=N an execution trace, /debug/pprof/NAME one of
// runtime/pprof's named profiles (heap, allocs, goroutine, block, mutex,
// threadcreate). They answer in the formats `go tool pprof` and `go tool
// trace` read, as net/http/pprof's do; they are served here, on the
// control socket's own mux and behind its peer check, rather than by
// importing net/http/pprof, which registers itself on http.DefaultServeMux.
//
// A profile in pprof's format opens files (/proc/self/maps and the mapped
// binaries, for their build IDs), so a named profile is written through
// the node's descriptor gate into memory first, then sent. A CPU profile
// reads them in runtime/pprof's own goroutine as it starts, which no gate
// can hold: one of the known holes internal/fdgate lists, on the
// operator's request.

// maxProfileSeconds bounds a CPU profile or a trace.
const maxProfileSeconds = 60

func (h *handler) registerDebug() {
	h.mux.HandleFunc("GET "+wire.PathDebugPprof+"profile", h.cpuProfile)
	h.mux.HandleFunc("GET "+wire.PathDebugPprof+"trace", h.execTrace)
	h.mux.HandleFunc("GET "+wire.PathDebugPprof+"{name}", h.namedProfile)
}

// profileSeconds reads ?seconds= (default 5, at most maxProfileSeconds).
func profileSeconds(w http.ResponseWriter, r *http.Request) (time.Duration, bool) {
	secs := 5
	if s := r.URL.Query().Get("seconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxProfileSeconds {
			writeError(w, wire.CodeBadRequest, fmt.Sprintf("bad seconds %q: want 1 to %d", s, maxProfileSeconds))
			return 0, false
		}
		secs = n
	}
	return time.Duration(secs) * time.Second, true
}

// record runs start, waits d (or until the client goes away) and stops.
// Only one CPU profile or trace runs at a time in a process; a second
// gets unavailable.
func record(w http.ResponseWriter, r *http.Request, what string, start func() error, stop func()) {
	d, ok := profileSeconds(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+what+`"`)
	if err := start(); err != nil {
		w.Header().Del("Content-Disposition")
		writeError(w, wire.CodeUnavailable, fmt.Sprintf("cannot start the %s (one is running already?): %v", what, err))
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
	stop()
}

func (h *handler) cpuProfile(w http.ResponseWriter, r *http.Request) {
	record(w, r, "profile", func() error { return pprof.StartCPUProfile(w) }, pprof.StopCPUProfile)
}

func (h *handler) execTrace(w http.ResponseWriter, r *http.Request) {
	record(w, r, "trace", func() error { return trace.Start(w) }, trace.Stop)
}

func (h *handler) namedProfile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	p := pprof.Lookup(name)
	if p == nil {
		writeError(w, wire.CodeNotFound, fmt.Sprintf("no profile %q: want profile, trace or one of heap, allocs, goroutine, block, mutex, threadcreate", name))
		return
	}
	debug, _ := strconv.Atoi(r.URL.Query().Get("debug"))
	var buf bytes.Buffer
	var err error
	h.gate.Shared(func() { err = p.WriteTo(&buf, debug) }) // reads /proc/self/maps
	if err != nil {
		writeError(w, wire.CodeInternal, fmt.Sprintf("write the %s profile: %v", name, err))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if debug > 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	_, _ = w.Write(buf.Bytes()) // the client went away
}
