// Package cmdline takes a urfave/cli command line apart before urfave/cli
// parses it, so that the programs accept what users type and say what is
// wrong in their own terms:
//
//   - the program's global flags work after the command too
//     (`chatctl status --json`, `chatctl ping kate --json`), as in kubectl;
//   - a command's own flags work after its arguments too
//     (`chatctl ping kate --help`);
//   - a command that ends in free text (chatctl send TARGET TEXT...) refuses
//     a word of that text that is one of the program's flags, and says how
//     to send it as text: after `--`, every word is an argument;
//   - an unknown flag, a flag without its value and a bad value are errors
//     naming the flag, what it wants and, for a typo, the flag meant.
//
// Parse returns the command line rewritten in the order urfave/cli parses
// (global flags, the command, its flags, `--`, its arguments), so urfave/cli
// never sees a flag it cannot parse.
package cmdline

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// Error is a command line Parse refuses. Command is the command it is about
// ("" for the global flags).
type Error struct {
	Command string
	Msg     string
}

func (e *Error) Error() string {
	if e.Command == "" {
		return e.Msg
	}
	return e.Command + ": " + e.Msg
}

// Line is a parsed command line.
type Line struct {
	// Args is the command line for urfave/cli's App.Run, program name first.
	Args []string
	// Command is the command's name as typed; "" when there is none, or it
	// is not one of the app's (then Args is the input unchanged after the
	// global flags).
	Command string
	// Global holds the global flags given, by their first name, with their
	// values ("true" for a bare bool flag).
	Global map[string]string
}

// TextCommands says which commands end in free text: a command's name maps
// to the number of arguments before its text (send TARGET TEXT...: 1).
type TextCommands map[string]int

// Parse parses args (args[0] is the program) for app. Commands in passThrough
// (and the help command) get their words unchanged.
func Parse(app *cli.App, args []string, text TextCommands, passThrough ...string) (Line, error) {
	line := Line{Global: map[string]string{}}
	if len(args) == 0 {
		return line, nil
	}
	global := AppFlags(app)
	out := []string{args[0]}
	rest := args[1:]
	i := 0
	for i < len(rest) && isFlag(rest[i]) && rest[i] != "--" {
		words, err := take(global, "", rest, i, line.Global)
		if err != nil {
			return line, err
		}
		out = append(out, words...)
		i += len(words)
	}
	if i == len(rest) {
		line.Args = out
		return line, nil
	}
	cmd := app.Command(rest[i])
	if cmd == nil || cmd.Name == "help" || slices.Contains(passThrough, cmd.Name) {
		if cmd != nil {
			line.Command = rest[i]
		}
		line.Args = append(out, rest[i:]...)
		return line, nil
	}
	line.Command = rest[i]
	p := parser{prog: app.Name, globals: rest[:i], cmd: cmd, global: global, text: text, seen: line.Global}
	own, hoisted, positional, err := p.command(rest[i+1:])
	if err != nil {
		return line, err
	}
	out = append(out, hoisted...)
	out = append(out, rest[i])
	out = append(out, own...)
	if len(positional) > 0 && !askedHelp(own) {
		out = append(out, "--")
		out = append(out, positional...)
	}
	line.Args = out
	return line, nil
}

// parser holds what parsing a command's words needs.
type parser struct {
	prog    string   // the program's name
	globals []string // the words between the program and the command
	cmd     *cli.Command
	global  []cli.Flag // the program's flags
	text    TextCommands
	seen    map[string]string // the global flags given, see Line.Global
}

