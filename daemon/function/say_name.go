package function

import "context"

// sayName introduces the node, as the lesson's Kate.say_name does.
func sayName() Func {
	return Func{
		Name: "say_name", Summary: "return \"Hi, my name is <node name>\"",
		MinArgs: 0, MaxArgs: 0,
		Run: func(_ context.Context, env *Env, _ []string) (string, error) {
			return "Hi, my name is " + env.Node.Name, nil
		},
	}
}
