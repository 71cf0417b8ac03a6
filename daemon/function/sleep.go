package function

import (
	"context"
	"fmt"
	"time"
)

// MaxSleep bounds the sleep function.
const MaxSleep = time.Hour

// sleep waits for a duration, or until its task is cancelled.
func sleep() Func {
	return Func{
		Name: "sleep", Args: "DURATION", Summary: "wait for DURATION (like 3s), then return",
		MinArgs: 1, MaxArgs: 1,
		Run: func(ctx context.Context, _ *Env, args []string) (string, error) {
			d, err := time.ParseDuration(args[0])
			if err != nil || d < 0 || d > MaxSleep {
				return "", fmt.Errorf("%w: sleep takes a duration between 0s and %s, like 3s, got %q", ErrBadArgs, MaxSleep, args[0])
			}
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return "slept " + d.String(), nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		},
	}
}
