package clidoc

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestGenerate(t *testing.T) {
	app := &cli.App{Name: "chatd", Usage: "run a node", EnableBashCompletion: true,
		Commands: []*cli.Command{{Name: "check", Usage: "validate"}}}
	cases := []struct{ kind, want string }{
		{"man", ".TH chatd 8"},
		{"fish", "complete -c chatd"},
		{"bash", "complete -o bashdefault -o default -F _chatd_complete chatd"},
		{"zsh", "compdef _chatd chatd"},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			out, err := Generate(app, tc.kind)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Fatalf("Generate(%s) = %q, %v; want it to contain %q", tc.kind, out, err, tc.want)
			}
		})
	}
	if _, err := Generate(app, "tcsh"); err == nil {
		t.Fatal("an unknown kind was accepted")
	}
}
