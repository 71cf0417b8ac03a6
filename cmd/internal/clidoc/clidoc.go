// Package clidoc generates the documentation an installed CLI ships with
// from its urfave/cli definition: a man page and bash, zsh and fish
// completions, through a hidden "docs" command (make install uses it).
package clidoc

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// Command returns the hidden `docs man|bash|zsh|fish` command of app.
// app must have EnableBashCompletion set for bash and zsh completion.
func Command() *cli.Command {
	return &cli.Command{
		Name:      "docs",
		Hidden:    true,
		Usage:     "print the man page or a shell completion script",
		ArgsUsage: "man|bash|zsh|fish",
		Action: func(c *cli.Context) error {
			out, err := Generate(c.App, c.Args().First())
			if err != nil {
				return cli.Exit(err.Error(), 2)
			}
			_, err = fmt.Fprint(c.App.Writer, out)
			return err
		},
	}
}

// Generate returns the man page (section 1, or 8 for a daemon whose name
// ends in "d") or a completion script for app.
func Generate(app *cli.App, kind string) (string, error) {
	switch kind {
	case "man":
		section := 1
		if strings.HasSuffix(app.Name, "d") {
			section = 8
		}
		return app.ToManWithSection(section)
	case "fish":
		return app.ToFishCompletion()
	case "bash":
		return strings.ReplaceAll(bashScript, "PROGNAME", app.Name), nil
	case "zsh":
		return strings.ReplaceAll(zshScript, "PROGNAME", app.Name), nil
	}
	return "", fmt.Errorf("docs: want man, bash, zsh or fish, not %q", kind)
}

// bashScript is urfave/cli's bash completion, bound to one program.
const bashScript = `# bash completion for PROGNAME, generated from its CLI definition
_PROGNAME_complete() {
  local cur words
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  words=("${COMP_WORDS[@]:0:$COMP_CWORD}")
  local opts
  if [[ "$cur" == "-"* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
}
complete -o bashdefault -o default -F _PROGNAME_complete PROGNAME
`

// zshScript is urfave/cli's zsh completion, bound to one program.
const zshScript = `#compdef PROGNAME
# zsh completion for PROGNAME, generated from its CLI definition
_PROGNAME() {
  local -a opts
  local cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _PROGNAME PROGNAME
`
