package dist

import (
	"math"
	"math/big"

	"chatd/wire/etf"
)

// Control is a typed control message: the first term of a 112 frame
// (BEAM.md §3, erl_dist_protocol "Protocol between connected nodes").
// ParseControl builds one from a decoded tuple; Tuple turns it back into
// the tuple that is encoded.
type Control interface {
	Op() Op
	Tuple() etf.Tuple
}

// Link is LINK {1, From, To}.
type Link struct{ From, To etf.Pid }

// Send is SEND {2, Unused, To}, followed by the message. The second element,
// once the cookie, is unused: Tuple writes the empty atom and parsing
// ignores it.
type Send struct{ To etf.Pid }

// Exit is EXIT {3, From, To, Reason}: a linked process ended (also with
// reason normal).
type Exit struct {
	From, To etf.Pid
	Reason   etf.Term
}

// Unlink is the obsolete UNLINK {4, From, To} of peers without UNLINK_ID.
type Unlink struct{ From, To etf.Pid }

// RegSend is REG_SEND {6, From, Unused, To}, followed by the message for
// the process registered as To; Unused is written as the empty atom.
type RegSend struct {
	From etf.Pid
	To   etf.Atom
}

// GroupLeader is GROUP_LEADER {7, From, To}: From becomes To's group leader.
type GroupLeader struct{ From, To etf.Pid }

// Exit2 is EXIT2 {8, From, To, Reason}: erlang:exit(To, Reason) from From.
type Exit2 struct {
	From, To etf.Pid
	Reason   etf.Term
}

// MonitorP is MONITOR_P {19, From, To, Ref}; To is a pid or a name
// registered on the receiving node.
type MonitorP struct {
	From etf.Pid
	To   Proc
	Ref  etf.Ref
}

// DemonitorP is DEMONITOR_P {20, From, To, Ref}.
type DemonitorP struct {
	From etf.Pid
	To   Proc
	Ref  etf.Ref
}

// MonitorPExit is MONITOR_P_EXIT {21, From, To, Ref, Reason}, the DOWN of a
// monitor; From is what was monitored, a pid or the name.
type MonitorPExit struct {
	From   Proc
	To     etf.Pid
	Ref    etf.Ref
	Reason etf.Term
}

// SendSender is SEND_SENDER {22, From, To}, followed by the message; it
// replaces SEND when SEND_SENDER is negotiated.
type SendSender struct{ From, To etf.Pid }

// PayloadExit is PAYLOAD_EXIT {24, From, To}, followed by the reason; it
// replaces EXIT when EXIT_PAYLOAD is negotiated.
type PayloadExit struct{ From, To etf.Pid }

// PayloadExit2 is PAYLOAD_EXIT2 {26, From, To}, followed by the reason; it
// replaces EXIT2 when EXIT_PAYLOAD is negotiated.
type PayloadExit2 struct{ From, To etf.Pid }

// PayloadMonitorPExit is PAYLOAD_MONITOR_P_EXIT {28, From, To, Ref},
// followed by the reason; it replaces MONITOR_P_EXIT when EXIT_PAYLOAD is
// negotiated.
type PayloadMonitorPExit struct {
	From Proc
	To   etf.Pid
	Ref  etf.Ref
}

// SpawnRequest is SPAWN_REQUEST {29, ReqID, From, GroupLeader, {Module,
// Function, Arity}, Opts}, followed by the argument list (BEAM.md §5.1).
// Opts holds the spawn options, such as link and monitor.
type SpawnRequest struct {
	ReqID            etf.Ref
	From             etf.Pid
	GroupLeader      etf.Pid
	Module, Function etf.Atom
	Arity            uint8
	Opts             []etf.Term
}

// SpawnFlags say what a SPAWN_REPLY set up.
type SpawnFlags uint32

// The spawn reply flags.
const (
	SpawnLinked    SpawnFlags = 1 // a link to the requester
	SpawnMonitored SpawnFlags = 2 // a monitor by the requester, whose reference is the ReqID
)

// SpawnReply is SPAWN_REPLY {31, ReqID, To, Flags, Result}: Result is the
// new pid, or when Err is set the error atom (such as notsup, badopt).
type SpawnReply struct {
	ReqID etf.Ref
	To    etf.Pid
	Flags SpawnFlags
	Pid   etf.Pid
	Err   etf.Atom
}

// AliasSend is ALIAS_SEND {33, From, Alias}, followed by the message for the
// process that made the alias.
type AliasSend struct {
	From  etf.Pid
	Alias etf.Ref
}

// UnlinkID is UNLINK_ID {35, ID, From, To}; the receiver removes the link
// and answers with UnlinkIDAck of the same ID.
type UnlinkID struct {
	ID       uint64
	From, To etf.Pid
}

// UnlinkIDAck is UNLINK_ID_ACK {36, ID, From, To}.
type UnlinkIDAck struct {
	ID       uint64
	From, To etf.Pid
}

// Op returns OpLink.
func (Link) Op() Op { return OpLink }

// Op returns OpSend.
func (Send) Op() Op { return OpSend }

// Op returns OpExit.
func (Exit) Op() Op { return OpExit }

// Op returns OpUnlink.
func (Unlink) Op() Op { return OpUnlink }

// Op returns OpRegSend.
func (RegSend) Op() Op { return OpRegSend }

// Op returns OpGroupLeader.
func (GroupLeader) Op() Op { return OpGroupLeader }

