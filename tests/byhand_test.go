package tests

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestByHandRecipe follows the README's "By hand" section as a newcomer
// would (issue 14, point 12): its make command installs chatd without root
// into a fresh HOME, and its recipe, run line by line in that HOME as an
// ordinary user, prints what the README's comments say it prints. The
// commands come from the README itself, so the section cannot drift from
// what works.
func TestByHandRecipe(t *testing.T) {
	section := readmeSection(t, "### By hand")
	install := regexp.MustCompile("`(make install-files[^`]*)`").FindStringSubmatch(section)
	if install == nil {
		t.Fatalf("the README's By hand section names no `make install-files …` command:\n%s", section)
	}
	recipe := parseRecipe(t, shellBlock(t, section))

	dir := worldReadableDir(t)
	home := filepath.Join(dir, "home")
	mkdirMode(t, home, 0o755)
	// The install runs as the test's user; GOFLAGS and the caches are its.
	// BIN keeps the build out of the source tree's bin/.
	makeCmd := strings.Join(strings.Fields(install[1]), " ") + " BIN=" + filepath.Join(dir, "build")
	cmd := exec.Command("bash", "-c", "cd .. && "+makeCmd)
	cmd.Env = append(os.Environ(), "HOME="+home)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", makeCmd, err, out)
	}
	for _, f := range []string{".local/bin/chatd", ".local/bin/chatctl", ".config/chatd/chatd.toml", ".config/chatd/cookie", ".local/share/man/man8/chatd.8"} {
		if _, err := os.Stat(filepath.Join(home, f)); err != nil {
			t.Errorf("after %s: %v", makeCmd, err)
		}
	}

	c := newCluster(t)
	c.runtime = filepath.Join(dir, "run")
	mkdirMode(t, c.runtime, 0o755)
	user := asOrdinaryUser(t, home, c.runtime)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "CHATD_RUNTIME_DIR=" + c.runtime,
		"CHATD_MAPPER_PORT=" + strconv.Itoa(c.mapperPort)}
	shell := func(line string) *exec.Cmd {
		cmd := exec.Command("bash", "-c", strings.Join(recipe.exports, "\n")+"\n"+line)
		cmd.Env, cmd.SysProcAttr = env, user
		return cmd
	}
	for _, line := range recipe.setup {
		if out, err := shell(line).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
	}
	for _, n := range recipe.nodes {
		c.run(n.name, shell("exec "+n.line)).waitReady()
	}
	for _, s := range recipe.checks {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, "bash", "-c", strings.Join(recipe.exports, "\n")+"\n"+s.line)
		cmd.Env, cmd.SysProcAttr = env, user
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		cancel()
		if err != nil || !s.want.Match(bytes.TrimSpace(out)) {
			t.Fatalf("%s: %v, printed %q (stderr %q); the README says it prints %q", s.line, err, out, stderr.String(), s.said)
		}
		t.Logf("%s printed %q", s.line, strings.TrimSpace(string(out)))
	}
}

// recipe is a README shell block read as a newcomer runs it: exports
// apply in every terminal, setup lines run once, "# terminal N" lines
// that start chatd are nodes, and the others are checked against the
// output their comments give.
type recipe struct {
	exports, setup []string
	nodes          []recipeNode
	checks         []recipeCheck
}

type recipeNode struct{ name, line string }

type recipeCheck struct {
	line, said string
	want       *regexp.Regexp // said, with … matching anything
}

var terminalComment = regexp.MustCompile(`^terminal \d+:?\s*`)

func parseRecipe(t *testing.T, block string) recipe {
	t.Helper()
	var r recipe
	for _, raw := range strings.Split(block, "\n") {
		line, comment, _ := strings.Cut(raw, "#")
		line, comment = strings.TrimSpace(line), strings.TrimSpace(comment)
		said := terminalComment.ReplaceAllString(comment, "")
		switch {
		case line == "" && comment != "" && len(r.checks) > 0:
			last := &r.checks[len(r.checks)-1]
			last.said += "\n" + said
		case line == "":
		case strings.HasPrefix(line, "export "):
			r.exports = append(r.exports, line)
		case !terminalComment.MatchString(comment):
			r.setup = append(r.setup, line)
		case strings.HasPrefix(line, "chatd "):
			f := strings.Fields(line)
			for i := range f[:len(f)-1] {
				if f[i] == "--name" {
					r.nodes = append(r.nodes, recipeNode{name: f[i+1], line: line})
				}
			}
		default:
			r.checks = append(r.checks, recipeCheck{line: line, said: said})
		}
	}
	for i := range r.checks {
		pattern := strings.ReplaceAll(regexp.QuoteMeta(r.checks[i].said), "…", ".*")
		r.checks[i].want = regexp.MustCompile("^" + pattern + "$")
	}
	if len(r.nodes) == 0 || len(r.checks) == 0 {
		t.Fatalf("the recipe starts %d nodes and checks %d outputs; want some of each:\n%s", len(r.nodes), len(r.checks), block)
	}
	return r
}

// readmeSection returns the README from the heading to the next heading
// of the same or a higher level (outside code blocks).
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	level := headingLevel(heading)
	lines := strings.Split(rest, "\n")
	inCode := false
	for i, line := range lines {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if l := headingLevel(line); !inCode && l > 0 && l <= level {
			return strings.Join(lines[:i], "\n")
		}
	}
	return rest
}

// headingLevel is the number of #s of a Markdown heading line, else 0.
func headingLevel(line string) int {
	marks, _, ok := strings.Cut(line, " ")
	if !ok || marks == "" || strings.Trim(marks, "#") != "" {
		return 0
	}
	return len(marks)
}

// shellBlock returns the first ```sh block of text.
func shellBlock(t *testing.T, text string) string {
	t.Helper()
	_, rest, ok := strings.Cut(text, "```sh\n")
	if !ok {
		t.Fatalf("no ```sh block in:\n%s", text)
	}
	block, _, _ := strings.Cut(rest, "```")
	return block
}

// asOrdinaryUser returns the process attributes that run a command as
// nobody when the test runs as root (handing it the directories it writes
// to), else nil: the recipe is for a user without root.
func asOrdinaryUser(t *testing.T, dirs ...string) *syscall.SysProcAttr {
	t.Helper()
	if os.Getuid() != 0 {
		return nil
	}
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, 65534, 65534)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}
