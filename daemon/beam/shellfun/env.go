package shellfun

import (
	"context"

	"chatd/wire/etf"
)

// Env is the process a fun runs in, provided by the caller (the spawn
// handler of the Erlang distribution link). Run calls it from its own
// goroutine only, never concurrently.
type Env interface {
	// Self returns the pid of the process running the fun: erlang:self/0.
	Self() etf.Pid
	// Node returns the name of the node running the fun: erlang:node/0.
	Node() etf.Atom
	// Puts writes line, IO.puts's text with its newline, to the group
	// leader of the process (on the BEAM caller, which is where the lesson
	// wants the output). It returns once the group leader has answered.
	Puts(ctx context.Context, line string) error
	// Send sends msg to to, which is a pid, a registered name (an atom),
	// a {Name, Node} tuple or an alias reference: erlang:send/2. As on a
	// BEAM, a message to a process that is gone is dropped, not an error.
	Send(ctx context.Context, to etf.Term, msg etf.Term) error
	// Receive removes and returns the oldest message of the process's
	// mailbox, waiting until one arrives or ctx ends. A message already
	// waiting is returned even when ctx has ended, so that `after 0` sees
	// it. Run keeps the messages a selective receive passes over, so the
	// mailbox itself stays a plain queue.
	Receive(ctx context.Context) (etf.Term, error)
}
