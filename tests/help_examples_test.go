package tests

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// notRunnable are the example commands TestHelpExamples cannot run, and
// why; every other example of every command runs.
var notRunnable = map[string]string{
	"chatctl --node alex chat kate":                              "an interactive session (tests/chat_term_test.go drives it)",
	"tail -f notes | chatctl chat kate":                          "reads a file forever",
	"chatctl --node alex nodes --watch":                          "runs until interrupted; its lines need a node going down (nodes_watch_test.go)",
	"chatctl --node kate tasks --watch":                          "runs until interrupted (TestTasksWatch)",
	"chatctl docs man > /tmp/chatctl.1 && man -l /tmp/chatctl.1": "opens a pager (TestManPage checks the page)",
}

// example is one `$ command` of a command's help and the lines the help
// says it prints ("..." stands for any lines).
type example struct {
	command string
	want    []string
}

// TestHelpExamples runs the examples of every chatctl command's --help
// against real nodes, alex and kate, started for each command, and checks
// that each prints what its help says, up to what differs from run to
// run (ids, pids' numbers, times, durations, ports, versions, counts) and
// the width of table columns.
func TestHelpExamples(t *testing.T) {
	c := newCluster(t)
	commands := helpCommands(t, c)
	if len(commands) < 10 {
		t.Fatalf("chatctl --help lists %d commands: %q", len(commands), commands)
	}
	skipped := map[string]bool{}
	for _, name := range commands {
		examples := helpExamples(t, c, name)
		if len(examples) == 0 {
			t.Errorf("chatctl %s --help has no example", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			var runnable []example
			for _, ex := range examples {
				if _, ok := notRunnable[ex.command]; ok {
					skipped[ex.command] = true
					continue
				}
				runnable = append(runnable, ex)
			}
			if len(runnable) == 0 {
				return
			}
			world := newCluster(t)
			world.start("alex")
			world.start("kate")
			outputs := world.runScript(t, runnable)
			for i, ex := range runnable {
				if !matchLines(normalizeAll(ex.want), normalizeAll(outputs[i])) {
					t.Errorf("$ %s\nprints:\n%s\nbut its help says:\n%s", ex.command,
						indent(outputs[i]), indent(ex.want))
				}
			}
		})
	}
	for cmd, why := range notRunnable {
		if !skipped[cmd] {
			t.Errorf("notRunnable lists %q (%s), which no help example has any more", cmd, why)
		}
	}
}

// helpCommands returns the commands chatctl --help lists.
func helpCommands(t *testing.T, c *cluster) []string {
	t.Helper()
	r := c.chatctl("--help")
	if r.code != 0 {
		t.Fatalf("chatctl --help: exit %d: %s", r.code, r.stderr)
	}
	var names []string
	in := false
	for _, l := range strings.Split(r.stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "COMMANDS:"):
			in = true
		case in && strings.TrimSpace(l) == "":
			return names
		case in:
			name := strings.TrimSuffix(strings.Fields(l)[0], ",")
			if name != "help" {
				names = append(names, name)
			}
		}
	}
	return names
}

// helpExamples parses the Example: blocks of chatctl name --help.
func helpExamples(t *testing.T, c *cluster, name string) []example {
	t.Helper()
	r := c.chatctl(name, "--help")
	if r.code != 0 {
		t.Fatalf("chatctl %s --help: exit %d: %s", name, r.code, r.stderr)
	}
	var out []example
	in := false
	for _, l := range strings.Split(r.stdout, "\n") {
		line := strings.TrimSpace(l)
		switch {
		case line == "Example:":
			in = true
		case !in:
		case line == "":
			in = false
		case strings.HasPrefix(line, "$ "):
			out = append(out, example{command: strings.TrimPrefix(line, "$ ")})
		case len(out) > 0:
			last := &out[len(out)-1]
			last.want = append(last.want, line)
		}
	}
	return out
}

