package proc

// Stats is a reading of the table for metrics.
type Stats struct {
	// Processes is how many are alive, the shell included.
	Processes int
	// Queued is how many messages wait in all their mailboxes.
	Queued int
	// Deepest is the most messages waiting in one mailbox.
	Deepest int
}

// Stats reads how many processes are alive and how full their mailboxes
// are. It walks every process, at most Config.Max of them.
func (t *Table) Stats() Stats {
	t.mu.Lock()
	ps := make([]*Process, 0, len(t.procs))
	for _, p := range t.procs {
		ps = append(ps, p)
	}
	t.mu.Unlock()
	st := Stats{Processes: len(ps)}
	for _, p := range ps {
		n := p.mbox.len()
		st.Queued += n
		st.Deepest = max(st.Deepest, n)
	}
	return st
}