// Op returns OpExit2.
func (Exit2) Op() Op { return OpExit2 }

// Op returns OpMonitorP.
func (MonitorP) Op() Op { return OpMonitorP }

// Op returns OpDemonitorP.
func (DemonitorP) Op() Op { return OpDemonitorP }

// Op returns OpMonitorPExit.
func (MonitorPExit) Op() Op { return OpMonitorPExit }

// Op returns OpSendSender.
func (SendSender) Op() Op { return OpSendSender }

// Op returns OpPayloadExit.
func (PayloadExit) Op() Op { return OpPayloadExit }

// Op returns OpPayloadExit2.
func (PayloadExit2) Op() Op { return OpPayloadExit2 }

// Op returns OpPayloadMonitorPExit.
func (PayloadMonitorPExit) Op() Op { return OpPayloadMonitorPExit }

// Op returns OpSpawnRequest.
func (SpawnRequest) Op() Op { return OpSpawnRequest }

// Op returns OpSpawnReply.
func (SpawnReply) Op() Op { return OpSpawnReply }

// Op returns OpAliasSend.
func (AliasSend) Op() Op { return OpAliasSend }

// Op returns OpUnlinkID.
func (UnlinkID) Op() Op { return OpUnlinkID }

// Op returns OpUnlinkIDAck.
func (UnlinkIDAck) Op() Op { return OpUnlinkIDAck }

// Tuple returns the control tuple.
func (c Link) Tuple() etf.Tuple { return etf.Tuple{int64(OpLink), c.From, c.To} }

// Tuple returns the control tuple.
func (c Send) Tuple() etf.Tuple { return etf.Tuple{int64(OpSend), etf.Empty, c.To} }

// Tuple returns the control tuple.
func (c Exit) Tuple() etf.Tuple { return etf.Tuple{int64(OpExit), c.From, c.To, c.Reason} }

// Tuple returns the control tuple.
func (c Unlink) Tuple() etf.Tuple { return etf.Tuple{int64(OpUnlink), c.From, c.To} }

// Tuple returns the control tuple.
func (c RegSend) Tuple() etf.Tuple { return etf.Tuple{int64(OpRegSend), c.From, etf.Empty, c.To} }

// Tuple returns the control tuple.
func (c GroupLeader) Tuple() etf.Tuple { return etf.Tuple{int64(OpGroupLeader), c.From, c.To} }

// Tuple returns the control tuple.
func (c Exit2) Tuple() etf.Tuple { return etf.Tuple{int64(OpExit2), c.From, c.To, c.Reason} }

// Tuple returns the control tuple.
func (c MonitorP) Tuple() etf.Tuple { return etf.Tuple{int64(OpMonitorP), c.From, c.To.Term(), c.Ref} }

// Tuple returns the control tuple.
func (c DemonitorP) Tuple() etf.Tuple {
	return etf.Tuple{int64(OpDemonitorP), c.From, c.To.Term(), c.Ref}
}

// Tuple returns the control tuple.
func (c SendSender) Tuple() etf.Tuple { return etf.Tuple{int64(OpSendSender), c.From, c.To} }

// Tuple returns the control tuple.
func (c PayloadExit) Tuple() etf.Tuple { return etf.Tuple{int64(OpPayloadExit), c.From, c.To} }

// Tuple returns the control tuple.
func (c AliasSend) Tuple() etf.Tuple { return etf.Tuple{int64(OpAliasSend), c.From, c.Alias} }

// Tuple returns the control tuple.
func (c MonitorPExit) Tuple() etf.Tuple {
	return etf.Tuple{int64(OpMonitorPExit), c.From.Term(), c.To, c.Ref, c.Reason}
}

// Tuple returns the control tuple.
func (c PayloadExit2) Tuple() etf.Tuple { return etf.Tuple{int64(OpPayloadExit2), c.From, c.To} }

// Tuple returns the control tuple.
func (c PayloadMonitorPExit) Tuple() etf.Tuple {
	return etf.Tuple{int64(OpPayloadMonitorPExit), c.From.Term(), c.To, c.Ref}
}

// Tuple returns the control tuple.
func (c SpawnRequest) Tuple() etf.Tuple {
	mfa := etf.Tuple{c.Module, c.Function, int64(c.Arity)}
	return etf.Tuple{int64(OpSpawnRequest), c.ReqID, c.From, c.GroupLeader, mfa, etf.List(c.Opts)}
}

// Tuple returns the control tuple.
func (c SpawnReply) Tuple() etf.Tuple {
	var result etf.Term = c.Pid
	if c.Err != "" {
		result = c.Err
	}
	return etf.Tuple{int64(OpSpawnReply), c.ReqID, c.To, int64(c.Flags), result}
}

// Tuple returns the control tuple.
func (c UnlinkID) Tuple() etf.Tuple {
	return etf.Tuple{int64(OpUnlinkID), uintTerm(c.ID), c.From, c.To}
}

// Tuple returns the control tuple.
func (c UnlinkIDAck) Tuple() etf.Tuple {
	return etf.Tuple{int64(OpUnlinkIDAck), uintTerm(c.ID), c.From, c.To}
}

// uintTerm returns an unsigned ID as an integer term.
func uintTerm(n uint64) etf.Term {
	if n <= math.MaxInt64 {
		return int64(n)
	}
	return new(big.Int).SetUint64(n)
}
