package client

import (
	"context"
	"net/http"

	"chatd/wire"
)

// WatchNodes streams node events (GET /v1/nodes?watch=1) to fn, in order:
// nodes coming up and going down with the reason, from now on. It runs
// until the daemon ends the stream, whose last event (wire.NodeWatchEnd)
// then says why, until fn returns an error (returned as is), or until
// ctx ends (ctx.Err()).
func (c *Client) WatchNodes(ctx context.Context, fn func(wire.NodeEvent) error) error {
	return stream(ctx, c, http.MethodGet, wire.PathNodes+"?"+wire.QueryWatch+"=1", nil, fn)
}
