package dist

import (
	"strconv"

	"chatd/wire/etf"
)

// Op is a control message's operation, the first element of its tuple
// (DOP_* of OTP's erts/emulator/beam/dist.h).
type Op int64

// The operations. Those marked "not parsed" have no Control type: they
// carry a sequential-trace token (the _TT forms, sent only while the peer
// traces) or are obsolete, and ParseControl reports them as unknown.
const (
	OpLink                Op = 1  // {1, FromPid, ToPid}
	OpSend                Op = 2  // {2, Unused, ToPid} + Message
	OpExit                Op = 3  // {3, FromPid, ToPid, Reason}
	OpUnlink              Op = 4  // {4, FromPid, ToPid}, obsolete: UNLINK_ID replaces it
	OpNodeLink            Op = 5  // not parsed (obsolete)
	OpRegSend             Op = 6  // {6, FromPid, Unused, ToName} + Message
	OpGroupLeader         Op = 7  // {7, FromPid, ToPid}
	OpExit2               Op = 8  // {8, FromPid, ToPid, Reason}
	OpSendTT              Op = 12 // not parsed
	OpExitTT              Op = 13 // not parsed
	OpRegSendTT           Op = 16 // not parsed
	OpExit2TT             Op = 18 // not parsed
	OpMonitorP            Op = 19 // {19, FromPid, ToProc, Ref}
	OpDemonitorP          Op = 20 // {20, FromPid, ToProc, Ref}
	OpMonitorPExit        Op = 21 // {21, FromProc, ToPid, Ref, Reason}
	OpSendSender          Op = 22 // {22, FromPid, ToPid} + Message
	OpSendSenderTT        Op = 23 // not parsed
	OpPayloadExit         Op = 24 // {24, FromPid, ToPid} + Reason
	OpPayloadExitTT       Op = 25 // not parsed
	OpPayloadExit2        Op = 26 // {26, FromPid, ToPid} + Reason
	OpPayloadExit2TT      Op = 27 // not parsed
	OpPayloadMonitorPExit Op = 28 // {28, FromProc, ToPid, Ref} + Reason
	OpSpawnRequest        Op = 29 // {29, ReqId, FromPid, GroupLeader, {M, F, Arity}, Opts} + ArgList
	OpSpawnRequestTT      Op = 30 // not parsed
	OpSpawnReply          Op = 31 // {31, ReqId, ToPid, Flags, Result}
	OpSpawnReplyTT        Op = 32 // not parsed
	OpAliasSend           Op = 33 // {33, FromPid, Alias} + Message
	OpAliasSendTT         Op = 34 // not parsed
	OpUnlinkID            Op = 35 // {35, Id, FromPid, ToPid}
	OpUnlinkIDAck         Op = 36 // {36, Id, FromPid, ToPid}
)

var opNames = map[Op]string{
	OpLink: "LINK", OpSend: "SEND", OpExit: "EXIT", OpUnlink: "UNLINK", OpNodeLink: "NODE_LINK",
	OpRegSend: "REG_SEND", OpGroupLeader: "GROUP_LEADER", OpExit2: "EXIT2", OpSendTT: "SEND_TT",
	OpExitTT: "EXIT_TT", OpRegSendTT: "REG_SEND_TT", OpExit2TT: "EXIT2_TT", OpMonitorP: "MONITOR_P",
	OpDemonitorP: "DEMONITOR_P", OpMonitorPExit: "MONITOR_P_EXIT", OpSendSender: "SEND_SENDER",
	OpSendSenderTT: "SEND_SENDER_TT", OpPayloadExit: "PAYLOAD_EXIT", OpPayloadExitTT: "PAYLOAD_EXIT_TT",
	OpPayloadExit2: "PAYLOAD_EXIT2", OpPayloadExit2TT: "PAYLOAD_EXIT2_TT",
	OpPayloadMonitorPExit: "PAYLOAD_MONITOR_P_EXIT", OpSpawnRequest: "SPAWN_REQUEST",
	OpSpawnRequestTT: "SPAWN_REQUEST_TT", OpSpawnReply: "SPAWN_REPLY", OpSpawnReplyTT: "SPAWN_REPLY_TT",
	OpAliasSend: "ALIAS_SEND", OpAliasSendTT: "ALIAS_SEND_TT", OpUnlinkID: "UNLINK_ID",
	OpUnlinkIDAck: "UNLINK_ID_ACK",
}

// String returns OTP's name and the number, like "REG_SEND (6)".
func (o Op) String() string {
	n := strconv.FormatInt(int64(o), 10)
	if name, ok := opNames[o]; ok {
		return name + " (" + n + ")"
	}
	return "op " + n
}

// HasPayload reports whether a frame of this operation carries a second
// term after the control tuple: the message, the exit reason or the
// spawn's argument list.
func (o Op) HasPayload() bool {
	switch o {
	case OpSend, OpRegSend, OpSendSender, OpAliasSend, OpPayloadExit, OpPayloadExit2,
		OpPayloadMonitorPExit, OpSpawnRequest, OpSendTT, OpRegSendTT, OpSendSenderTT,
		OpAliasSendTT, OpPayloadExitTT, OpPayloadExit2TT, OpSpawnRequestTT:
		return true
	}
	return false
}

// Proc names the target or source of a monitor: a pid, or (Pid zero, Name
// set) a process registered under Name on the node that receives the
// monitor. It is comparable, so it works as a Go map key.
type Proc struct {
	Pid  etf.Pid
	Name etf.Atom
}

// ProcPid returns the Proc of a pid.
func ProcPid(p etf.Pid) Proc { return Proc{Pid: p} }

// ProcName returns the Proc of a registered name.
func ProcName(name etf.Atom) Proc { return Proc{Name: name} }

// IsName reports whether p is a registered name rather than a pid.
func (p Proc) IsName() bool { return p.Name != "" }

// Term returns p as it goes in a control tuple: the atom or the pid.
func (p Proc) Term() etf.Term {
	if p.IsName() {
		return p.Name
	}
	return p.Pid
}

// String returns the name or the pid as Inspect prints them.
func (p Proc) String() string { return etf.Inspect(p.Term()) }
