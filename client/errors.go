package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"chatd/wire"
)

// ErrResponseTooLarge is wrapped by the error for a response body, or an
// NDJSON line, longer than the client reads.
var ErrResponseTooLarge = errors.New("response too large")

// APIError is a non-2xx answer from the daemon.
type APIError struct {
	// Kind is the daemon's failure kind; when the body was not a
	// wire.ErrorResponse it is derived from Status.
	Kind wire.ErrorCode
	// Message is the daemon's human-readable message naming what failed.
	Message string
	// Status is the HTTP status code.
	Status int
}

// Error returns the daemon's message.
func (e *APIError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("chatd answered HTTP %d (%s)", e.Status, e.Kind)
}

// Code returns the daemon's failure kind, so that wire.CodeOf reads it.
func (e *APIError) Code() wire.ErrorCode { return e.Kind }

// decodeAPIError turns a non-2xx response into an *APIError. A body that is
// not a wire.ErrorResponse (a proxy, a panic page) still yields one, with its
// text as the message and a code derived from the status.
func decodeAPIError(method, path string, resp *http.Response) *APIError {
	e := &APIError{Status: resp.StatusCode}
	body, err := readLimited(resp.Body, MaxErrorSize)
	var er wire.ErrorResponse
	if err == nil && json.Unmarshal(body, &er) == nil && er.Error != "" {
		e.Kind, e.Message = er.Code, er.Error
	} else {
		text := strings.TrimSpace(string(body))
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		if text == "" {
			text = http.StatusText(resp.StatusCode)
		}
		e.Message = fmt.Sprintf("%s %s: chatd answered HTTP %d: %s", method, path, resp.StatusCode, text)
	}
	if e.Kind == "" {
		e.Kind = wire.CodeForHTTPStatus(resp.StatusCode)
	}
	return e
}

// UnreachableError means nothing answered on the control socket: it does not
// exist, nobody listens on it, or the caller may not connect to it.
type UnreachableError struct {
	// Socket is the control socket path that was dialed.
	Socket string
	// Err is the dial error, e.g. wrapping syscall.ENOENT.
	Err error
}

// Error names the socket, the cause and the likely fix.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach chatd at %s: %v; %s", e.Socket, e.cause(), e.Hint())
}

// Unwrap returns the dial error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Hint says how to fix the problem, depending on the cause.
func (e *UnreachableError) Hint() string {
	if errors.Is(e.Err, syscall.EACCES) || errors.Is(e.Err, syscall.EPERM) {
		return fmt.Sprintf("join group %s (the socket's group) or run as the daemon's user", socketGroup(e.Socket))
	}
	return "is chatd running? start it with `chatd --name N` or `systemctl start chatd@N`"
}

// cause is the innermost errno when there is one: "no such file or
// directory" reads better than the full net.OpError text, which repeats the
// socket path.
func (e *UnreachableError) cause() error {
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		return errno
	}
	return e.Err
}

// dialSocket connects to the Unix socket at path within ctx. The causes that
// mean "nobody to talk to" become an *UnreachableError.
func dialSocket(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, classifyDialError(path, err)
	}
	return conn, nil
}

// classifyDialError wraps the dial errors that mean the daemon is not there
// (or not ours to use) in an *UnreachableError and passes others through.
func classifyDialError(path string, err error) error {
	for _, errno := range []syscall.Errno{
		syscall.ENOENT, syscall.ECONNREFUSED, syscall.EACCES, syscall.EPERM,
		syscall.ENOTDIR, syscall.ENOTSOCK,
	} {
		if errors.Is(err, errno) {
			return &UnreachableError{Socket: path, Err: err}
		}
	}
	return fmt.Errorf("dial %s: %w", path, err)
}

// socketGroup names the group that owns path, "chatd" when it cannot tell.
func socketGroup(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "chatd"
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "chatd"
	}
	if g, err := user.LookupGroupId(strconv.FormatUint(uint64(st.Gid), 10)); err == nil {
		return g.Name
	}
	return strconv.FormatUint(uint64(st.Gid), 10)
}
