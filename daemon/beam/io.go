package beam

import (
	"context"
	"strings"

	"chatd/daemon/peer"
	"chatd/wire"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// The IO protocol (BEAM.md §5.4): a process prints by sending its group
// leader {io_request, From, ReplyAs, Request} and waits for {io_reply,
// ReplyAs, Reply}. chatd plays the group leader of the processes it spawns
// on BEAM nodes, so that what they print comes back to chatd's caller, as
// the lesson's Node.spawn_link output appears on the caller's side.

// ioRequest reads an io_request; ok is false for any other message.
func ioRequest(msg etf.Term) (from etf.Pid, replyAs, request etf.Term, ok bool) {
	t, ok := etf.Tagged(msg, "io_request", 4)
	if !ok {
		return etf.Pid{}, nil, nil, false
	}
	from, ok = t[1].(etf.Pid)
	return from, t[2], t[3], ok
}

// ioText serves one request: the text it prints (put_chars in its
// unicode and latin-1 forms, the requests of a {requests, [...]}), and the
// reply. Reads get eof; a formatted put_chars (io:format's io_lib call)
// prints its format and arguments as iex would show them, since chatd
// cannot run io_lib.
func ioText(request etf.Term) (string, etf.Term) {
	if t, ok := request.(etf.Tuple); ok && len(t) > 0 {
		switch {
		case etf.IsAtom(t[0], "put_chars") && len(t) == 3: // {put_chars, Encoding, Chars}
			return charsText(t[2]), etf.OK
		case etf.IsAtom(t[0], "put_chars") && len(t) == 2: // {put_chars, Chars}: latin-1
			return charsText(t[1]), etf.OK
		case etf.IsAtom(t[0], "put_chars") && len(t) == 5: // {put_chars, Enc, Mod, Fun, Args}
			return etf.Inspect(t[3]) + " " + etf.Inspect(t[4]), etf.OK
		case etf.IsAtom(t[0], "requests") && len(t) == 2:
			var b strings.Builder
			if l, ok := etf.Elems(t[1]); ok {
				for _, r := range l {
					s, _ := ioText(r)
					b.WriteString(s)
				}
			}
			return b.String(), etf.OK
		case etf.IsAtom(t[0], "setopts"):
			return "", etf.OK
		case etf.IsAtom(t[0], "get_line"), etf.IsAtom(t[0], "get_chars"), etf.IsAtom(t[0], "get_until"):
			return "", etf.Atom("eof")
		}
	}
	if etf.IsAtom(request, "getopts") {
		return "", etf.List{}
	}
	return "", etf.Tuple{etf.Atom("error"), etf.Atom("enotsup")}
}

// charsText is chardata as text: a binary, a charlist, or a nested list of
// both.
func charsText(t etf.Term) string {
	if s, ok := etf.Text(t); ok {
		return s
	}
	if l, ok := etf.Elems(t); ok {
		var b strings.Builder
		for _, e := range l {
			switch v := e.(type) {
			case int64:
				b.WriteRune(rune(v))
			default:
				b.WriteString(charsText(v))
			}
		}
		return b.String()
	}
	return etf.Inspect(t)
}

// lines splits printed text into the lines chatd relays (a final newline
// ends the last line; text without one is a line too).
func lines(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// puts prints text and a newline on the BEAM group leader gl, as IO.puts
// does.
func (m *Manager) puts(ctx context.Context, gl etf.Pid, text string) error {
	return m.putChars(ctx, gl, text+"\n")
}

// putChars prints chars on the BEAM group leader gl: an io_request from a
// process of chatd's, and the wait for its io_reply.
func (m *Manager) putChars(ctx context.Context, gl etf.Pid, chars string) error {
	c := m.liveAtom(gl.Node)
	if c == nil {
		return &peer.ConnectError{Node: wireNode(gl.Node), Err: peer.ErrLinkDown}
	}
	cl := m.newCaller(c)
	defer cl.done()
	ref := cl.watch(dist.ProcPid(gl))
	replyAs := m.procs.newRef()
	cl.c.write(dist.SendSender{From: cl.p.pid, To: gl}, etf.Tuple{etf.Atom("io_request"), cl.p.pid, replyAs,
		etf.Tuple{etf.Atom("put_chars"), etf.Atom("unicode"), etf.Binary(chars)}})
	_, d, err := cl.await(ctx, ref, func(msg etf.Term) (etf.Term, bool) {
		t, ok := etf.Tagged(msg, "io_reply", 3)
		return nil, ok && etf.Equal(t[1], replyAs)
	})
	if d == nil {
		m.unwatch(cl.p, ref, c.atom)
	}
	switch {
	case err != nil:
		return err
	case d != nil:
		return c.downError("the group leader", d.reason)
	}
	return nil
}

// wireNode is a node atom as a node name (the zero name when it is not
// one chatd accepts).
func wireNode(a etf.Atom) wire.NodeName {
	n, _ := wire.ParseNodeName(string(a), "")
	return n
}
