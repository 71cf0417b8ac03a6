package dist

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"chatd/wire/etf"
)

var (
	// ErrBadFrame is wrapped by every error about one frame's content: the
	// frame is dropped, the connection kept (BEAM.md §9.2).
	ErrBadFrame = errors.New("dist: bad frame")
	// ErrUnknownOp is wrapped by *UnknownOpError.
	ErrUnknownOp = errors.New("dist: unsupported control message")
)

// UnknownOpError reports a control message whose operation has no Control
// type here (the trace-token forms, or a number this package does not
// know). It wraps both ErrUnknownOp and ErrBadFrame.
type UnknownOpError struct {
	Op Op
}

func (e *UnknownOpError) Error() string { return ErrUnknownOp.Error() + " " + e.Op.String() }

// Unwrap returns ErrUnknownOp and ErrBadFrame.
func (e *UnknownOpError) Unwrap() []error { return []error{ErrUnknownOp, ErrBadFrame} }

// arities are the tuple sizes of the operations with a Control type.
var arities = map[Op]int{
	OpLink: 3, OpSend: 3, OpExit: 4, OpUnlink: 3, OpRegSend: 4, OpGroupLeader: 3, OpExit2: 4,
	OpMonitorP: 4, OpDemonitorP: 4, OpMonitorPExit: 5, OpSendSender: 3, OpPayloadExit: 3,
	OpPayloadExit2: 3, OpPayloadMonitorPExit: 4, OpSpawnRequest: 6, OpSpawnReply: 5, OpAliasSend: 3,
	OpUnlinkID: 4, OpUnlinkIDAck: 4,
}

// ParseControl turns a decoded control tuple into its typed message. An
// operation without a type gives an *UnknownOpError; a tuple of the wrong
// shape an error naming the element.
func ParseControl(t etf.Term) (Control, error) {
	tup, ok := t.(etf.Tuple)
	if !ok || len(tup) == 0 {
		return nil, fmt.Errorf("%w: control message %s is not a tuple with an operation", ErrBadFrame, etf.Inspect(t))
	}
	n, ok := etf.Int64(tup[0])
	if !ok {
		return nil, fmt.Errorf("%w: control message operation %s is not an integer", ErrBadFrame, etf.Inspect(tup[0]))
	}
	op := Op(n)
	arity, ok := arities[op]
	if !ok {
		return nil, &UnknownOpError{Op: op}
	}
	if len(tup) != arity {
		return nil, fmt.Errorf("%w: %s control tuple of %d elements, want %d", ErrBadFrame, op, len(tup), arity)
	}
	f := &fields{t: tup, op: op}
	c := f.control()
	if f.err != nil {
		return nil, f.err
	}
	return c, nil
}

func (f *fields) control() Control {
	switch f.op {
	case OpLink:
		return Link{From: f.pid(1), To: f.pid(2)}
	case OpSend:
		return Send{To: f.pid(2)}
	case OpExit:
		return Exit{From: f.pid(1), To: f.pid(2), Reason: f.t[3]}
	case OpUnlink:
		return Unlink{From: f.pid(1), To: f.pid(2)}
	case OpRegSend:
		return RegSend{From: f.pid(1), To: f.atom(3)}
	case OpGroupLeader:
		return GroupLeader{From: f.pid(1), To: f.pid(2)}
	case OpExit2:
		return Exit2{From: f.pid(1), To: f.pid(2), Reason: f.t[3]}
	case OpMonitorP:
		return MonitorP{From: f.pid(1), To: f.proc(2), Ref: f.ref(3)}
	case OpDemonitorP:
		return DemonitorP{From: f.pid(1), To: f.proc(2), Ref: f.ref(3)}
	case OpMonitorPExit:
		return MonitorPExit{From: f.proc(1), To: f.pid(2), Ref: f.ref(3), Reason: f.t[4]}
	case OpSendSender:
		return SendSender{From: f.pid(1), To: f.pid(2)}
	case OpPayloadExit:
		return PayloadExit{From: f.pid(1), To: f.pid(2)}
	case OpPayloadExit2:
		return PayloadExit2{From: f.pid(1), To: f.pid(2)}
	case OpPayloadMonitorPExit:
		return PayloadMonitorPExit{From: f.proc(1), To: f.pid(2), Ref: f.ref(3)}
	case OpSpawnRequest:
		return f.spawnRequest()
	case OpSpawnReply:
		return f.spawnReply()
	case OpAliasSend:
		return AliasSend{From: f.pid(1), Alias: f.ref(2)}
	case OpUnlinkID:
		return UnlinkID{ID: f.id(1), From: f.pid(2), To: f.pid(3)}
	}
	return UnlinkIDAck{ID: f.id(1), From: f.pid(2), To: f.pid(3)}
}

