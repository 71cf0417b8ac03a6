package main

import (
	"bytes"
	"testing"
	"time"

	"chatd/wire"
)

func TestMillis(t *testing.T) {
	tests := []struct {
		ms   float64
		want string
	}{
		{0, "0ms"},
		{-3, "0ms"},
		{0.03, "30µs"},
		{0.0494, "49µs"},
		{0.05, "0.1ms"},
		{0.42, "0.4ms"},
		{1.25, "1.3ms"},
		{250, "250ms"},
		{999.94, "999.9ms"},
		{999.96, "1s"},
		{3004.4, "3.004s"},
		{62500, "1m2.5s"},
	}
	for _, tt := range tests {
		if got := millis(tt.ms); got != tt.want {
			t.Errorf("millis(%v) = %q, want %q", tt.ms, got, tt.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hi there", "hi there"},
		{"olá, tudo bem? ✓", "olá, tudo bem? ✓"},
		{"", ""},
		{"two\nlines", `"two\nlines"`},
		{"tab\there", `"tab\there"`},
		{"\x1b[31mred", `"\x1b[31mred"`},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTaskEvent(t *testing.T) {
	start := time.Date(2025, 1, 2, 17, 2, 3, 123e6, time.UTC)
	tests := []struct {
		name string
		ti   wire.TaskInfo
		want string
	}{
		{"running", wire.TaskInfo{ID: 42, Function: "receive_message", Caller: "alex@localhost", Started: start, State: wire.TaskRunning},
			clock(start) + "  #42 receive_message  alex@localhost  running"},
		{"ok", wire.TaskInfo{ID: 42, Function: "receive_message", Caller: "alex@localhost", Started: start, State: wire.TaskOK, DurationMs: 2500},
			clock(start.Add(2500*time.Millisecond)) + "  #42 receive_message  alex@localhost  ok 2.5s"},
		{"timeout", wire.TaskInfo{ID: 7, Function: "sleep", Args: "3s", Started: start, State: wire.TaskTimeout, DurationMs: 1000, Error: "timed out after 1s"},
			clock(start.Add(time.Second)) + "  #7 sleep 3s  -  timeout 1s: timed out after 1s"},
		{"args quoted", wire.TaskInfo{ID: 8, Function: "receive_message", Args: "two\nlines", Caller: "kate@localhost", Started: start, State: wire.TaskRunning},
			clock(start) + `  #8 receive_message "two\nlines"  kate@localhost  running`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := taskEvent(tt.ti); got != tt.want {
				t.Errorf("taskEvent = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEmptyTables(t *testing.T) {
	var b bytes.Buffer
	if err := printTasks(&b, wire.TasksResponse{Node: "alex@localhost"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := printFunctions(&b, wire.FunctionsResponse{}); err != nil {
		t.Fatal(err)
	}
	if want := "ID  FUNCTION  ARGS  CALLER  STATE  DURATION\nNAME  ARGS  SUMMARY\n"; b.String() != want {
		t.Errorf("empty tables = %q, want %q", b.String(), want)
	}
}
