package cmdline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// testApp is a small chatctl: global --node, --json and --timeout; send
// ends in text after one argument, call after two and has its own
// --timeout.
func testApp() *cli.App {
	return &cli.App{
		Name:    "chatctl",
		Version: "1",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "node", Usage: "speak as `N`"},
			&cli.BoolFlag{Name: "json"},
			&cli.DurationFlag{Name: "timeout"},
		},
		Commands: []*cli.Command{
			{Name: "status"},
			{Name: "ping", ArgsUsage: "NODE"},
			{Name: "send", ArgsUsage: "TARGET TEXT..."},
			{Name: "call", ArgsUsage: "NODE FUNCTION [ARGS...]", Flags: []cli.Flag{
				&cli.DurationFlag{Name: "timeout", Aliases: []string{"await"}},
			}},
			{Name: "messages", Flags: []cli.Flag{&cli.IntFlag{Name: "n"}, &cli.BoolFlag{Name: "follow", Aliases: []string{"f"}}}},
			{Name: "docs"},
		},
	}
}

var testText = TextCommands{"send": 1, "call": 2}

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		want       []string
		wantGlobal map[string]string
	}{
		{"nothing", []string{}, []string{"chatctl"}, map[string]string{}},
		{"global before", []string{"--json", "status"}, []string{"chatctl", "--json", "status"}, map[string]string{"json": "true"}},
		{"global after", []string{"status", "--json"}, []string{"chatctl", "--json", "status"}, map[string]string{"json": "true"}},
		{"global after the argument", []string{"ping", "kate", "--node", "alex"},
			[]string{"chatctl", "--node", "alex", "ping", "--", "kate"}, map[string]string{"node": "alex"}},
		{"global with =", []string{"ping", "--node=alex", "kate"},
			[]string{"chatctl", "--node=alex", "ping", "--", "kate"}, map[string]string{"node": "alex"}},
		{"single dash", []string{"-json", "status"}, []string{"chatctl", "-json", "status"}, map[string]string{"json": "true"}},
		{"own flags after the arguments", []string{"messages", "-n", "2", "--follow"},
			[]string{"chatctl", "messages", "-n", "2", "--follow"}, map[string]string{}},
		{"command flag shadows global", []string{"call", "--timeout", "1s", "kate", "sleep", "3s"},
			[]string{"chatctl", "call", "--timeout", "1s", "--", "kate", "sleep", "3s"}, map[string]string{}},
		{"text keeps other dashes", []string{"send", "kate", "-5", "degrees", "-"},
			[]string{"chatctl", "send", "--", "kate", "-5", "degrees", "-"}, map[string]string{}},
		{"-- makes flags text", []string{"send", "kate", "--", "hi", "--json"},
			[]string{"chatctl", "send", "--", "kate", "hi", "--json"}, map[string]string{}},
		{"-- before the target", []string{"send", "--", "kate", "hi", "--json"},
			[]string{"chatctl", "send", "--", "kate", "hi", "--json"}, map[string]string{}},
		{"flags before the text", []string{"send", "--json", "kate", "hi"},
			[]string{"chatctl", "--json", "send", "--", "kate", "hi"}, map[string]string{"json": "true"}},
		{"help after the arguments", []string{"ping", "kate", "--help"},
			[]string{"chatctl", "ping", "--help"}, map[string]string{}},
		{"unknown command passes", []string{"--json", "sned", "--x"}, []string{"chatctl", "--json", "sned", "--x"}, map[string]string{"json": "true"}},
		{"pass-through command", []string{"docs", "--x", "man"}, []string{"chatctl", "docs", "--x", "man"}, map[string]string{}},
		{"help command", []string{"help", "send"}, []string{"chatctl", "help", "send"}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, err := Parse(testApp(), append([]string{"chatctl"}, tt.args...), testText, "docs")
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			if !reflect.DeepEqual(line.Args, tt.want) {
				t.Errorf("Args = %q, want %q", line.Args, tt.want)
			}
			if !reflect.DeepEqual(line.Global, tt.wantGlobal) {
				t.Errorf("Global = %v, want %v", line.Global, tt.wantGlobal)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantCommand string
		wantMsg     string
	}{
		{"unknown global", []string{"--frob", "status"}, "", "unknown flag --frob"},
		{"global typo", []string{"--jsn", "status"}, "", "unknown flag --jsn (did you mean --json?)"},
		{"command typo", []string{"messages", "--folow"}, "messages", "unknown flag --folow (did you mean --follow?)"},
		{"unknown after the argument", []string{"ping", "kate", "-x"}, "ping", "unknown flag -x"},
		{"missing value", []string{"status", "--node"}, "", "--node needs a value: speak as `N`"},
		{"bad duration", []string{"--timeout", "1x", "status"}, "",
			`--timeout "1x": not a duration (a number and a unit: 500ms, 2s, 1m)`},
		{"bad int", []string{"messages", "-n", "two"}, "messages", `-n "two": not a whole number`},
		{"bad bool", []string{"status", "--json=yes"}, "", `--json "yes": not true or false`},
		{"global in the text", []string{"--node", "alex", "send", "kate", "hi", "--json"}, "send",
			`"--json" is a flag of chatctl, but it is in the TEXT; put flags before TARGET, or write -- before ` +
				`the text to take it as it is: chatctl --node alex send kate -- hi --json`},
		{"own flag in the args", []string{"call", "kate", "echo", "it's", "--await=1s"}, "call",
			`"--await=1s" is a flag of chatctl, but it is in the ARGS; put flags before NODE, or write -- before ` +
				`the args to take it as it is: chatctl call kate echo -- 'it'\''s' --await=1s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(testApp(), append([]string{"chatctl"}, tt.args...), testText, "docs")
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse(%q) = %v, want an *Error", tt.args, err)
			}
			if e.Command != tt.wantCommand || e.Msg != tt.wantMsg {
				t.Errorf("Parse(%q) = %q: %q, want %q: %q", tt.args, e.Command, e.Msg, tt.wantCommand, tt.wantMsg)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"send", "spawn", "status", "nodes", "ping", "json", "n"}
	tests := []struct{ word, want string }{
		{"sned", "send"}, // a swap
		{"snd", "send"},  // a deletion
		{"stauts", "status"},
		{"nods", "nodes"},
		{"pong", "ping"},
		{"jsn", "json"},
		{"x", ""},
		{"frobnicate", ""},
		{"sp", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.word, names); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	if !strings.Contains((&Error{Command: "send", Msg: "x"}).Error(), "send: x") {
		t.Error("Error does not name its command")
	}
}
