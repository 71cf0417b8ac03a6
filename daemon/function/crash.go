package function

import "context"

// crash panics: its task fails with the panic message and the node keeps
// running, as a crashing Elixir task does.
func crash() Func {
	return Func{
		Name: "crash", Summary: "panic (the task fails; the node keeps running)",
		MinArgs: 0, MaxArgs: 0,
		Run: func(_ context.Context, env *Env, _ []string) (string, error) {
			panic("crash requested by " + env.Caller.String())
		},
	}
}
