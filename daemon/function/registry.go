// Package function holds the builtin functions a node runs for its peers:
// one small file per function, listed in Builtins.
package function

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"

	"chatd/wire"
)

// ErrUnknown is returned for a function name no registry holds.
var ErrUnknown = wire.NewError(wire.CodeNotFound, "unknown function")

// ErrBadArgs is returned when a function gets the wrong arguments.
var ErrBadArgs = wire.NewError(wire.CodeBadRequest, "bad arguments")

// MessageSink accepts received chat messages (the node's sink.Sink).
type MessageSink interface {
	Deliver(m wire.Message) error
}

// Env is what a running function may know and use.
type Env struct {
	// Node is the node running the function.
	Node wire.NodeName
	// Caller is the node that asked for it.
	Caller wire.NodeName
	// MsgID is the message id the caller gave (receive_message).
	MsgID string
	// Flags are the call's flags.
	Flags wire.CallFlags
	// Sink receives chat messages.
	Sink MessageSink
	// ResponderReply returns the text this node answers every message
	// with; "" means it is no responder.
	ResponderReply func() string
	// Call runs a function on another node and awaits its result.
	Call func(ctx context.Context, node wire.NodeName, c wire.Call) (string, error)
	// Print writes a line of output: to the caller for a spawned process,
	// into the result for a task.
	Print func(line string)
	// Receive waits for the next message to this process; nil when the
	// function runs without a mailbox.
	Receive func(ctx context.Context) (from wire.Pid, text string, err error)
	// SendPid sends text to the process to, from this process.
	SendPid func(ctx context.Context, to wire.Pid, text string) error
}

// Func is one builtin function.
type Func struct {
	Name    string // what call and spawn take
	Args    string // argument synopsis for help, e.g. "TEXT"
	Summary string // one line for `chatctl functions`
	MinArgs int    // fewest arguments
	MaxArgs int    // most arguments; -1 means no limit
	Mailbox bool   // needs a mailbox (Env.Receive) even when run as a task
	Run     func(ctx context.Context, env *Env, args []string) (string, error)
}

// CheckArgs reports an ErrBadArgs error naming the synopsis when args do
// not fit f.
func (f Func) CheckArgs(args []string) error {
	if len(args) < f.MinArgs || (f.MaxArgs >= 0 && len(args) > f.MaxArgs) {
		return fmt.Errorf("%w: %s takes %s, got %d argument(s)", ErrBadArgs, f.Name, synopsis(f), len(args))
	}
	return nil
}

func synopsis(f Func) string {
	if f.Args == "" {
		return "no arguments"
	}
	return f.Args
}

// Registry maps names to functions.
type Registry struct {
	funcs map[string]Func
}

// NewRegistry returns a registry of fs; a repeated name panics, as it is a
// programming error caught by the tests.
func NewRegistry(fs ...Func) *Registry {
	r := &Registry{funcs: make(map[string]Func, len(fs))}
	for _, f := range fs {
		if _, dup := r.funcs[f.Name]; dup {
			panic("function: duplicate name " + f.Name)
		}
		r.funcs[f.Name] = f
	}
	return r
}

// Builtins returns the registry of every builtin function. Adding one is a
// file with a constructor and a line here.
func Builtins() *Registry {
	return NewRegistry(
		echo(),
		sleep(),
		crash(),
		sayName(),
		receiveMessage(),
		reply(),
	)
}

// Lookup finds a function by name.
func (r *Registry) Lookup(name string) (Func, error) {
	f, ok := r.funcs[name]
	if !ok {
		return Func{}, fmt.Errorf("%w %q (chatctl functions lists them)", ErrUnknown, name)
	}
	return f, nil
}

// List describes every function, sorted by name.
func (r *Registry) List() []wire.FunctionInfo {
	out := make([]wire.FunctionInfo, 0, len(r.funcs))
	for _, f := range r.funcs {
		out = append(out, wire.FunctionInfo{Name: f.Name, Args: f.Args, Summary: f.Summary})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NewMessageID returns a fresh random message id (16 hex digits).
func NewMessageID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
