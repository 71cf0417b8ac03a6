package control

import (
	"context"
	"net/http"

	"chatd/wire"
)

// Spawned is a process started through the API.
type Spawned struct {
	Pid wire.Pid
	// Events carries output lines, then the exit, until Detach.
	Events <-chan wire.SpawnEvent
	// Detach sends later output and the exit to the node's log instead.
	Detach func()
}

// ProcBackend is the part of the node behind the process endpoints.
type ProcBackend interface {
	// SendFromShell puts text in the mailbox of the process to, from the
	// shell.
	SendFromShell(ctx context.Context, to wire.Pid, text string) (wire.SendResponse, error)
	// Spawn starts a process on node linked to the shell.
	Spawn(ctx context.Context, node wire.NodeName, function string, args []string, detach bool) (Spawned, error)
	// Flush empties the shell's mailbox.
	Flush() wire.FlushResponse
	// Processes lists the local processes.
	Processes() []wire.ProcessInfo
}

func (h *handler) registerProc() {
	h.mux.HandleFunc("POST "+wire.PathSpawn, h.spawn)
	h.mux.HandleFunc("POST "+wire.PathFlush, h.flush)
	h.mux.HandleFunc("GET "+wire.PathProcesses, h.processes)
}

// sendToPid is POST /v1/send with a pid as "to".
func (h *handler) sendToPid(w http.ResponseWriter, r *http.Request, req wire.SendRequest) {
	to, err := wire.ParsePid(req.To)
	if err != nil {
		writeError(w, wire.CodeBadRequest, err.Error())
		return
	}
	resp, err := h.b.Procs.SendFromShell(r.Context(), to, req.Text)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *handler) spawn(w http.ResponseWriter, r *http.Request) {
	var req wire.SpawnRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Node == "" || req.Function == "" {
		writeError(w, wire.CodeBadRequest, `want {"node": "name@host", "function": "say_name", "args": [...], "detach": false}`)
		return
	}
	node, err := h.parseNode(req.Node)
	if err != nil {
		writeError(w, wire.CodeBadRequest, err.Error())
		return
	}
	sp, err := h.b.Procs.Spawn(r.Context(), node, req.Function, req.Args, req.Detach)
	if err != nil {
		writeErr(w, err)
		return
	}
	first := wire.SpawnEvent{Event: wire.SpawnEventPid, Pid: sp.Pid.String()}
	if req.Detach {
		writeJSON(w, http.StatusOK, first)
		return
	}
	defer sp.Detach() // a client that goes away leaves the output to the log
	events := make(chan wire.SpawnEvent)
	go func() {
		defer close(events)
		select {
		case events <- first:
		case <-r.Context().Done():
			return
		}
		for {
			select {
			case ev := <-sp.Events:
				select {
				case events <- ev:
				case <-r.Context().Done():
					return
				}
				if ev.Event == wire.SpawnEventExit {
					return
				}
			case <-r.Context().Done():
				return
			}
		}
	}()
	streamNDJSON(w, r, events)
	for range events { // let the relay goroutine end
	}
}

func (h *handler) flush(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		var empty struct{}
		if !decodeBody(w, r, &empty) {
			return
		}
	}
	writeJSON(w, http.StatusOK, h.b.Procs.Flush())
}

func (h *handler) processes(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, wire.ProcessesResponse{Node: h.b.Node, Processes: h.b.Procs.Processes()})
}
