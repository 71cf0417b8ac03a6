package beam

import (
	"regexp"
	"strings"

	"chatd/wire/etf"
)

// chatd's processes hold text; BEAM processes hold terms. The two meet
// here:
//
//   - chatd sends TEXT from process P as the tuple {Text, P}, as `chatctl
//     send PID TEXT` does between chatd nodes; Text is an atom when it reads
//     as one (hi, sup?), so that the lesson's `receive do {:hi, pid} -> ...`
//     matches, else a binary (an Elixir string).
//   - a term {Text, Pid} arriving at a chatd process, with Text an atom, a
//     binary or a charlist, is the message Text from Pid; any other term
//     is shown as iex would print it (:sup?, {:ok, 1}), from its sender.

// atomText is what chatd sends as an atom: a plain lower-case word.
var atomText = regexp.MustCompile(`^[a-z][A-Za-z0-9_@]*[?!]?$`)

// textTerm is text as the first element of a message chatd sends.
func textTerm(text string) etf.Term {
	if len(text) <= etf.MaxAtomChars && atomText.MatchString(text) {
		return etf.Atom(text)
	}
	return etf.Binary(text)
}

// messageTerm is the term chatd sends for text from the process from.
func messageTerm(text string, from etf.Pid) etf.Term { return etf.Tuple{textTerm(text), from} }

// messageText reads a term that arrived for a chatd process as its text
// and sender (from, when the term does not name one).
func messageText(msg etf.Term, from etf.Pid) (string, etf.Pid) {
	if t, ok := msg.(etf.Tuple); ok && len(t) == 2 {
		if p, ok := t[1].(etf.Pid); ok {
			if s, ok := plainText(t[0]); ok {
				return s, p
			}
		}
	}
	return etf.Inspect(msg), from
}

// plainText is an atom, binary or charlist as text.
func plainText(t etf.Term) (string, bool) {
	switch v := t.(type) {
	case etf.Atom:
		return string(v), true
	case etf.Binary, etf.Charlist:
		return etf.Text(v)
	}
	return "", false
}

// argText reads a call's argument as chatd's text: a string, or anything
// else as iex would print it.
func argText(t etf.Term) string {
	if s, ok := plainText(t); ok {
		return s
	}
	if s, ok := etf.Text(t); ok { // a list of character codes
		return s
	}
	return etf.Inspect(t)
}

// elixirAtom turns an Elixir module name (Chat.TaskSupervisor) into its
// atom ('Elixir.Chat.TaskSupervisor'); an Erlang one (:erpc, or erpc)
// stays as it is.
func elixirAtom(name string) etf.Atom {
	if rest, ok := strings.CutPrefix(name, ":"); ok {
		return etf.Atom(rest)
	}
	if name != "" && name[0] >= 'A' && name[0] <= 'Z' {
		return etf.Atom("Elixir." + name)
	}
	return etf.Atom(name)
}

// splitFunction reads Module.function (String.upcase, :erlang.node) as
// the module and function atoms; ok is false for a name with no module.
func splitFunction(name string) (mod, fun etf.Atom, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return "", "", false
	}
	return elixirAtom(name[:i]), etf.Atom(name[i+1:]), true
}
