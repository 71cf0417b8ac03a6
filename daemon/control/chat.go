package control

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"chatd/wire"
)

// ChatBackend is the part of the node behind the task and chat endpoints.
type ChatBackend interface {
	// SendMessage delivers text to the node to; success means its sink
	// accepted it.
	SendMessage(ctx context.Context, to wire.NodeName, text string) (wire.SendResponse, error)
	// CallFunction runs function on node and awaits the result (timeout 0: default).
	CallFunction(ctx context.Context, node wire.NodeName, function string, args []string, timeout time.Duration) (wire.CallResponse, error)
	// Tasks lists the running tasks, and with all the finished ones too.
	Tasks(all bool) []wire.TaskInfo
	// WatchTasks streams task changes until ctx ends.
	WatchTasks(ctx context.Context) <-chan wire.TaskInfo
	// Messages returns up to n recent received messages (n ≤ 0: all kept).
	Messages(n int) []wire.Message
	// FollowMessages streams received messages until ctx ends; the func
	// says why the stream ended early, if it did.
	FollowMessages(ctx context.Context) (<-chan wire.Message, func() error)
	// Functions lists the builtin functions.
	Functions() []wire.FunctionInfo
}

func (h *handler) registerChat() {
	h.mux.HandleFunc("POST "+wire.PathSend, h.send)
	h.mux.HandleFunc("POST "+wire.PathCall, h.call)
	h.mux.HandleFunc("GET "+wire.PathTasks, h.tasks)
	h.mux.HandleFunc("GET "+wire.PathMessages, h.messages)
	h.mux.HandleFunc("GET "+wire.PathFunctions, h.functions)
}

// MaxText bounds a chat message.
const MaxText = 64 << 10

func (h *handler) send(w http.ResponseWriter, r *http.Request) {
	var req wire.SendRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.To == "" {
		writeError(w, wire.CodeBadRequest, `missing "to": want {"to": "name@host", "text": "..."}`)
		return
	}
	if len(req.Text) > MaxText {
		writeError(w, wire.CodeBadRequest, fmt.Sprintf("text is %d bytes, the limit is %d", len(req.Text), MaxText))
		return
	}
	if wire.LooksLikePid(req.To) {
		h.sendToPid(w, r, req)
		return
	}
	to, err := h.parseNode(req.To)
	if err != nil {
		writeError(w, wire.CodeBadRequest, err.Error())
		return
	}
	resp, err := h.b.Chat.SendMessage(r.Context(), to, req.Text)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *handler) call(w http.ResponseWriter, r *http.Request) {
	var req wire.CallRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Node == "" || req.Function == "" {
		writeError(w, wire.CodeBadRequest, `want {"node": "name@host", "function": "echo", "args": [...], "timeout": "5s"}`)
		return
	}
	node, err := h.parseNode(req.Node)
	if err != nil {
		writeError(w, wire.CodeBadRequest, err.Error())
		return
	}
	var timeout time.Duration
	if req.Timeout != "" {
		if timeout, err = time.ParseDuration(req.Timeout); err != nil || timeout <= 0 {
			writeError(w, wire.CodeBadRequest, fmt.Sprintf("bad timeout %q: want a positive duration like 5s", req.Timeout))
			return
		}
	}
	resp, err := h.b.Chat.CallFunction(r.Context(), node, req.Function, req.Args, timeout)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *handler) tasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if flag(q.Get("watch")) {
		streamNDJSON(w, r, h.b.Chat.WatchTasks(r.Context()))
		return
	}
	writeJSON(w, http.StatusOK, wire.TasksResponse{Node: h.b.Node, Tasks: h.b.Chat.Tasks(flag(q.Get("all")))})
}

func (h *handler) messages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n := 0
	if s := q.Get("n"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 0 {
			writeError(w, wire.CodeBadRequest, fmt.Sprintf("bad n %q: want a count ≥ 0", s))
			return
		}
	}
	if !flag(q.Get("follow")) {
		writeJSON(w, http.StatusOK, wire.MessagesResponse{Node: h.b.Node, Messages: h.b.Chat.Messages(n)})
		return
	}
	live, why := h.b.Chat.FollowMessages(r.Context())
	out := make(chan wire.Message)
	go func() { // replay the backlog, then the live stream without repeats
		defer close(out)
		seen := make(map[string]bool)
		if n > 0 {
			for _, m := range h.b.Chat.Messages(n) {
				seen[m.ID] = true
				select {
				case out <- m:
				case <-r.Context().Done():
					return
				}
			}
		}
		for m := range live {
			if seen[m.ID] {
				continue
			}
			select {
			case out <- m:
			case <-r.Context().Done():
				return
			}
		}
	}()
	streamNDJSON(w, r, out)
	for range out { // drain so the replay goroutine ends
	}
	if err := why(); err != nil {
		h.log.Info("message follower cut off", "err", err)
	}
}

func (h *handler) functions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, wire.FunctionsResponse{Functions: h.b.Chat.Functions()})
}

func flag(s string) bool { return s == "1" || s == "true" || s == "yes" }

// streamNDJSON writes one JSON line per value from ch, flushing each, until
// ch closes or the client goes away.
func streamNDJSON[T any](w http.ResponseWriter, r *http.Request, ch <-chan T) {
	write := startNDJSON(w)
	for {
		select {
		case v, ok := <-ch:
			if !ok || !write(v) {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

// startNDJSON starts an NDJSON response and returns how to write one line
// of it, flushed; false means the client went away.
func startNDJSON(w http.ResponseWriter) func(v any) bool {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return func(v any) bool { return enc.Encode(v) == nil && rc.Flush() == nil }
}
