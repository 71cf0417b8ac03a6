package clidoc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"chatd/cmd/internal/cmdline"
)

// Values returns the candidates the program knows for a value: of flag
// (by its first name) when flag is set, else of the arg'th argument (from
// 0) of cmd. It may return nil: then the shells offer file names.
type Values func(cmd *cli.Command, flag string, arg int) []string

// CompleteCommand returns the hidden `__complete WORDS...` command of app
// that the completion scripts call: it prints the candidates for the last
// word, one a line (see Complete).
func CompleteCommand(values Values) *cli.Command {
	return &cli.Command{
		Name:            "__complete",
		Hidden:          true,
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			for _, w := range Complete(c.App, c.Args().Slice(), values) {
				if _, err := fmt.Fprintln(c.App.Writer, w); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// Complete returns the candidates for the last of words, the words after
// the program's name: a flag's value (from values), a flag of the command
// (or a global one) when the word starts with '-', a command before there
// is one, else an argument of the command (from values). Only candidates
// that start with the word are returned.
func Complete(app *cli.App, words []string, values Values) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	current, before := words[len(words)-1], words[:len(words)-1]
	global := cmdline.AppFlags(app)
	var cmd *cli.Command
	args := 0
	for i := 0; i < len(before); i++ {
		w := before[i]
		flags := global
		if cmd != nil {
			flags = append(cmdline.CommandFlags(cmd), global...)
		}
		if f := cmdline.Lookup(flags, w); f != nil {
			if cmdline.TakesValue(f) && !strings.Contains(w, "=") {
				if i == len(before)-1 { // the current word is its value
					return withPrefix(values(cmd, f.Names()[0], 0), current)
				}
				i++
			}
			continue
		}
		switch {
		case strings.HasPrefix(w, "-"):
		case cmd == nil:
			if cmd = app.Command(w); cmd == nil {
				return nil // an unknown command: nothing to offer
			}
		default:
			args++
		}
	}
	switch {
	case strings.HasPrefix(current, "-"):
		flags := global
		if cmd != nil {
			flags = append(cmdline.CommandFlags(cmd), global...)
		}
		return withPrefix(flagWords(flags), current)
	case cmd == nil:
		var names []string
		for _, c := range app.Commands {
			if !c.Hidden {
				names = append(names, c.Name)
			}
		}
		return withPrefix(names, current)
	}
	return withPrefix(values(cmd, "", args), current)
}

// flagWords is how flags are typed: --name, or -n for one letter.
func flagWords(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	return out
}

// withPrefix returns the words that start with prefix, sorted.
func withPrefix(words []string, prefix string) []string {
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, prefix) {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
