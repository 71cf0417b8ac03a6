package task

import "chatd/wire"

// ring is a bounded history of finished tasks: when full, a push drops the
// oldest entry. It is guarded by Supervisor.mu.
type ring struct {
	buf   []wire.TaskInfo
	start int // index of the oldest entry
	n     int // entries in use
}

func newRing(size int) ring {
	return ring{buf: make([]wire.TaskInfo, max(size, 0))}
}

func (r *ring) len() int { return r.n }

// push adds info as the newest entry.
func (r *ring) push(info wire.TaskInfo) {
	if len(r.buf) == 0 {
		return
	}
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = info
		r.n++
		return
	}
	r.buf[r.start] = info
	r.start = (r.start + 1) % len(r.buf)
}

// appendNewestFirst appends the entries to out, newest first.
func (r *ring) appendNewestFirst(out []wire.TaskInfo) []wire.TaskInfo {
	for i := r.n - 1; i >= 0; i-- {
		out = append(out, r.buf[(r.start+i)%len(r.buf)])
	}
	return out
}
