// Package clidoc generates the documentation an installed CLI ships with
// from its urfave/cli definition, the same source as its --help: a man page
// and bash, zsh and fish completions, through a "docs" command (make
// install uses it), and the completions' answers through a hidden
// "__complete" command the scripts call.
package clidoc

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// Page is what a man page holds beyond the app's commands and flags.
type Page struct {
	// Program is the app's name, for the docs command's help.
	Program string
	// Section is the manual section: 1 for a user command, 8 for a daemon.
	Section int
	// Sections follow COMMANDS, in order (FILES, ENVIRONMENT, SIGNALS,
	// EXIT STATUS, ...).
	Sections []Section
}

// Section is one section of a man page. Body is text as in --help:
// paragraphs separated by blank lines, and lines indented by three spaces
// or more printed as they are (examples, tables).
type Section struct {
	Title, Body string
}

// Command returns the `docs man|bash|zsh|fish` command of app, page
// being its man page's other sections.
func Command(page Page) *cli.Command {
	return &cli.Command{
		Name:      "docs",
		Usage:     "print the man page (man) or a shell completion script (bash, zsh, fish)",
		ArgsUsage: "man|bash|zsh|fish",
		Description: strings.ReplaceAll("Prints what make install and the Debian package install: the manual page, in\n"+
			"roff, or the completion script of a shell, which completes commands, flags and,\n"+
			"where the program knows them, values such as running node names.\n\n"+
			"Example:\n   $ PROG docs bash | tail -1\n   complete -o default -F _PROG_complete PROG\n"+
			"   $ source <(PROG docs bash)\n"+
			"   $ PROG docs man > /tmp/PROG.1 && man -l /tmp/PROG.1", "PROG", page.Program),
		Action: func(c *cli.Context) error {
			out, err := Generate(c.App, page, c.Args().First())
			if err != nil {
				return cli.Exit(err.Error(), 2)
			}
			_, err = fmt.Fprint(c.App.Writer, out)
			return err
		},
	}
}

// Generate returns the man page or the completion script (kind bash, zsh
// or fish) of app.
func Generate(app *cli.App, page Page, kind string) (string, error) {
	switch kind {
	case "man":
		return Man(app, page), nil
	case "fish":
		return strings.ReplaceAll(fishScript, "PROGNAME", app.Name), nil
	case "bash":
		return strings.ReplaceAll(bashScript, "PROGNAME", app.Name), nil
	case "zsh":
		return strings.ReplaceAll(zshScript, "PROGNAME", app.Name), nil
	}
	return "", fmt.Errorf("docs: want man, bash, zsh or fish, not %q", kind)
}

// The scripts pass the words after the program, the one being completed
// last (empty after a space), to `PROGNAME __complete`, and offer the lines
// it prints; with none, bash and zsh fall back to file names.

const bashScript = `# bash completion for PROGNAME, generated from its CLI definition (PROGNAME docs bash)
_PROGNAME_complete() {
  local IFS=$'\n'
  COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
}
complete -o default -F _PROGNAME_complete PROGNAME
`

const zshScript = `#compdef PROGNAME
# zsh completion for PROGNAME, generated from its CLI definition (PROGNAME docs zsh)
_PROGNAME() {
  local -a opts
  opts=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ -n "${opts[1]}" ]]; then
    compadd -a opts
  else
    _files
  fi
}
compdef _PROGNAME PROGNAME
`

const fishScript = `# fish completion for PROGNAME, generated from its CLI definition (PROGNAME docs fish)
complete -c PROGNAME -f -a '(PROGNAME __complete (commandline -opc)[2..-1] "$(commandline -ct)")'
`
