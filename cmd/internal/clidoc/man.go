package clidoc

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"chatd/cmd/internal/cmdline"
)

// Man returns app's man page in roff (man(7)): NAME, SYNOPSIS (the first
// paragraph of UsageText), DESCRIPTION (the rest of it and Description),
// OPTIONS, COMMANDS with each visible command's full help and flags, then
// page's sections.
func Man(app *cli.App, page Page) string {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH %s %d \"\" \"%s %s\"\n", strings.ToUpper(app.Name), page.Section, app.Name, app.Version)
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", app.Name, escape(app.Usage))
	synopsis, rest, _ := strings.Cut(app.UsageText, "\n\n")
	b.WriteString(".SH SYNOPSIS\n.nf\n")
	for _, l := range strings.Split(synopsis, "\n") {
		b.WriteString(escapeLine(l) + "\n")
	}
	b.WriteString(".fi\n.SH DESCRIPTION\n")
	writeText(&b, strings.TrimSpace(rest+"\n\n"+app.Description))
	b.WriteString(".SH OPTIONS\n")
	writeFlags(&b, cmdline.AppFlags(app))
	b.WriteString(".SH COMMANDS\n")
	for _, cmd := range app.Commands {
		if cmd.Hidden {
			continue
		}
		fmt.Fprintf(&b, ".SS \"%s\"\n", escape(strings.TrimSpace(app.Name+" "+cmd.Name+" "+cmd.ArgsUsage)))
		writeText(&b, cmd.Usage+".")
		if cmd.Description != "" {
			b.WriteString(".PP\n")
			writeText(&b, cmd.Description)
		}
		writeFlags(&b, cmd.Flags)
	}
	for _, s := range page.Sections {
		fmt.Fprintf(&b, ".SH %s\n", strings.ToUpper(s.Title))
		writeText(&b, s.Body)
	}
	return b.String()
}

// writeText writes text in the --help format: paragraphs are filled,
// lines indented by three spaces or more are printed as they are.
func writeText(b *strings.Builder, text string) {
	verbatim := false
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		indented := strings.HasPrefix(l, "   ")
		switch {
		case indented && !verbatim:
			b.WriteString(".RS 4\n.nf\n")
		case !indented && verbatim:
			b.WriteString(".fi\n.RE\n")
		}
		verbatim = indented
		switch {
		case indented:
			b.WriteString(escapeLine(strings.TrimPrefix(l, "   ")) + "\n")
		case strings.TrimSpace(l) == "":
			b.WriteString(".PP\n")
		default:
			b.WriteString(escapeLine(l) + "\n")
		}
	}
	if verbatim {
		b.WriteString(".fi\n.RE\n")
	}
}

// writeFlags writes flags as a tagged list: the names and placeholder,
// then the usage with the default.
func writeFlags(b *strings.Builder, flags []cli.Flag) {
	for _, f := range flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		names, usage, _ := strings.Cut(f.String(), "\t")
		fmt.Fprintf(b, ".TP\n\\fB%s\\fR\n%s\n", escape(names), escapeLine(usage))
	}
}

// escape makes s safe in roff text: backslashes and hyphens (which roff
// would take for a hyphenation point, not the minus of a flag).
func escape(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
}

// escapeLine is escape for a whole line, which must not start with a
// control character ('.' or '\”).
func escapeLine(s string) string {
	s = escape(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// DoubleDefaults returns the help of each of app's flags (its commands'
// too) that names a default twice: one in the usage and one urfave/cli
// adds ("default 4369) (default: 0)"). Tests keep it empty.
func DoubleDefaults(app *cli.App) []string {
	flags := append([]cli.Flag{}, app.Flags...)
	for _, cmd := range app.Commands {
		flags = append(flags, cmd.Flags...)
	}
	var out []string
	for _, f := range flags {
		if strings.Count(strings.ToLower(f.String()), "default") > 1 {
			out = append(out, f.String())
		}
	}
	return out
}
