package shellfun

// Limits bounds what one shell fun may cost chatd. Parse checks Depth and
// Nodes before anything runs; Run checks the others as it goes. A zero
// field takes its default (DefaultLimits).
type Limits struct {
	// Depth is how deeply the fun's expressions and patterns may nest
	// (a tuple in a call in a receive clause is depth 3).
	Depth int
	// Nodes is the most expressions and patterns the fun may hold.
	Nodes int
	// Steps is the most a run may do: one step per expression evaluated,
	// per pattern node matched and per message a receive tries.
	Steps int
	// TermSize is the largest term a run may build, and the longest text
	// IO.puts may print, in cells: one per atom, number, pid and other
	// atomic term, one per tuple and list cell, one per byte of a binary,
	// charlist or atom name. A term that came from a message or a capture
	// counts in full once it is put into a new term.
	TermSize int
	// Mailbox is the most messages a selective receive may pass over and
	// keep for a later receive.
	Mailbox int
}

// The defaults of Limits: far above what the lesson's funs need (the
// receive example takes 8 steps), far below what could hurt the daemon.
const (
	DefaultDepth    = 32
	DefaultNodes    = 1000
	DefaultSteps    = 10_000
	DefaultTermSize = 1 << 16
	DefaultMailbox  = 1000
)

// DefaultLimits returns the limits a zero Limits stands for.
func DefaultLimits() Limits {
	return Limits{Depth: DefaultDepth, Nodes: DefaultNodes, Steps: DefaultSteps, TermSize: DefaultTermSize, Mailbox: DefaultMailbox}
}

// withDefaults returns l with every field that is not positive replaced
// by its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	pick := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	return Limits{
		Depth:    pick(l.Depth, d.Depth),
		Nodes:    pick(l.Nodes, d.Nodes),
		Steps:    pick(l.Steps, d.Steps),
		TermSize: pick(l.TermSize, d.TermSize),
		Mailbox:  pick(l.Mailbox, d.Mailbox),
	}
}
