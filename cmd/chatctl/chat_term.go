package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/chzyer/readline"

	"chatd/wire"
)

// SGR colours, used only on a terminal and never with NO_COLOR.
const (
	sgrReset  = "\x1b[0m"
	sgrPeer   = "\x1b[36m" // cyan: the node chatted with
	sgrOther  = "\x1b[33m" // yellow: anyone else
	sgrFailed = "\x1b[31m" // red: a line not delivered
	sgrNote   = "\x1b[2m"  // dim: chatctl's own notes
)

// palette paints text, or leaves it plain.
type palette bool

func (p palette) paint(sgr, text string) string {
	if !p {
		return text
	}
	return sgr + text + sgrReset
}

// colourful reports whether output to w may be coloured: w is a terminal
// and NO_COLOR is unset or empty (no-color.org).
func colourful(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, tty := terminal(f)
	return tty
}

// interactive chats on the terminal in: a line editor for what is typed,
// the node's received messages printed above it as they arrive.
func (s *chatSession) interactive(ctx context.Context, in *os.File) error {
	pal := palette(colourful(s.c.App.Writer))
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          s.prompt(),
		Stdin:           readline.NewCancelableStdin(in),
		Stdout:          s.c.App.Writer,
		Stderr:          s.c.App.ErrWriter,
		HistoryLimit:    500,
		InterruptPrompt: "^C",
		EOFPrompt:       "",
	})
	if err != nil {
		return fmt.Errorf("chat: start the line editor: %w", err)
	}
	defer rl.Close()
	stop := context.AfterFunc(ctx, func() { _ = rl.Close() }) // SIGTERM
	defer stop()
	fmt.Fprintln(rl.Stdout(), pal.paint(sgrNote, fmt.Sprintf("chatting with %s as %s; /help for commands", s.peer, s.self)))

	fctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var ended error // set by the follower before it closes rl
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := s.cl.FollowMessages(fctx, 0, func(m wire.Message) error {
			fmt.Fprintln(rl.Stdout(), s.incoming(m, pal))
			return nil
		})
		if fctx.Err() == nil {
			ended = &streamEndedError{what: "chat", socket: s.cl.Socket(), err: err}
			_ = rl.Close()
		}
	}()
	err = s.readLines(ctx, rl, pal)
	cancel()
	wg.Wait()
	if ended != nil {
		return ended
	}
	return err
}

// readLines reads and acts on what is typed until the user leaves.
func (s *chatSession) readLines(ctx context.Context, rl *readline.Instance, pal palette) error {
	for {
		line, err := rl.Readline()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			if line == "" {
				return nil // Ctrl-C on an empty line
			}
			continue
		case errors.Is(err, io.EOF):
			return nil // Ctrl-D, or the chat was closed
		case err != nil:
			return fmt.Errorf("chat: read the terminal: %w", err)
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if quit := s.command(ctx, rl, pal, line); quit {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// command acts on one typed line: a /command, or text to send. It
// reports whether the user asked to leave.
func (s *chatSession) command(ctx context.Context, rl *readline.Instance, pal palette, line string) bool {
	text, isText := chatText(line)
	if isText {
		if err := s.send(ctx, text); err != nil && ctx.Err() == nil {
			fmt.Fprintln(rl.Stderr(), pal.paint(sgrFailed, "not delivered: "+err.Error()))
		}
		return false
	}
	switch cmd := strings.Fields(line)[0]; cmd {
	case "/quit", "/exit":
		return true
	case "/who":
		fmt.Fprintln(rl.Stdout(), pal.paint(sgrNote, s.who(ctx)))
	case "/help":
		fmt.Fprintln(rl.Stdout(), pal.paint(sgrNote, "/who lists the linked nodes, /quit (or Ctrl-D) leaves;\n"+
			"a line starting with // is sent with one / less; anything else is sent to "+s.peer))
	default:
		fmt.Fprintln(rl.Stderr(), pal.paint(sgrFailed, "unknown command "+printable(cmd)+"; /help lists them"))
	}
	return false
}

// chatText returns the text a typed line sends and true, or false for a
// /command; "//x" sends "/x".
func chatText(line string) (string, bool) {
	if rest, ok := strings.CutPrefix(line, "//"); ok {
		return "/" + rest, true
	}
	return line, !strings.HasPrefix(line, "/")
}

// who describes the nodes this node is linked to.
func (s *chatSession) who(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, globalTimeout(s.c))
	defer cancel()
	resp, err := s.cl.Nodes(ctx)
	if err != nil {
		return "/who: " + err.Error()
	}
	if len(resp.Links) == 0 {
		return s.self + " is linked to no nodes"
	}
	parts := make([]string, len(resp.Links))
	for i, l := range resp.Links {
		parts[i] = fmt.Sprintf("%s (%s, %s)", l.Node, l.Protocol, l.Direction)
	}
	return s.self + " is linked to " + strings.Join(parts, ", ")
}

// prompt is the peer's name, its host left out when it is this node's.
func (s *chatSession) prompt() string {
	name, host, _ := strings.Cut(s.peer, "@")
	if _, own, _ := strings.Cut(s.self, "@"); host == own {
		return name + "> "
	}
	return s.peer + "> "
}

// incoming is how a received message shows: the peer's plainly, anyone
// else's with the sender in brackets.
//
//	15:04:07 kate@localhost: hello alex
//	15:04:09 [moebi@localhost] chicken?
func (s *chatSession) incoming(m wire.Message, pal palette) string {
	at := m.Time.Local().Format("15:04:05")
	if m.From == s.peer {
		return at + " " + pal.paint(sgrPeer, printable(m.From)+":") + " " + printable(m.Text)
	}
	return at + " " + pal.paint(sgrOther, "["+printable(m.From)+"]") + " " + printable(m.Text)
}
