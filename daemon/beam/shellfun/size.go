package shellfun

import (
	"math/big"

	"chatd/wire/etf"
)

// sizeOf measures t in cells (see Limits.TermSize), stopping once it
// passes limit: the result is then limit+1. It walks with its own stack,
// which holds no more than limit terms, so neither a deep, a wide nor a
// cyclic term can hold it for long.
func sizeOf(t etf.Term, limit int) int {
	n := 0
	stack := []etf.Term{t}
	over := false
	push := func(ts ...etf.Term) {
		if n+len(stack)+len(ts) > limit { // each term costs at least one cell
			over = true
			return
		}
		stack = append(stack, ts...)
	}
	for len(stack) > 0 && !over && n <= limit {
		t, stack = stack[len(stack)-1], stack[:len(stack)-1]
		n++
		switch v := t.(type) {
		case etf.Atom:
			n += len(v)
		case *big.Int:
			n += len(v.Bits())
		case etf.Binary:
			n += len(v)
		case etf.BitBinary:
			n += len(v.Bytes)
		case etf.Charlist:
			n += len(v)
		case etf.Tuple:
			push(v...)
		case etf.List:
			n += max(len(v)-1, 0) // one cell per element
			push(v...)
		case etf.ImproperList:
			n += max(len(v.Elems)-1, 0)
			push(v.Elems...)
			push(v.Tail)
		case etf.Map:
			for i := 0; i < len(v) && !over; i++ {
				push(v[i].Key, v[i].Value)
			}
		case etf.Fun:
			push(v.Free...)
		}
	}
	if over {
		return limit + 1
	}
	return min(n, limit+1)
}
