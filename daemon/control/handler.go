package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"

	"chatd/daemon/link"
	"chatd/daemon/proc"
	"chatd/daemon/rpc"
	"chatd/wire"
)

// Backend is the node behind the control API.
type Backend interface {
	// Status describes the node.
	Status() wire.StatusResponse
	// Links lists the links up now.
	Links() []wire.LinkInfo
	// ParseNode parses a node argument, giving a bare name the node's host.
	ParseNode(s string) (wire.NodeName, error)
	// Ping links to node if needed and makes one round trip.
	Ping(ctx context.Context, node wire.NodeName) wire.PingResponse
	// Connect links to node; already reports a link that existed.
	Connect(ctx context.Context, node wire.NodeName) (already bool, err error)
	// Disconnect closes the link to node and reports whether there was one.
	Disconnect(node wire.NodeName) bool
	ChatBackend
	ProcBackend
}

type handler struct {
	version string // the daemon's version, sent on every response
	b       Backend
	log     *slog.Logger
	mux     *http.ServeMux
}

func newHandler(b Backend, log *slog.Logger) http.Handler {
	h := &handler{version: b.Status().Version, b: b, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+wire.PathStatus, h.status)
	h.mux.HandleFunc("GET "+wire.PathNodes, h.nodes)
	h.mux.HandleFunc("POST "+wire.PathPing, h.ping)
	h.mux.HandleFunc("POST "+wire.PathConnect, h.connect)
	h.mux.HandleFunc("POST "+wire.PathDisconnect, h.disconnect)
	h.registerChat()
	h.registerProc()
	return h
}

// ServeHTTP routes, turning the mux's plain-text 404 and 405 into JSON errors.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(wire.HeaderVersion, h.version)
	_, pattern := h.mux.Handler(r)
	if pattern == "" {
		if h.pathKnown(r.URL.Path) {
			writeError(w, http.StatusMethodNotAllowed, wire.CodeBadRequest,
				fmt.Sprintf("method %s not allowed on %s", r.Method, r.URL.Path))
			return
		}
		writeError(w, http.StatusNotFound, wire.CodeNotFound,
			fmt.Sprintf("no endpoint %s %s; see the control API in the README", r.Method, r.URL.Path))
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *handler) pathKnown(path string) bool {
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		r, _ := http.NewRequest(m, path, nil)
		if _, p := h.mux.Handler(r); p != "" {
			return true
		}
	}
	return false
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get(wire.QueryGC) == "1" {
		runtime.GC()
	}
	writeJSON(w, http.StatusOK, h.b.Status())
}

func (h *handler) nodes(w http.ResponseWriter, _ *http.Request) {
	st := h.b.Status()
	writeJSON(w, http.StatusOK, wire.NodesResponse{Node: st.Node, Links: h.b.Links()})
}

func (h *handler) ping(w http.ResponseWriter, r *http.Request) {
	node, ok := h.nodeArg(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, h.b.Ping(r.Context(), node))
}

func (h *handler) connect(w http.ResponseWriter, r *http.Request) {
	node, ok := h.nodeArg(w, r)
	if !ok {
		return
	}
	already, err := h.b.Connect(r.Context(), node)
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
	writeJSON(w, http.StatusOK, wire.DisconnectResponse{Node: node.String(), WasLinked: h.b.Disconnect(node)})
}

// nodeArg decodes a NodeRequest body and parses its node.
func (h *handler) nodeArg(w http.ResponseWriter, r *http.Request) (wire.NodeName, bool) {
	var req wire.NodeRequest
	if !decodeBody(w, r, &req) {
		return wire.NodeName{}, false
	}
	if req.Node == "" {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, `missing "node": want {"node": "name@host"}`)
		return wire.NodeName{}, false
	}
	node, err := h.b.ParseNode(req.Node)
	if err != nil {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
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
			writeError(w, http.StatusRequestEntityTooLarge, wire.CodeBadRequest,
				fmt.Sprintf("request body over %d bytes", wire.MaxAPIRequest))
		case errors.Is(err, io.EOF):
			writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "empty request body: want a JSON object")
		default:
			writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "bad JSON body: "+err.Error())
		}
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "bad JSON body: more than one value")
		return false
	}
	// Read to the end, so the server notices when a streaming client goes
	// away (it only watches the connection once the body is consumed).
	_, _ = io.Copy(io.Discard, body)
	return true
}

// writeErr maps a backend error to its status and code.
func writeErr(w http.ResponseWriter, err error) {
	code, status := Classify(err)
	writeError(w, status, code, err.Error())
}

// Classify maps an error to its API error code and HTTP status.
func Classify(err error) (wire.ErrorCode, int) {
	switch {
	case errors.As(err, new(*rpc.CallError)):
		return callErrorCode(err)
	case errors.Is(err, link.ErrCookieMismatch):
		return wire.CodeCookieMismatch, http.StatusBadGateway
	case errors.Is(err, link.ErrShutdown):
		return wire.CodeUnavailable, http.StatusServiceUnavailable
	case errors.As(err, new(*link.ConnectError)):
		return wire.CodeNoConnection, http.StatusBadGateway
	case errors.Is(err, link.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return wire.CodeTimeout, http.StatusGatewayTimeout
	case errors.Is(err, proc.ErrNoProcess):
		return wire.CodeNoProcess, http.StatusNotFound
	case errors.Is(err, proc.ErrMailboxFull):
		return wire.CodeMailboxFull, http.StatusServiceUnavailable
	case errors.Is(err, proc.ErrTooMany):
		return wire.CodeOverloaded, http.StatusServiceUnavailable
	case errors.Is(err, wire.ErrBadName), errors.Is(err, wire.ErrBadPid):
		return wire.CodeBadRequest, http.StatusBadRequest
	}
	return wire.CodeInternal, http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, status int, code wire.ErrorCode, msg string) {
	writeJSON(w, status, wire.ErrorResponse{Error: strings.TrimSpace(msg), Code: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // pids are <node.id.creation>
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

func callErrorCode(err error) (wire.ErrorCode, int) {
	var ce *rpc.CallError
	errors.As(err, &ce)
	switch ce.Status {
	case wire.ResultTimeout, wire.ResultCancelled:
		return wire.CodeTimeout, http.StatusGatewayTimeout
	case wire.ResultOverloaded:
		return wire.CodeOverloaded, http.StatusServiceUnavailable
	case wire.ResultUnknownFunction:
		return wire.CodeNotFound, http.StatusNotFound
	case wire.ResultBadRequest:
		return wire.CodeBadRequest, http.StatusBadRequest
	case wire.ResultUnavailable:
		return wire.CodeUnavailable, http.StatusServiceUnavailable
	case wire.ResultNoProcess:
		return wire.CodeNoProcess, http.StatusNotFound
	case wire.ResultMailboxFull:
		return wire.CodeMailboxFull, http.StatusServiceUnavailable
	}
	return wire.CodeTaskFailed, http.StatusBadGateway
}
