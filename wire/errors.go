package wire

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// ErrorCode is a failure kind: the one vocabulary chatd describes every
// failure in. The daemon's errors carry their kind (see CodeOf), the
// control API answers it as {"error", "code"} with the kind's HTTP status,
// a calls stream's Result frame carries it as its status byte, an Error
// frame as its code, and chatctl picks its exit status from it. Clients
// branch on kinds, never on error text.
type ErrorCode string

// The failure kinds. Their meanings, status bytes and HTTP statuses are in
// the failures table below.
const (
	CodeBadRequest     ErrorCode = "bad_request"
	CodeNotFound       ErrorCode = "not_found"
	CodeNoConnection   ErrorCode = "no_connection"
	CodeCookieMismatch ErrorCode = "cookie_mismatch"
	CodeTimeout        ErrorCode = "timeout"
	CodeTaskFailed     ErrorCode = "task_failed"
	CodeNoProcess      ErrorCode = "no_process"
	CodeMailboxFull    ErrorCode = "mailbox_full"
	CodeOverloaded     ErrorCode = "overloaded"
	CodeForbidden      ErrorCode = "forbidden"
	CodeUnavailable    ErrorCode = "unavailable"
	CodeInternal       ErrorCode = "internal"
)

// failure is one failure kind: its code, its status byte in a Result frame
// (0 is success), a status byte of the first release it is also read from
// (0: none), the HTTP status the control API answers it with, another HTTP
// status that means it when a response names no kind (0: none), and what
// it means.
type failure struct {
	code      ErrorCode
	status    byte
	alias     byte
	http      int
	aliasHTTP int
	meaning   string
}

// failures is the closed set of failure kinds. Adding one is a line here
// plus the code that returns it. Where kinds share an HTTP status, the
// first is what that status means without a body (CodeForHTTPStatus).
var failures = [...]failure{
	{CodeBadRequest, 7, 0, http.StatusBadRequest, 0, "the request is malformed (bad arguments, name, pid or body); fix it and retry"},
	{CodeNotFound, 5, 0, http.StatusNotFound, 0, "no such endpoint, function or task"},
	{CodeNoConnection, 11, 0, http.StatusBadGateway, 0, "the peer node cannot be reached, or its link went down"},
	{CodeCookieMismatch, 12, 0, http.StatusBadGateway, 0, "the peer refused our cookie proof, or we refused its"},
	{CodeTimeout, 3, 6, http.StatusGatewayTimeout, http.StatusRequestTimeout, "the operation did not finish in time; a remote task was cancelled"},
	{CodeTaskFailed, 1, 2, http.StatusBadGateway, 0, "the function returned an error or panicked"},
	{CodeNoProcess, 9, 0, http.StatusNotFound, 0, "no such process: it ended, or belonged to an earlier start of its node"},
	{CodeUnavailable, 8, 0, http.StatusServiceUnavailable, 0, "the node is shutting down"},
	{CodeMailboxFull, 10, 0, http.StatusServiceUnavailable, 0, "the process's mailbox is at processes.mailbox"},
	{CodeOverloaded, 4, 0, http.StatusServiceUnavailable, http.StatusTooManyRequests, "a bound was reached (tasks, processes, streams); retry later"},
	{CodeForbidden, 13, 0, http.StatusForbidden, http.StatusUnauthorized, "the caller may not use this control socket"},
	{CodeInternal, 14, 0, http.StatusInternalServerError, 0, "a bug; the daemon's log says more"},
}

// lookup returns c's row of the table.
func (c ErrorCode) lookup() (failure, bool) {
	for _, f := range failures {
		if f.code == c {
			return f, true
		}
	}
	return failure{}, false
}

// Known reports whether c is one of the failure kinds.
func (c ErrorCode) Known() bool {
	_, ok := c.lookup()
	return ok
}

// Meaning says what the kind means, for documentation and help.
func (c ErrorCode) Meaning() string {
	f, _ := c.lookup()
	return f.meaning
}

// HTTPStatus is the status the control API answers the kind with; an
// unknown code is an internal error.
func (c ErrorCode) HTTPStatus() int {
	if f, ok := c.lookup(); ok {
		return f.http
	}
	return http.StatusInternalServerError
}

// CodeForHTTPStatus is the kind an HTTP error status means when the body
// names none (a proxy's answer, say): the first kind answered with it,
// else bad_request for another 4xx and internal for the rest.
func CodeForHTTPStatus(status int) ErrorCode {
	for _, f := range failures {
		if f.http == status || f.aliasHTTP == status {
			return f.code
		}
	}
	if status >= 400 && status < 500 {
		return CodeBadRequest
	}
	return CodeInternal
}

// Codes lists every failure kind, in the table's order.
func Codes() []ErrorCode {
	out := make([]ErrorCode, len(failures))
	for i, f := range failures {
		out[i] = f.code
	}
	return out
}

// resultStatus is the kind's status byte in a Result frame; "" is success.
func (c ErrorCode) resultStatus() byte {
	if c == "" {
		return 0
	}
	if f, ok := c.lookup(); ok {
		return f.status
	}
	return failures[len(failures)-1].status // internal
}

// codeOfStatus is the kind a Result frame's status byte stands for ("" for
// success); an unknown status is an internal error.
func codeOfStatus(s byte) ErrorCode {
	if s == 0 {
		return ""
	}
	for _, f := range failures {
		if f.status == s || f.alias == s {
			return f.code
		}
	}
	return CodeInternal
}

// Coded is implemented by every error that knows its failure kind.
type Coded interface {
	error
	// Code returns the failure kind.
	Code() ErrorCode
}

// CodeOf returns the failure kind of err: that of the outermost error in
// its chain that knows its kind, CodeTimeout for a context deadline, and
// CodeInternal otherwise. It returns "" for nil.
func CodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	if c, ok := errors.AsType[Coded](err); ok {
		return c.Code()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return CodeTimeout
	}
	return CodeInternal
}

// Error is an error of a known failure kind.
type Error struct {
	// Kind is its failure kind.
	Kind ErrorCode
	// Err is the error itself, naming what failed.
	Err error
}

// Error returns the wrapped error's text.
func (e *Error) Error() string { return e.Err.Error() }

// Code returns the failure kind.
func (e *Error) Code() ErrorCode { return e.Kind }

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// NewError returns an error of kind code with the given text; sentinels
// callers test with errors.Is are made with it.
func NewError(code ErrorCode, text string) error {
	return &Error{Kind: code, Err: errors.New(text)}
}

// Errorf formats an error of kind code; %w wraps as with fmt.Errorf, but
// the kind is code whatever the wrapped errors say.
func Errorf(code ErrorCode, format string, args ...any) error {
	return &Error{Kind: code, Err: fmt.Errorf(format, args...)}
}

// WithCode gives err the kind code (nil stays nil).
func WithCode(code ErrorCode, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: code, Err: err}
}
