package beam

import (
	"errors"

	"chatd/wire"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// dispatch handles one frame body from the peer, on the reader goroutine.
// A frame chatd cannot decode is dropped and logged; the connection stays
// (BEAM.md §9.2).
func (c *Conn) dispatch(body []byte) {
	f, err := dist.ParseFrame(body, c.decoder)
	if err != nil {
		if errors.Is(err, dist.ErrNotPassThrough) {
			c.close(wire.ReasonConnectionLost, "the peer does not speak pass-through frames: "+err.Error())
			return
		}
		c.m.log.Warn("dropping a frame from an Erlang node", "node", c.peer.String(), "err", err)
		return
	}
	m := c.m
	switch ctl := f.Control.(type) {
	case dist.Link:
		m.link(ctl.To, ctl.From)
	case dist.Unlink:
		m.unlink(ctl.To, ctl.From)
	case dist.UnlinkID:
		m.unlink(ctl.To, ctl.From)
		c.write(dist.UnlinkIDAck{ID: ctl.ID, From: ctl.To, To: ctl.From}, nil)
	case dist.UnlinkIDAck, dist.GroupLeader:
	case dist.Exit:
		m.exitSignal(ctl.To, ctl.From, ctl.Reason, true)
	case dist.Exit2:
		m.exitSignal(ctl.To, ctl.From, ctl.Reason, false)
	case dist.PayloadExit:
		c.withReason(f, func(r etf.Term) { m.exitSignal(ctl.To, ctl.From, r, true) })
	case dist.PayloadExit2:
		c.withReason(f, func(r etf.Term) { m.exitSignal(ctl.To, ctl.From, r, false) })
	case dist.MonitorP:
		m.monitored(ctl.From, ctl.To, ctl.Ref)
	case dist.DemonitorP:
		m.demonitored(ctl.To, ctl.Ref)
	case dist.MonitorPExit:
		m.fireDown(ctl.Ref, ctl.Reason)
	case dist.PayloadMonitorPExit:
		c.withReason(f, func(r etf.Term) { m.fireDown(ctl.Ref, r) })
	case dist.Send:
		c.withMessage(f, func(msg etf.Term) { m.deliver(etf.Pid{}, ctl.To, msg) })
	case dist.SendSender:
		c.withMessage(f, func(msg etf.Term) { m.deliver(ctl.From, ctl.To, msg) })
	case dist.RegSend:
		c.withMessage(f, func(msg etf.Term) { m.deliverNamed(ctl.From, ctl.To, msg) })
	case dist.AliasSend:
		if p := m.procs.byAlias(ctl.Alias); p != nil { // to an unknown alias: dropped, as the BEAM does
			c.withMessage(f, func(msg etf.Term) { p.recv(ctl.From, msg) })
		}
	case dist.SpawnRequest:
		c.withMessage(f, func(args etf.Term) { c.spawnRequest(ctl, args) })
	case dist.SpawnReply:
		m.spawnReply(ctl)
	default:
		m.log.Debug("ignoring a control message from an Erlang node", "node", c.peer.String(), "op", ctl.Op().String())
	}
}

// withMessage decodes the frame's message and hands it to use; one that
// cannot be decoded drops the frame.
func (c *Conn) withMessage(f dist.Frame, use func(etf.Term)) {
	c.withTerm(f, "a message", f.Message, use)
}

// withReason is withMessage for the reason of a PAYLOAD_ exit.
func (c *Conn) withReason(f dist.Frame, use func(etf.Term)) {
	c.withTerm(f, "an exit signal", f.Reason, use)
}

// withTerm hands use the term decode reads from the frame, or drops the
// frame, logging what it carried, when it cannot be decoded.
func (c *Conn) withTerm(f dist.Frame, what string, decode func(etf.Decoder) (etf.Term, error), use func(etf.Term)) {
	t, err := decode(c.decoder)
	if err != nil {
		c.m.log.Warn("dropping "+what+" from an Erlang node", "node", c.peer.String(), "op", f.Control.Op().String(), "err", err)
		return
	}
	use(t)
}

// deliver hands a message to the local process to: one of this package's,
// or one of the core's (as chatd's text, see text.go). A message to a
// process that is not there is dropped, as the BEAM does.
func (m *Manager) deliver(from, to etf.Pid, msg etf.Term) {
	if p := m.procs.lookup(to); p != nil {
		p.recv(from, msg)
		return
	}
	if to.Serial >= pidSerialBase || !m.procs.ours(to) {
		return
	}
	m.deliverToCore(from, to, msg)
}

// deliverNamed hands a message to a registered process; a message to a
// name nobody holds is dropped.
func (m *Manager) deliverNamed(from etf.Pid, name etf.Atom, msg etf.Term) {
	if p := m.procs.byName(name); p != nil {
		p.recv(from, msg)
		return
	}
	m.log.Debug("dropping a message to an unregistered name", "name", string(name), "from", etf.Inspect(from))
}

// deliverToCore hands a message for one of the core's processes (the
// shell, a spawned builtin) to the core, as text.
func (m *Manager) deliverToCore(from, to etf.Pid, msg etf.Term) {
	text, sender := messageText(msg, from)
	wto, ok := toWire(to)
	if !ok {
		return
	}
	wfrom, _ := toWire(sender)
	if err := m.cfg.Local.Deliver(wfrom, wto, text); err != nil {
		m.log.Debug("dropping a message from an Erlang node", "to", wto.String(), "err", err)
	}
}
