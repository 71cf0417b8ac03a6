package calls

import (
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/wire"
)

func TestCallErrorText(t *testing.T) {
	kate := wire.NodeName{Name: "kate", Host: "localhost"}
	for _, tc := range []struct {
		name string
		err  *peer.CallError
		want string
	}{
		{"failed names the function", &peer.CallError{Node: kate, Function: "fail", Kind: wire.CodeTaskFailed, Message: "bad thing"}, "kate@localhost: fail: bad thing"},
		{"timeout says it itself", timeoutError(kate, "sleep", 1500*time.Microsecond), "kate@localhost: sleep timed out after 2ms (the task was cancelled)"},
		{"overloaded", &peer.CallError{Node: kate, Function: "echo", Kind: wire.CodeOverloaded, Message: "overloaded: 10 tasks running"}, "kate@localhost: overloaded: 10 tasks running"},
		{"unknown", &peer.CallError{Node: kate, Function: "nope", Kind: wire.CodeNotFound, Message: `unknown function "nope"`}, `kate@localhost: unknown function "nope"`},
		{"an empty value says what the kind means", resultError(kate, "x", wire.Result{Code: wire.CodeUnavailable}), "kate@localhost: x: the node is shutting down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}
