package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"chatd/client"
	"chatd/wire"
)

// chatHelp is `chatctl chat --help`'s description.
const chatHelp = "On a terminal: each line typed is sent to NODE as `chatctl send NODE LINE` sends it\n" +
	"(success means NODE's sink took it); a line that could not be delivered is shown with\n" +
	"the reason, and the chat goes on. Messages this node receives appear as they arrive,\n" +
	"above the line being typed: NODE's plainly, anyone else's marked with their name in\n" +
	"brackets. The line editor keeps a history (up and down arrows, Ctrl-R to search).\n" +
	"/who lists the nodes this node is linked to, /help the commands; /quit, Ctrl-D or\n" +
	"Ctrl-C on an empty line leave. Colours only on a terminal, and never with NO_COLOR.\n\n" +
	"With standard input not a terminal (a pipe, a file) it sends each line, skipping\n" +
	"empty ones, and exits at the end of the input, printing nothing but the lines that\n" +
	"could not be delivered (on stderr); it exits 1 if any could not, else 0.\n\n" +
	"Example:\n   $ chatctl --node alex chat kate\n" +
	"   chatting with kate@localhost as alex@localhost; /help for commands\n" +
	"   kate> hi\n   15:04:07 kate@localhost: hello alex\n" +
	"   15:04:09 [moebi@localhost] chicken?\n" +
	"   $ tail -f notes | chatctl chat kate"

// chatCommand is `chatctl chat NODE`: an interactive chat with NODE.
func chatCommand() *cli.Command {
	return &cli.Command{
		Name:        "chat",
		Usage:       "chat with NODE: send each line typed, show the messages that arrive",
		ArgsUsage:   "NODE",
		Description: chatHelp,
		Action: func(c *cli.Context) error {
			typed, peer, err := nodeArg(c)
			if err != nil {
				return err
			}
			return runChat(c, typed, peer)
		},
	}
}

// chatSession is what both ways of chatting share.
type chatSession struct {
	c      *cli.Context
	cl     *client.Client
	self   string // this node's full name
	peer   string // the node chatted with, full name
	target string // the peer as typed, as POST /v1/send takes it
}

// runChat finds the local node to speak as and chats until the input ends,
// the user leaves, or SIGTERM (SIGINT too, when not on a terminal).
func runChat(c *cli.Context, typed string, peer wire.NodeName) error {
	ctx, stop := interruptible(c)
	defer stop()
	sock, err := selected(c, peer.Name).resolve(ctx)
	if err != nil {
		return err
	}
	s := &chatSession{c: c, cl: newClient(c, sock), target: typed}
	defer s.cl.CloseIdleConnections()
	sctx, cancel := context.WithTimeout(ctx, globalTimeout(c))
	st, err := s.cl.Status(sctx)
	cancel()
	if err != nil {
		return err
	}
	s.self = st.Node
	s.peer = peer.String()
	if peer.Host == "" { // the daemon completes a bare name with its own host
		_, host, _ := strings.Cut(st.Node, "@")
		s.peer = peer.Name + "@" + host
	}
	if in, ok := terminal(c.App.Reader); ok {
		return s.interactive(ctx, in)
	}
	return s.pipe(ctx, c.App.Reader)
}

// terminal returns r as a file when it is a terminal.
func terminal(r io.Reader) (*os.File, bool) {
	f, ok := r.(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// send sends one line, bounded by the global --timeout.
func (s *chatSession) send(ctx context.Context, text string) error {
	ctx, cancel := context.WithTimeout(ctx, globalTimeout(s.c))
	defer cancel()
	_, err := s.cl.Send(ctx, s.target, text)
	return err
}

// chatFailedError ends a piped chat in which some lines were not
// delivered. It maps to exitFailure.
type chatFailedError struct {
	peer          string
	failed, lines int
}

func (e *chatFailedError) Error() string {
	return fmt.Sprintf("chat: %d of %d lines could not be delivered to %s", e.failed, e.lines, e.peer)
}
