package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// ErrBadPid is wrapped by every pid parsing error.
var ErrBadPid = NewError(CodeBadRequest, "bad pid")

// MaxPidLen bounds a pid's text form.
const MaxPidLen = 400

// PidFormat is the accepted form, for error messages.
const PidFormat = "<name@host.ID.CREATION>, like <kate@localhost.42.7>"

// Pid identifies a process: the node it runs on, its id on that node, and
// the node's creation, which differs for every start of the node so that a
// restarted node's pids never collide with the old ones. Its text form is
// <kate@localhost.42.7>.
type Pid struct {
	Node     NodeName
	ID       uint64
	Creation uint32
}

// String returns <name@host.ID.CREATION>.
func (p Pid) String() string {
	return "<" + p.Node.String() + "." + strconv.FormatUint(p.ID, 10) + "." + strconv.FormatUint(uint64(p.Creation), 10) + ">"
}

// IsZero reports whether p is the zero Pid.
func (p Pid) IsZero() bool { return p == Pid{} }

// LooksLikePid reports whether s is meant as a pid rather than a node
// name (it starts with '<').
func LooksLikePid(s string) bool { return strings.HasPrefix(s, "<") }

// ParsePid parses <name@host.ID.CREATION>. The error names the problem and
// the accepted form.
func ParsePid(s string) (Pid, error) {
	bad := func(why string, args ...any) (Pid, error) {
		return Pid{}, fmt.Errorf("%w %.60q: %s; want %s", ErrBadPid, s, fmt.Sprintf(why, args...), PidFormat)
	}
	if len(s) > MaxPidLen {
		return bad("%d bytes long, the limit is %d", len(s), MaxPidLen)
	}
	inner, opened := strings.CutPrefix(s, "<")
	inner, closed := strings.CutSuffix(inner, ">")
	if !opened || !closed {
		return bad("not enclosed in < >")
	}
	rest, creation, ok := cutLast(inner, '.')
	if !ok {
		return bad("no .ID.CREATION after the node name")
	}
	node, id, ok := cutLast(rest, '.')
	if !ok {
		return bad("no .ID before the creation")
	}
	var p Pid
	var err error
	if p.ID, err = strconv.ParseUint(id, 10, 64); err != nil || !isDigits(id) {
		return bad("id %q is not a number", id)
	}
	c, err := strconv.ParseUint(creation, 10, 32)
	if err != nil || !isDigits(creation) {
		return bad("creation %q is not a 32-bit number", creation)
	}
	p.Creation = uint32(c)
	if !strings.Contains(node, "@") {
		return bad("node %q has no @host", node)
	}
	if p.Node, err = ParseNodeName(node, ""); err != nil {
		return bad("%v", err)
	}
	return p, nil
}

func cutLast(s string, sep byte) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