// fields reads the elements of a control tuple, keeping the first error.
type fields struct {
	t   etf.Tuple
	op  Op
	err error
}

func (f *fields) fail(i int, want string) {
	if f.err == nil {
		f.err = fmt.Errorf("%w: %s element %d is %s, want %s", ErrBadFrame, f.op, i, etf.Inspect(f.t[i]), want)
	}
}

func (f *fields) pid(i int) etf.Pid {
	p, ok := f.t[i].(etf.Pid)
	if !ok {
		f.fail(i, "a pid")
	}
	return p
}

func (f *fields) ref(i int) etf.Ref {
	r, ok := f.t[i].(etf.Ref)
	if !ok {
		f.fail(i, "a reference")
	}
	return r
}

func (f *fields) atom(i int) etf.Atom {
	a, ok := f.t[i].(etf.Atom)
	if !ok {
		f.fail(i, "an atom")
	}
	return a
}

func (f *fields) proc(i int) Proc {
	switch v := f.t[i].(type) {
	case etf.Pid:
		return ProcPid(v)
	case etf.Atom:
		if v != "" {
			return ProcName(v)
		}
	}
	f.fail(i, "a pid or a registered name")
	return Proc{}
}

func (f *fields) id(i int) uint64 {
	if n, ok := etf.Int64(f.t[i]); ok && n >= 0 {
		return uint64(n)
	}
	if b, ok := f.t[i].(*big.Int); ok && b.Sign() > 0 && b.IsUint64() {
		return b.Uint64()
	}
	f.fail(i, "an unsigned 64-bit ID")
	return 0
}

func (f *fields) spawnRequest() SpawnRequest {
	c := SpawnRequest{ReqID: f.ref(1), From: f.pid(2), GroupLeader: f.pid(3)}
	mfa, ok := f.t[4].(etf.Tuple)
	arity, okArity := int64(0), false
	if ok && len(mfa) == 3 {
		arity, okArity = etf.Int64(mfa[2])
	}
	m, okM := f.mfaAtom(mfa, 0)
	fn, okF := f.mfaAtom(mfa, 1)
	if !okM || !okF || !okArity || arity < 0 || arity > math.MaxUint8 {
		f.fail(4, "{Module, Function, Arity}")
	}
	c.Module, c.Function, c.Arity = m, fn, uint8(arity)
	opts, ok := etf.Elems(f.t[5])
	if !ok {
		f.fail(5, "a proper list of options")
	}
	c.Opts = opts
	return c
}

func (f *fields) mfaAtom(mfa etf.Tuple, i int) (etf.Atom, bool) {
	if len(mfa) != 3 {
		return "", false
	}
	a, ok := mfa[i].(etf.Atom)
	return a, ok
}

func (f *fields) spawnReply() SpawnReply {
	c := SpawnReply{ReqID: f.ref(1), To: f.pid(2)}
	if n, ok := etf.Int64(f.t[3]); ok && n >= 0 && n <= math.MaxUint32 {
		c.Flags = SpawnFlags(n)
	} else {
		f.fail(3, "the reply flags")
	}
	switch v := f.t[4].(type) {
	case etf.Pid:
		c.Pid = v
	case etf.Atom:
		c.Err = v
	}
	if c.Pid == (etf.Pid{}) && c.Err == "" {
		f.fail(4, "a pid or an error atom")
	}
	return c
}
