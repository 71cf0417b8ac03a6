package spawn

import (
	"context"
	"fmt"
	"net"
	"time"

	"chatd/daemon/peer"
	"chatd/wire"
)

// Serve serves one spawn stream from caller: it starts the process with
// local, then relays its output and exit to the caller. The stream is the
// link between the process and the caller's shell: when it ends, the
// process is killed. linger bounds the wait for the caller to close the
// stream after the exit.
func Serve(_ context.Context, local peer.Local, caller wire.NodeName, s net.Conn, fr *wire.FrameReader, linger time.Duration) {
	f, err := fr.ReadFrame()
	if err != nil {
		return
	}
	sp, err := wire.ParseSpawn(f.Payload)
	if err != nil || f.Type != wire.FrameSpawn {
		_ = wire.WriteFrame(s, wire.FrameError, wire.ErrorPayload(wire.CodeBadRequest, fmt.Sprintf("bad spawn: %v", err)))
		return
	}
	lines := make(chan string)
	quit := make(chan struct{})
	p, err := local.StartProcess(caller, sp, func(line string) {
		select {
		case lines <- line:
		case <-quit:
		}
	})
	if err != nil {
		code, msg := peer.Describe(err)
		_ = wire.WriteFrame(s, wire.FrameError, wire.ErrorPayload(code, msg))
		return
	}
	defer close(quit)
	if err := wire.WriteFrame(s, wire.FrameSpawned, wire.AppendPidPayload(nil, p.Pid())); err != nil {
		p.Kill(wire.ExitNoConnection)
	}
	callerGone := make(chan struct{})
	go func() { // the caller's side of the link: its end kills the process
		defer close(callerGone)
		for {
			if _, err := fr.ReadFrame(); err != nil {
				p.Kill(wire.ExitNoConnection)
				return
			}
		}
	}()
	relay(s, lines, p)
	_ = wire.WriteFrame(s, wire.FrameExit, []byte(p.Reason()))
	_ = s.SetReadDeadline(time.Now().Add(linger))
	<-callerGone
}

// relay writes the process's output lines until it ends.
func relay(s net.Conn, lines <-chan string, p peer.Process) {
	for {
		select {
		case line := <-lines:
			if err := wire.WriteFrame(s, wire.FrameOutput, []byte(line)); err != nil {
				p.Kill(wire.ExitNoConnection)
			}
		case <-p.Done():
			return
		}
	}
}
