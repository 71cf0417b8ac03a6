package control

import (
	"context"
	"net/http"

	"chatd/wire"
)

// NodeEventsBackend is the node's source of node events.
type NodeEventsBackend interface {
	// WatchNodes streams node events from now on until ctx ends; when the
	// node ends the stream, its last event (wire.NodeWatchEnd) says why.
	WatchNodes(ctx context.Context) <-chan wire.NodeEvent
}

// watchNodes streams node events as NDJSON. Unlike streamNDJSON it writes
// every event the channel yields, so that a watch the node ends gets its
// last event (why) even as the server is shutting down; the channel closes
// when the request's context ends.
func (h *handler) watchNodes(w http.ResponseWriter, r *http.Request) {
	if h.b.Events == nil {
		writeError(w, wire.CodeUnavailable, "this node does not stream node events")
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	events := h.b.Events.WatchNodes(ctx)
	write := startNDJSON(w)
	for ev := range events {
		if !write(ev) {
			return // the client went away; cancel ends the watch
		}
	}
}
