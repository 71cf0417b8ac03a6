package link

import (
	"fmt"

	"chatd/wire"
)

// yamuxLog passes yamux's log lines on at debug level, naming the peer.
// Why a session ended is learnt from the errors yamux returns (see
// Link.downReason), never from these lines.
type yamuxLog struct {
	peer  wire.NodeName
	debug func(msg string, args ...any)
}

func (y *yamuxLog) Print(v ...any) { y.line(fmt.Sprint(v...)) }

func (y *yamuxLog) Printf(format string, v ...any) { y.line(fmt.Sprintf(format, v...)) }

func (y *yamuxLog) Println(v ...any) { y.line(fmt.Sprintln(v...)) }

func (y *yamuxLog) line(s string) { y.debug("yamux", "node", y.peer.String(), "line", s) }