// command sorts the words after cmd's name into its own flags, global
// flags (hoisted, to go before the command; also recorded in seen) and its
// arguments. A flag the command and the app both have is the command's.
func (p parser) command(words []string) (own, hoisted, positional []string, err error) {
	cmd, global, seen := p.cmd, p.global, p.seen
	local := CommandFlags(cmd)
	before, hasText := p.text[cmd.Name]
	textStart := -1 // the index in words where the text begins
	for i := 0; i < len(words); {
		w := words[i]
		switch {
		case w == "--":
			return own, hoisted, append(positional, words[i+1:]...), nil
		case !isFlag(w):
			if hasText && len(positional) == before && textStart < 0 {
				textStart = i
			}
			positional = append(positional, w)
			i++
			continue
		}
		inText := hasText && len(positional) >= before
		if inText && textStart < 0 {
			textStart = i
		}
		if f := Lookup(local, w); f != nil {
			if inText && !isHelp(f) {
				return nil, nil, nil, flagInText(p.prog, p.globals, cmd, words, i, textStart, before)
			}
			taken, err := take(local, cmd.Name, words, i, nil)
			if err != nil {
				return nil, nil, nil, err
			}
			own = append(own, taken...)
			i += len(taken)
			continue
		}
		if f := Lookup(global, w); f != nil {
			if inText {
				return nil, nil, nil, flagInText(p.prog, p.globals, cmd, words, i, textStart, before)
			}
			taken, err := take(global, "", words, i, seen)
			if err != nil {
				return nil, nil, nil, err
			}
			hoisted = append(hoisted, taken...)
			i += len(taken)
			continue
		}
		if inText {
			positional = append(positional, w) // text that happens to start with '-'
			i++
			continue
		}
		return nil, nil, nil, unknownFlag(cmd.Name, w, append(local, global...))
	}
	return own, hoisted, positional, nil
}

// take reads the flag at words[i] (and its value) among flags, checks the
// value, and returns the words it spans. seen, if not nil, records it.
func take(flags []cli.Flag, command string, words []string, i int, seen map[string]string) ([]string, error) {
	w := words[i]
	f := Lookup(flags, w)
	if f == nil {
		return nil, unknownFlag(command, w, flags)
	}
	typed, value, hasValue := strings.Cut(w, "=")
	taken := []string{w}
	if TakesValue(f) && !hasValue {
		if i+1 >= len(words) {
			return nil, &Error{Command: command, Msg: fmt.Sprintf("%s needs a value: %s", typed, wants(f))}
		}
		value, hasValue = words[i+1], true
		taken = append(taken, value)
	}
	if !hasValue {
		value = "true"
	}
	if err := check(f, typed, value); err != nil {
		return nil, &Error{Command: command, Msg: err.Error()}
	}
	if seen != nil {
		seen[f.Names()[0]] = value
	}
	return taken, nil
}

// check reports whether value is one flag f, typed as typed, can take.
func check(f cli.Flag, typed, value string) error {
	var err error
	switch f.(type) {
	case *cli.DurationFlag:
		_, err = time.ParseDuration(value)
	case *cli.IntFlag:
		_, err = strconv.ParseInt(value, 0, strconv.IntSize)
	case *cli.BoolFlag:
		_, err = strconv.ParseBool(value)
	}
	if err != nil {
		return fmt.Errorf("%s %q: not %s", typed, value, wants(f))
	}
	return nil
}

// wants says what kind of value f takes, for messages.
func wants(f cli.Flag) string {
	switch f.(type) {
	case *cli.DurationFlag:
		return "a duration (a number and a unit: 500ms, 2s, 1m)"
	case *cli.IntFlag:
		return "a whole number"
	case *cli.BoolFlag:
		return "true or false"
	}
	if df, ok := f.(cli.DocGenerationFlag); ok {
		if u := df.GetUsage(); u != "" {
			return u
		}
	}
	return "a value"
}