// runScript runs the examples' commands in one shell, in order (so that
// pid=$(...) carries on), in c's environment, and returns what each
// printed on stdout and stderr.
func (c *cluster) runScript(t *testing.T, examples []example) [][]string {
	t.Helper()
	const mark = "@@@example-end@@@"
	var script strings.Builder
	for _, ex := range examples {
		fmt.Fprintf(&script, "%s 2>&1\necho %s\n", ex.command, mark)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Env = append(c.baseEnv(), "PATH="+filepath.Dir(built.chatctl)+":/usr/bin:/bin")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the examples' script failed: %v\n%s\noutput:\n%s", err, script.String(), out)
	}
	parts := strings.Split(strings.TrimSuffix(string(out), mark+"\n"), mark+"\n")
	if len(parts) != len(examples) {
		t.Fatalf("the script printed %d parts for %d examples:\n%s", len(parts), len(examples), out)
	}
	outputs := make([][]string, len(parts))
	for i, p := range parts {
		if p = strings.TrimSuffix(p, "\n"); p != "" {
			outputs[i] = strings.Split(p, "\n")
		}
	}
	return outputs
}

// normalizers replace what differs from run to run, in order.
var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(<[\w-]+@[\w-]+)\.\d+\.\d+>`), "$1.#.#>"},        // pids
	{regexp.MustCompile(`\(id [0-9a-f]+\)`), "(id #)"},                    // message ids
	{regexp.MustCompile(`\b\d\d:\d\d:\d\d(\.\d+)?\b`), "#time"},           // clock times
	{regexp.MustCompile(`\b(\d+(\.\d+)?(µs|ms|h|m|s))+(\s|$)`), "#dur$4"}, // durations
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:#"},               // ports
	{regexp.MustCompile(`^(Version:)\s+\S+$`), "$1 #"},                    // builds
	{regexp.MustCompile(`\b\d+\b`), "#"},                                  // counts, ids, pids
	{regexp.MustCompile(`\s+`), " "},                                      // column widths
}

// normalize is line with what differs from run to run replaced.
func normalize(line string) string {
	line = strings.TrimSpace(line)
	for _, n := range normalizers {
		line = n.re.ReplaceAllString(line, n.with)
	}
	return line
}

func normalizeAll(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = normalize(l)
	}
	return out
}

// matchLines reports whether got is want, where a want line "..." stands
// for any number of lines.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "..." {
		for i := 0; i <= len(got); i++ {
			if matchLines(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && got[0] == want[0] && matchLines(want[1:], got[1:])
}

func indent(lines []string) string {
	if len(lines) == 0 {
		return "    (nothing)"
	}
	return "    " + strings.Join(lines, "\n    ")
}

func TestMatchLines(t *testing.T) {
	tests := []struct {
		want, got []string
		ok        bool
	}{
		{nil, nil, true},
		{[]string{"a"}, []string{"a"}, true},
		{[]string{"a"}, []string{"b"}, false},
		{[]string{"a", "...", "z"}, []string{"a", "b", "c", "z"}, true},
		{[]string{"a", "...", "z"}, []string{"a", "z"}, true},
		{[]string{"a", "...", "z"}, []string{"a", "b"}, false},
		{[]string{"a"}, []string{"a", "b"}, false},
	}
	for _, tt := range tests {
		if got := matchLines(tt.want, tt.got); got != tt.ok {
			t.Errorf("matchLines(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.ok)
		}
	}
	for _, pair := range [][2]string{
		{"sent to kate@localhost (id 3f2a9c01)", "sent to kate@localhost (id c49a149a031f50d9)"},
		{"<kate@localhost.42.7>  reply  sup?  <alex@localhost.1.9>  0  12s", "<kate@localhost.2.93391503> reply sup? <alex@localhost.1.9331> 0 0s"},
		{"Hi, my name is kate", "Hi, my name is kate"},
		{"42  echo  hi  alex@localhost  ok  0.1ms", "7 echo hi alex@localhost ok 22µs"},
		{"15:04:05 alex@localhost: hi", "09:01:02 alex@localhost: hi"},
	} {
		if a, b := normalize(pair[0]), normalize(pair[1]); a != b {
			t.Errorf("normalize: %q -> %q and %q -> %q differ", pair[0], a, pair[1], b)
		}
	}
	if normalize("Hi, my name is kate@localhost") == normalize("Hi, my name is kate") {
		t.Error("normalize hides the difference the issue found")
	}
}
