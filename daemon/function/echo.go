package function

import (
	"context"
	"strings"
)

// echo returns its arguments joined by spaces; it does no I/O, which makes
// it the benchmark's no-op.
func echo() Func {
	return Func{
		Name: "echo", Args: "[ARGS...]", Summary: "return the arguments, joined by spaces",
		MinArgs: 0, MaxArgs: -1,
		Run: func(_ context.Context, _ *Env, args []string) (string, error) {
			return strings.Join(args, " "), nil
		},
	}
}
