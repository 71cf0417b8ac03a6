package main

import (
	"regexp"
	"testing"
	"time"
)

// TestTasks checks the tasks table: a running task's DURATION is its age
// when chatctl prints it, a finished task's the time it took.
func TestTasks(t *testing.T) {
	alex := startAlex(t)
	tests := []struct {
		name string
		args []string
		want string // a regexp matched against the whole of stdout; its group is the running task's DURATION
	}{
		{"running", []string{"tasks"},
			`ID  FUNCTION  ARGS  CALLER          STATE    DURATION\n` +
				`42  sleep     3s    alex@localhost  running  (\S+)\n`},
		{"all", []string{"tasks", "--all"},
			`ID  FUNCTION         ARGS  CALLER          STATE    DURATION\n` +
				`42  sleep            3s    alex@localhost  running  (\S+)\n` +
				`41  receive_message  hi    kate@localhost  ok       0\.4ms\n` +
				`40  crash            -     kate@localhost  failed   3\.004s\n`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Since(alex.taskStarted)
			got := runApp(t, append([]string{"--socket", alex.socket}, tt.args...)...)
			after := time.Since(alex.taskStarted)
			m := regexp.MustCompile(`^` + tt.want + `$`).FindStringSubmatch(got.stdout)
			if got.code != exitOK || got.stderr != "" || m == nil {
				t.Fatalf("run = %+v, want exit 0, no stderr and stdout matching %q", got, tt.want)
			}
			if d, err := time.ParseDuration(m[1]); err != nil || d < before.Truncate(time.Millisecond) || d > after.Round(time.Millisecond) {
				t.Errorf("running task's DURATION = %s, want its age then, from %s to %s", m[1], before, after)
			}
		})
	}
}
