package function

import (
	"context"
	"errors"
	"fmt"
)

// reply waits for one message and answers its sender with TEXT, as the
// lesson's process that waits for {:hi, pid} and sends :sup? back.
func reply() Func {
	return Func{
		Name: "reply", Args: "TEXT", Summary: "wait for one message, then send TEXT back to its sender",
		MinArgs: 1, MaxArgs: 1, Mailbox: true,
		Run: func(ctx context.Context, env *Env, args []string) (string, error) {
			if env.Receive == nil {
				return "", errors.New("reply needs a mailbox: start it with chatctl spawn")
			}
			from, _, err := env.Receive(ctx)
			if err != nil {
				return "", err
			}
			if err := env.SendPid(ctx, from, args[0]); err != nil {
				return "", fmt.Errorf("reply to %s: %w", from, err)
			}
			return fmt.Sprintf("sent %q to %s", args[0], from), nil
		},
	}
}
