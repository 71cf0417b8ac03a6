package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"chatd/wire"
)

// This file holds the task and chat endpoints. The streaming ones (WatchTasks,
// FollowMessages) run until the daemon ends the stream, fn returns an error
// or ctx is done: the Client sets no HTTP timeout of its own, so a stream is
// bounded by its context alone.

// Send delivers text to the node to (POST /v1/send). Success means the
// recipient's sink accepted the message; the response carries its id. to is
// passed through as given: a node name, name@host or a bare name (completed
// by the daemon with its own host).
func (c *Client) Send(ctx context.Context, to, text string) (wire.SendResponse, error) {
	return exchange[wire.SendResponse](ctx, c, http.MethodPost, wire.PathSend, wire.SendRequest{To: to, Text: text})
}

// Call runs a function as a supervised task on req.Node and awaits its
// result (POST /v1/call). req.Timeout, a Go duration, bounds the await on the
// daemon's side (empty: its tasks.await_timeout); ctx bounds the request and
// should outlast it. A task that failed or timed out is an *APIError with
// code wire.CodeTaskFailed or wire.CodeTimeout whose message names the node
// and the reason.
func (c *Client) Call(ctx context.Context, req wire.CallRequest) (wire.CallResponse, error) {
	return exchange[wire.CallResponse](ctx, c, http.MethodPost, wire.PathCall, req)
}

// Tasks lists the node's running tasks, and with all its finished ones too
// (GET /v1/tasks[?all=1]).
func (c *Client) Tasks(ctx context.Context, all bool) (wire.TasksResponse, error) {
	q := url.Values{}
	if all {
		q.Set("all", "1")
	}
	return exchange[wire.TasksResponse](ctx, c, http.MethodGet, withQuery(wire.PathTasks, q), nil)
}

// WatchTasks calls fn with each task change the daemon streams
// (GET /v1/tasks?watch=1, NDJSON), in order. It returns nil when the daemon
// ends the stream, fn's error when fn returns one, and ctx.Err() when ctx
// ends it.
func (c *Client) WatchTasks(ctx context.Context, fn func(wire.TaskInfo) error) error {
	q := url.Values{"watch": {"1"}}
	return stream(ctx, c, http.MethodGet, withQuery(wire.PathTasks, q), nil, fn)
}

// Messages returns the last n messages the node received, oldest first
// (GET /v1/messages[?n=N]); n ≤ 0 means all the daemon keeps.
func (c *Client) Messages(ctx context.Context, n int) (wire.MessagesResponse, error) {
	q := url.Values{}
	if n > 0 {
		q.Set("n", strconv.Itoa(n))
	}
	return exchange[wire.MessagesResponse](ctx, c, http.MethodGet, withQuery(wire.PathMessages, q), nil)
}

// FollowMessages calls fn with the last n received messages (none when
// n ≤ 0), then with each new one as it arrives
// (GET /v1/messages?follow=1[&n=N], NDJSON). It returns nil when the daemon
// ends the stream, fn's error when fn returns one, and ctx.Err() when ctx
// ends it.
func (c *Client) FollowMessages(ctx context.Context, n int, fn func(wire.Message) error) error {
	q := url.Values{"follow": {"1"}}
	if n > 0 {
		q.Set("n", strconv.Itoa(n))
	}
	return stream(ctx, c, http.MethodGet, withQuery(wire.PathMessages, q), nil, fn)
}

// Functions lists the builtin functions a peer may run on the node
// (GET /v1/functions).
func (c *Client) Functions(ctx context.Context) (wire.FunctionsResponse, error) {
	return exchange[wire.FunctionsResponse](ctx, c, http.MethodGet, wire.PathFunctions, nil)
}

// withQuery appends q to path when q is not empty.
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
