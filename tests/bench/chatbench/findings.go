package main

import (
	"fmt"
	"os"
	"strings"
)

// findingsSection is docs/PERFORMANCE.md (the profile findings, kept by
// hand) as a section of docs/BENCHMARKS.md: its title becomes the
// section's, every heading goes one level down, and code blocks stay as
// they are. An empty path gives no section.
func findingsSection(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("the profile findings: %w (run from the repository's top, or pass -findings \"\")", err)
	}
	return demoteHeadings(string(src), path), nil
}

// demoteHeadings turns md's first "# " title into "## title", says where
// the text comes from, and demotes every other heading by one level.
func demoteHeadings(md, from string) string {
	var b strings.Builder
	fenced, titled := false, false
	for line := range strings.Lines(md) {
		switch {
		case strings.HasPrefix(line, "```"):
			fenced = !fenced
		case fenced:
		case !titled && strings.HasPrefix(line, "# "):
			titled = true
			b.WriteString("#" + line + "\n*Copied by `make bench` from " + from + ", where it is kept by hand.*\n")
			continue
		case strings.HasPrefix(line, "#"):
			line = "#" + line
		}
		b.WriteString(line)
	}
	s := b.String()
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}
