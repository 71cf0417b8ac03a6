package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"

	"chatd/internal/fdgate"
	"chatd/wire"
)

// Backend is the node behind the control API: who it is, given once, and
// the small interface each group of endpoints needs.
type Backend struct {
	// Node is the node's full name, Version the daemon's version; both are
	// sent as they are.
	Node, Version string
	// Host completes a bare node name in a request.
	Host string
	// Status answers GET /v1/status.
	Status StatusBackend
	// Nodes answers the endpoints about links: nodes, ping, connect,
	// disconnect.
	Nodes NodesBackend
	// Chat answers the task and chat endpoints.
	Chat ChatBackend
	// Procs answers the process endpoints.
	Procs ProcBackend
	// Events streams node events (GET /v1/nodes?watch=1); nil: none.
	Events NodeEventsBackend
	// Metrics answers GET /metrics (the Prometheus text format); nil: 404.
	Metrics http.Handler
}

// StatusBackend describes the node (GET /v1/status only: it reads memory
// statistics and /proc).
type StatusBackend interface {
	Status() wire.StatusResponse
}

// NodesBackend is the part of the node behind the link endpoints.
type NodesBackend interface {
	// Links lists the links up now, sorted by node.
	Links() []wire.LinkInfo
	// Ping links to node if needed and makes one round trip.
	Ping(ctx context.Context, node wire.NodeName) wire.PingResponse
	// Connect links to node; already reports a link that existed.
	Connect(ctx context.Context, node wire.NodeName) (already bool, err error)
	// Disconnect closes the link to node and reports whether there was one.
	Disconnect(node wire.NodeName) bool
}

type handler struct {
	b    Backend
	gate *fdgate.Gate // the node's descriptor gate, for the profiles' file reads
	log  *slog.Logger
	mux  *http.ServeMux
}

func newHandler(b Backend, gate *fdgate.Gate, log *slog.Logger) http.Handler {
	h := &handler{b: b, gate: gate, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+wire.PathStatus, h.status)
	h.mux.HandleFunc("GET "+wire.PathNodes, h.nodes)
	h.mux.HandleFunc("POST "+wire.PathPing, h.ping)
	h.mux.HandleFunc("POST "+wire.PathConnect, h.connect)
	h.mux.HandleFunc("POST "+wire.PathDisconnect, h.disconnect)
	h.registerChat()
	h.registerProc()
	h.registerDebug()
	if b.Metrics != nil {
		h.mux.Handle("GET "+wire.PathMetrics, b.Metrics)
	}
	h.mux.HandleFunc("/", h.unrouted) // the least specific pattern: whatever no endpoint takes
	return h
}

// parseNode parses a node argument, giving a bare name the node's host.
func (h *handler) parseNode(s string) (wire.NodeName, error) { return wire.ParseNodeName(s, h.b.Host) }

// ServeHTTP routes; what no endpoint takes gets a JSON error (unrouted),
// not the mux's plain-text 404 and 405.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(wire.HeaderVersion, h.b.Version)
	h.mux.ServeHTTP(w, r)
}

// unrouted answers a request no endpoint takes: 405 when another method
// would have been served on its path, else 404.
func (h *handler) unrouted(w http.ResponseWriter, r *http.Request) {
	if h.pathKnown(r.URL.Path) {
		writeErrorStatus(w, http.StatusMethodNotAllowed, wire.CodeBadRequest,
			fmt.Sprintf("method %s not allowed on %s", r.Method, r.URL.Path))
		return
	}
	writeError(w, wire.CodeNotFound,
		fmt.Sprintf("no endpoint %s %s; see the control API in the README", r.Method, r.URL.Path))
}

func (h *handler) pathKnown(path string) bool {
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		r, _ := http.NewRequest(m, path, nil)
		if _, p := h.mux.Handler(r); p != "" && p != "/" {
			return true
		}
	}
	return false
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get(wire.QueryGC) == "1" {
		runtime.GC()
	}
	writeJSON(w, http.StatusOK, h.b.Status.Status())
}

