package function

import (
	"context"
	"fmt"
	"time"

	"chatd/wire"
)

// receiveMessage writes a chat message to the node's sink. On a responder
// node (the lesson's moebi) it then answers the sender with the configured
// reply, as a task on the sender's node, and returns only once that reply
// landed; a responder's reply is never answered in turn.
func receiveMessage() Func {
	return Func{
		Name: "receive_message", Args: "TEXT", Summary: "write TEXT to this node's message sink (the chat)",
		MinArgs: 1, MaxArgs: 1,
		Run: func(ctx context.Context, env *Env, args []string) (string, error) {
			id := env.MsgID
			if id == "" {
				id = NewMessageID()
			}
			m := wire.Message{ID: id, From: env.Caller.String(), To: env.Node.String(), Text: args[0], Time: time.Now()}
			if err := env.Sink.Deliver(m); err != nil {
				return "", fmt.Errorf("message sink: %w", err)
			}
			reply := env.ResponderReply()
			if reply == "" || env.Flags&wire.FlagResponderReply != 0 || env.Caller == env.Node {
				return "delivered", nil
			}
			c := wire.Call{Function: "receive_message", Args: []string{reply}, MsgID: NewMessageID(), Flags: wire.FlagResponderReply}
			if _, err := env.Call(ctx, env.Caller, c); err != nil {
				return "", fmt.Errorf("delivered, but the reply to %s failed: %w", env.Caller, err)
			}
			return "delivered, replied " + reply, nil
		},
	}
}
