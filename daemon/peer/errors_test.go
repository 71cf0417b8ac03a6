package peer

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"chatd/wire"
)

// TestKinds checks the failure kind every error of the seam carries.
func TestKinds(t *testing.T) {
	kate := wire.NodeName{Name: "kate", Host: "localhost"}
	callErr := func(k wire.ErrorCode) error {
		return &CallError{Node: kate, Function: "echo", Kind: k, Message: string(k)}
	}
	for _, tc := range []struct {
		name string
		err  error
		want wire.ErrorCode
	}{
		{"link refused", &ConnectError{Node: kate, Err: ErrRefused}, wire.CodeNoConnection},
		{"not registered", &ConnectError{Node: kate, Err: ErrNotRegistered}, wire.CodeNoConnection},
		{"link down", &ConnectError{Node: kate, Err: ErrLinkDown}, wire.CodeNoConnection},
		{"dial timed out is no connection", &ConnectError{Node: kate, Err: fmt.Errorf("dial: %w", ErrTimeout)}, wire.CodeNoConnection},
		{"cookie mismatch", &ConnectError{Node: kate, Err: fmt.Errorf("refused by peer: %w", ErrCookieMismatch)}, wire.CodeCookieMismatch},
		{"this node shutting down", &ConnectError{Node: kate, Err: ErrShutdown}, wire.CodeUnavailable},
		{"bare shutdown", ErrShutdown, wire.CodeUnavailable},
		{"deadline exceeded", fmt.Errorf("wait: %w", context.DeadlineExceeded), wire.CodeTimeout},
		{"call timeout", callErr(wire.CodeTimeout), wire.CodeTimeout},
		{"call overloaded", callErr(wire.CodeOverloaded), wire.CodeOverloaded},
		{"unknown function", callErr(wire.CodeNotFound), wire.CodeNotFound},
		{"call bad request", callErr(wire.CodeBadRequest), wire.CodeBadRequest},
		{"call failed", callErr(wire.CodeTaskFailed), wire.CodeTaskFailed},
		{"wrapped call error", fmt.Errorf("send: %w", callErr(wire.CodeOverloaded)), wire.CodeOverloaded},
		{"bad name", fmt.Errorf("parse: %w", wire.ErrBadName), wire.CodeBadRequest},
		{"anything else", errors.New("something broke"), wire.CodeInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := wire.CodeOf(tc.err); got != tc.want {
				t.Fatalf("CodeOf(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestConnectErrorText(t *testing.T) {
	err := &ConnectError{Node: wire.NodeName{Name: "moebi", Host: "localhost"}, Err: fmt.Errorf("%w at 127.0.0.1:4369", ErrNotRegistered)}
	if got, want := err.Error(), "no connection to moebi@localhost: not registered with the port mapper at 127.0.0.1:4369"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrNotRegistered) {
		t.Fatal("ConnectError does not wrap its reason")
	}
}

func TestCallFailedAndDescribe(t *testing.T) {
	kate := wire.NodeName{Name: "kate", Host: "localhost"}
	cause := wire.Errorf(wire.CodeTaskFailed, "reply failed: %w", &ConnectError{Node: kate, Err: ErrLinkDown})
	ce := CallFailed(kate, "receive_message", cause)
	if ce.Kind != wire.CodeTaskFailed || ce.Message != cause.Error() || !errors.Is(ce, ErrLinkDown) {
		t.Fatalf("CallFailed = %+v", ce)
	}
	if again := CallFailed(kate, "x", ce); again != ce {
		t.Fatal("CallFailed wraps a CallError again")
	}
	code, msg := Describe(fmt.Errorf("start: %w", ce))
	if code != wire.CodeTaskFailed || msg != cause.Error() {
		t.Fatalf("Describe = %q, %q: want the kind and the message without the node", code, msg)
	}
	code, msg = Describe(ErrShutdown)
	if code != wire.CodeUnavailable || msg != "node is shutting down" {
		t.Fatalf("Describe(ErrShutdown) = %q, %q", code, msg)
	}
}
