package function

import "context"

// sayName introduces the node, as the lesson's Kate.say_name does: as a
// spawned process the line goes to the caller's terminal, as a task it is
// the result.
func sayName() Func {
	return Func{
		Name: "say_name", Summary: "print \"Hi, my name is <node name>\"",
		MinArgs: 0, MaxArgs: 0,
		Run: func(_ context.Context, env *Env, _ []string) (string, error) {
			env.Print("Hi, my name is " + env.Node.Name)
			return "", nil
		},
	}
}
