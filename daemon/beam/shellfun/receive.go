package shellfun

import (
	"context"
	"errors"
	"time"

	"chatd/wire/etf"
)

// maxTimeout is the longest `after` a BEAM accepts, in milliseconds.
const maxTimeout = 1<<32 - 1

// eval runs a receive as Erlang does: the messages kept by earlier
// receives are tried first, oldest first, then new ones as they arrive;
// each message is tried against the clauses in order, and one that
// matches none is kept, in its place, for a later receive. With an after
// clause, the body of after runs once the timeout passes with no match.
func (e receiveExpr) eval(m *machine, b *bindings) (value, error) {
	if err := m.step(e.line); err != nil {
		return value{}, err
	}
	body, err := e.await(m, b)
	if err != nil {
		return value{}, err
	}
	return m.seq(body, b)
}

// await returns the body to run: the matching clause's, with its
// bindings added to b, or after's.
func (e receiveExpr) await(m *machine, b *bindings) ([]expr, error) {
	wait, timed, err := e.wait(m, b)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(m.saved); i++ {
		body, ok, err := e.try(m, m.saved[i], b)
		if err != nil {
			return nil, err
		}
		if ok {
			m.saved = append(m.saved[:i], m.saved[i+1:]...)
			return body, nil
		}
	}
	ctx, cancel := m.ctx, context.CancelFunc(func() {})
	if timed {
		ctx, cancel = context.WithTimeout(m.ctx, wait)
	}
	defer cancel()
	for {
		if err := m.ctx.Err(); err != nil {
			return nil, killed(e.line, err)
		}
		msg, err := m.env.Receive(ctx)
		if err != nil {
			if timed && m.ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return e.after, nil
			}
			return nil, envExit(e.line, killed(e.line, err), err)
		}
		v := value{t: msg, n: unsized}
		if body, ok, err := e.try(m, v, b); ok || err != nil {
			return body, err
		}
		if len(m.saved) >= m.lim.Mailbox {
			return nil, limit(e.line, "more than %d messages kept by a selective receive (Limits.Mailbox)", m.lim.Mailbox)
		}
		m.saved = append(m.saved, v)
	}
}

// wait evaluates the timeout of an after clause: an integer of
// milliseconds, or infinity. timed is false without an after clause and
// for infinity.
func (e receiveExpr) wait(m *machine, b *bindings) (time.Duration, bool, error) {
	if e.timeout == nil {
		return 0, false, nil
	}
	v, err := e.timeout.eval(m, b)
	if err != nil {
		return 0, false, err
	}
	if etf.IsAtom(v.t, "infinity") {
		return 0, false, nil
	}
	ms, ok := etf.Int64(v.t)
	if !ok || ms < 0 || ms > maxTimeout {
		return 0, false, failure(e.line, etf.Atom("timeout_value"), nil)
	}
	return time.Duration(ms) * time.Millisecond, true, nil
}

// try matches a message against the clauses in order and returns the body
// of the first that matches, with its bindings added to b; a clause that
// fails leaves b as it was.
func (e receiveExpr) try(m *machine, msg value, b *bindings) ([]expr, bool, error) {
	for _, c := range e.clauses {
		if err := m.step(c.line); err != nil {
			return nil, false, err
		}
		mark := len(b.trail)
		ok, err := c.pat.match(m, msg.t, b)
		if err != nil {
			return nil, false, err
		}
		if ok {
			return c.body, true, nil
		}
		b.undo(mark)
	}
	return nil, false, nil
}
