package config

import (
	"slices"
	"testing"
)

func TestLocateKey(t *testing.T) {
	const text = `# chatd.toml
environment = "dev"   # a comment
host="localhost"

[mapper]
port = 4369

[link]
tick = "15s"
  "max_frame" = 2048
notes = """
tick = "not a key"
"""
'max_streams' = 10

[environments.test]
tasks.placement = "local"
link = { tick = "1s" }

[ nodes . "moebi" ]
responder . reply = "chicken?"

[nodes.kate.tasks]
max_running = 5

[[servers]]
name = "a"
`
	tests := []struct {
		name string
		key  []string
		want int
	}{
		{"top-level key", []string{"environment"}, 2},
		{"key without spaces", []string{"host"}, 3},
		{"table header", []string{"mapper"}, 5},
		{"key under header", []string{"mapper", "port"}, 6},
		{"key under second header", []string{"link", "tick"}, 9},
		{"quoted key", []string{"link", "max_frame"}, 10},
		{"literal key after multi-line string", []string{"link", "max_streams"}, 14},
		{"multi-line string content is not a key", []string{"link", "notes"}, 11},
		{"dotted key in section", []string{"environments", "test", "tasks", "placement"}, 17},
		{"implicit table of dotted key", []string{"environments", "test", "tasks"}, 17},
		{"inline table member", []string{"environments", "test", "link", "tick"}, 18},
		{"header with spaces and quotes", []string{"nodes", "moebi"}, 20},
		{"dotted key with spaces", []string{"nodes", "moebi", "responder", "reply"}, 21},
		{"implicit parent of header", []string{"nodes", "kate"}, 23},
		{"key under nested header", []string{"nodes", "kate", "tasks", "max_running"}, 24},
		{"array of tables", []string{"servers", "name"}, 27},
		{"parent of everything", []string{"environments"}, 16},
		{"missing key", []string{"link", "tik"}, 0},
		{"missing table", []string{"nope"}, 0},
		{"empty key", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := locateKey(text, tc.key); got != tc.want {
				t.Errorf("locateKey(%q) = %d, want %d", tc.key, got, tc.want)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		in       string
		want     []string
		wantRest string
		wantOK   bool
	}{
		{"a = 1", []string{"a"}, "= 1", true},
		{"a.b.c=1", []string{"a", "b", "c"}, "=1", true},
		{`"a.b" . c = 1`, []string{"a.b", "c"}, "= 1", true},
		{`"q\"uote".x]`, []string{`q"uote`, "x"}, "]", true},
		{`'lit\'`, []string{`lit\`}, "", true},
		{`"open`, nil, "", false},
		{"= 1", nil, "", false},
		{"a.", nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, rest, ok := parseKey(tc.in)
			if !slices.Equal(got, tc.want) || rest != tc.wantRest || ok != tc.wantOK {
				t.Errorf("parseKey(%q) = %q, %q, %v; want %q, %q, %v", tc.in, got, rest, ok, tc.want, tc.wantRest, tc.wantOK)
			}
		})
	}
}
