package main

import "testing"

// TestDemoteHeadings: the findings' title becomes a section of
// BENCHMARKS.md, its headings one level lower, code blocks untouched.
func TestDemoteHeadings(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"title and sections",
			"# Where the time goes\n\nText.\n\n## How\n\n### Detail\n",
			"## Where the time goes\n\n*Copied by `make bench` from docs/P.md, where it is kept by hand.*\n\nText.\n\n### How\n\n#### Detail\n"},
		{"a fenced comment is not a heading",
			"# T\n```sh\n# a comment\n```\n## S\n",
			"## T\n\n*Copied by `make bench` from docs/P.md, where it is kept by hand.*\n```sh\n# a comment\n```\n### S\n"},
		{"no title, no final newline",
			"## S\ntext",
			"### S\ntext\n"},
		{"empty", "", ""},
	} {
		if got := demoteHeadings(tc.in, "docs/P.md"); got != tc.want {
			t.Errorf("%s: got\n%q\nwant\n%q", tc.name, got, tc.want)
		}
	}
}