func (h *handler) nodes(w http.ResponseWriter, r *http.Request) {
	if flag(r.URL.Query().Get(wire.QueryWatch)) {
		h.watchNodes(w, r)
		return
	}
	writeJSON(w, http.StatusOK, wire.NodesResponse{Node: h.b.Node, Links: h.b.Nodes.Links()})
}

func (h *handler) ping(w http.ResponseWriter, r *http.Request) {
	node, ok := h.nodeArg(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, h.b.Nodes.Ping(r.Context(), node))
}

func (h *handler) connect(w http.ResponseWriter, r *http.Request) {
	node, ok := h.nodeArg(w, r)
	if !ok {
		return
	}
	already, err := h.b.Nodes.Connect(r.Context(), node)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.ConnectResponse{Node: node.String(), Already: already})
}

func (h *handler) disconnect(w http.ResponseWriter, r *http.Request) {
	node, ok := h.nodeArg(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, wire.DisconnectResponse{Node: node.String(), WasLinked: h.b.Nodes.Disconnect(node)})
}

// nodeArg decodes a NodeRequest body and parses its node.
func (h *handler) nodeArg(w http.ResponseWriter, r *http.Request) (wire.NodeName, bool) {
	var req wire.NodeRequest
	if !decodeBody(w, r, &req) {
		return wire.NodeName{}, false
	}
	if req.Node == "" {
		writeError(w, wire.CodeBadRequest, `missing "node": want {"node": "name@host"}`)
		return wire.NodeName{}, false
	}
	node, err := h.parseNode(req.Node)
	if err != nil {
		writeError(w, wire.CodeBadRequest, err.Error())
		return wire.NodeName{}, false
	}
	return node, true
}

// decodeBody reads a JSON body of at most wire.MaxAPIRequest bytes with no
// unknown fields.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body := http.MaxBytesReader(w, r.Body, wire.MaxAPIRequest)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			writeErrorStatus(w, http.StatusRequestEntityTooLarge, wire.CodeBadRequest,
				fmt.Sprintf("request body over %d bytes", wire.MaxAPIRequest))
		case errors.Is(err, io.EOF):
			writeError(w, wire.CodeBadRequest, "empty request body: want a JSON object")
		default:
			writeError(w, wire.CodeBadRequest, "bad JSON body: "+err.Error())
		}
		return false
	}
	if dec.More() {
		writeError(w, wire.CodeBadRequest, "bad JSON body: more than one value")
		return false
	}
	// Read to the end, so the server notices when a streaming client goes
	// away (it only watches the connection once the body is consumed).
	_, _ = io.Copy(io.Discard, body)
	return true
}

// writeErr answers a backend error with its failure kind.
func writeErr(w http.ResponseWriter, err error) {
	writeError(w, wire.CodeOf(err), err.Error())
}

// writeError answers a failure of kind code: the one place a kind becomes
// an HTTP status.
func writeError(w http.ResponseWriter, code wire.ErrorCode, msg string) {
	writeErrorStatus(w, code.HTTPStatus(), code, msg)
}

// writeErrorStatus answers a failure with an HTTP status of the protocol's
// own (405, 413) rather than its kind's.
func writeErrorStatus(w http.ResponseWriter, status int, code wire.ErrorCode, msg string) {
	writeJSON(w, status, wire.ErrorResponse{Error: strings.TrimSpace(msg), Code: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	e := jsonEncoders.Get().(*jsonEncoder)
	defer jsonEncoders.Put(e)
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		writeErrorStatus(w, http.StatusInternalServerError, wire.CodeInternal, "encode the answer: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(e.buf.Bytes()) // the client went away; nothing to do
}

// jsonEncoder is an answer's encoder and the buffer it encodes into, kept
// in jsonEncoders between requests: an encoder reuses its indenting
// buffer, so a fresh one per answer would allocate it again each time.
type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false) // pids are <node.id.creation>
	e.enc.SetIndent("", "  ")
	return e
}}
