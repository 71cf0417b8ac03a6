package clidoc

import (
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// testApp is a small program with a global value flag, a command with
// flags and arguments, and one that is hidden.
func testApp() *cli.App {
	return &cli.App{Name: "chatd", Usage: "run a node", Version: "1.2",
		UsageText: "chatd [--name N]\nchatd check\n\nMore about it.",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "name", Usage: "node `N`"}},
		Commands: []*cli.Command{
			{Name: "check", Usage: "validate", ArgsUsage: "NODE",
				Description: "Checks.\n.dot at the start\n\nExample:\n   $ chatd check -x",
				Flags:       []cli.Flag{&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "say less"}}},
			{Name: "secret", Hidden: true},
		}}
}

func TestGenerate(t *testing.T) {
	page := Page{Program: "chatd", Section: 8}
	cases := []struct{ kind, want string }{
		{"man", ".TH CHATD 8"},
		{"fish", "complete -c chatd -f -a '(chatd __complete"},
		{"bash", "complete -o default -F _chatd_complete chatd"},
		{"zsh", "compdef _chatd chatd"},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			out, err := Generate(testApp(), page, tc.kind)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Fatalf("Generate(%s) = %q, %v; want it to contain %q", tc.kind, out, err, tc.want)
			}
		})
	}
	if _, err := Generate(testApp(), page, "tcsh"); err == nil {
		t.Fatal("an unknown kind was accepted")
	}
}

func TestMan(t *testing.T) {
	man := Man(testApp(), Page{Section: 8, Sections: []Section{{Title: "Exit status", Body: "0 fine.\n   verbatim"}}})
	for _, want := range []string{
		".TH CHATD 8 \"\" \"chatd 1.2\"\n",
		".SH NAME\nchatd \\- run a node\n",
		".SH SYNOPSIS\n.nf\nchatd [\\-\\-name N]\nchatd check\n.fi\n",
		".SH DESCRIPTION\nMore about it.\n",
		".SH OPTIONS\n.TP\n\\fB\\-\\-name N\\fR\nnode N\n",
		".SS \"chatd check NODE\"\nvalidate.\n.PP\nChecks.\n\\&.dot at the start\n.PP\nExample:\n.RS 4\n.nf\n$ chatd check \\-x\n.fi\n.RE\n",
		".TP\n\\fB\\-\\-quiet, \\-q\\fR\nsay less (default: false)\n",
		".SH EXIT STATUS\n0 fine.\n.RS 4\n.nf\nverbatim\n.fi\n.RE\n",
	} {
		if !strings.Contains(man, want) {
			t.Errorf("man page lacks %q:\n%s", want, man)
		}
	}
	if strings.Contains(man, "secret") {
		t.Error("the man page shows a hidden command")
	}
}

func TestComplete(t *testing.T) {
	values := func(cmd *cli.Command, flag string, arg int) []string {
		switch {
		case flag == "name":
			return []string{"alex", "kate"}
		case cmd != nil && cmd.Name == "check" && arg == 0:
			return []string{"moebi"}
		}
		return nil
	}
	tests := []struct {
		words []string
		want  []string
	}{
		{nil, []string{"check"}},
		{[]string{""}, []string{"check"}},
		{[]string{"c"}, []string{"check"}},
		{[]string{"x"}, nil},
		{[]string{"--name", ""}, []string{"alex", "kate"}},
		{[]string{"--name", "k"}, []string{"kate"}},
		{[]string{"--name", "kate", ""}, []string{"check"}},
		{[]string{"--name=kate", "check", ""}, []string{"moebi"}},
		{[]string{"check", "moebi", ""}, nil},
		{[]string{"-"}, []string{"--help", "--name", "--version", "-h", "-v"}},
		{[]string{"check", "--q"}, []string{"--quiet"}},
		{[]string{"check", "-"}, []string{"--help", "--name", "--quiet", "--version", "-h", "-q", "-v"}},
		{[]string{"nosuch", ""}, nil},
	}
	for _, tt := range tests {
		if got := Complete(testApp(), tt.words, values); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Complete(%q) = %q, want %q", tt.words, got, tt.want)
		}
	}
}

func TestDoubleDefaults(t *testing.T) {
	app := &cli.App{Flags: []cli.Flag{
		&cli.IntFlag{Name: "mapper-port", Usage: "port mapper `PORT` (default 4369)"},
		&cli.IntFlag{Name: "port", Usage: "port `PORT`", DefaultText: "4369"},
	}}
	if got := DoubleDefaults(app); len(got) != 1 || !strings.Contains(got[0], "mapper-port") {
		t.Errorf("DoubleDefaults = %q, want the mapper-port flag alone", got)
	}
}