// flagInText is the error for words[i], one of the program's flags, among
// the words of cmd's free text, which starts at words[textStart] after
// before arguments; the command line was prog, then the words before
// cmd's name (globals), then cmd's name and words.
func flagInText(prog string, globals []string, cmd *cli.Command, words []string, i, textStart, before int) error {
	fixed := append(append(append([]string{prog}, globals...), cmd.Name), words[:textStart]...)
	literal := append(append(fixed, "--"), words[textStart:]...)
	return &Error{Command: cmd.Name, Msg: fmt.Sprintf(
		"%q is a flag of %s, but it is in the %s; put flags before %s, or write -- before the %s to take it as it is: %s",
		words[i], prog, textName(cmd, before), firstArg(cmd), strings.ToLower(textName(cmd, before)), shellJoin(literal))}
}

// textName is the name of cmd's free text in its usage ("TEXT"), from
// its ArgsUsage, or "text".
func textName(cmd *cli.Command, before int) string {
	fields := strings.Fields(cmd.ArgsUsage)
	if before < len(fields) {
		return strings.TrimSuffix(strings.Trim(fields[before], "[]"), "...")
	}
	return "text"
}

// firstArg is the name of cmd's first argument ("TARGET"), or "the arguments".
func firstArg(cmd *cli.Command) string {
	if fields := strings.Fields(cmd.ArgsUsage); len(fields) > 0 {
		return strings.Trim(fields[0], "[]")
	}
	return "the arguments"
}

// shellJoin joins words into a command line a shell reads back as words,
// single-quoting those that need it.
func shellJoin(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/@=+%") == "" {
			quoted[i] = w
			continue
		}
		quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// unknownFlag is the error for word, a flag none of flags is, with the
// closest name when one is close.
func unknownFlag(command, word string, flags []cli.Flag) error {
	name, _, _ := strings.Cut(strings.TrimLeft(word, "-"), "=")
	msg := fmt.Sprintf("unknown flag %s", word)
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	if s := Suggest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean --%s?)", s) // Suggest never picks a one-letter name
	}
	return &Error{Command: command, Msg: msg}
}

// isFlag reports whether w is shaped like a flag: "-x", "--x", "--".
func isFlag(w string) bool { return len(w) > 1 && w[0] == '-' }

// Lookup returns the flag among flags that w names ("-n", "--follow",
// "--node=alex"), or nil.
func Lookup(flags []cli.Flag, w string) cli.Flag {
	if !isFlag(w) || w == "--" {
		return nil
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(w, "-"), "-"), "=")
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

// TakesValue reports whether f needs a value ("--node alex").
func TakesValue(f cli.Flag) bool {
	if df, ok := f.(cli.DocGenerationFlag); ok {
		return df.TakesValue()
	}
	return false
}

// askedHelp reports whether words hold the help flag (then urfave/cli
// prints the command's help, and arguments after it would be read as a
// help topic).
func askedHelp(words []string) bool {
	for _, w := range words {
		if f := Lookup([]cli.Flag{cli.HelpFlag}, w); f != nil {
			return true
		}
	}
	return false
}

// isHelp reports whether f is the help flag.
func isHelp(f cli.Flag) bool { return slices.Contains(f.Names(), "help") }

// AppFlags is app's flags with the ones urfave/cli adds itself (help,
// version), which are in app.Flags only once it ran.
func AppFlags(app *cli.App) []cli.Flag {
	flags := append([]cli.Flag{}, app.Flags...)
	if !app.HideHelp {
		flags = withFlag(flags, cli.HelpFlag)
	}
	if !app.HideVersion && app.Version != "" {
		flags = withFlag(flags, cli.VersionFlag)
	}
	return flags
}

// CommandFlags is cmd's flags with the help flag urfave/cli adds.
func CommandFlags(cmd *cli.Command) []cli.Flag {
	flags := append([]cli.Flag{}, cmd.Flags...)
	if !cmd.HideHelp {
		flags = withFlag(flags, cli.HelpFlag)
	}
	return flags
}

// withFlag returns flags with f added unless a flag of its name is there.
func withFlag(flags []cli.Flag, f cli.Flag) []cli.Flag {
	for _, g := range flags {
		if slices.Contains(g.Names(), f.Names()[0]) {
			return flags
		}
	}
	return append(flags, f)
}
