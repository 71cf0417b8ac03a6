package beam

import (
	"context"
	"errors"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

func TestMailbox(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		puts  int
		kept  int // how many put accepted, taken back in order
	}{
		{"empty", 3, 0, 0},
		{"under the limit", 3, 2, 2},
		{"at the limit", 3, 3, 3},
		{"past the limit drops the newest", 3, 5, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mb := newMailbox(tt.limit)
			kept := 0
			for i := range tt.puts {
				if mb.put(envelope{msg: int64(i)}) {
					kept++
				}
			}
			if kept != tt.kept {
				t.Fatalf("put accepted %d of %d, want %d", kept, tt.puts, tt.kept)
			}
			ctx := testkit.Ctx(t, testkit.Wait)
			for i := range tt.kept {
				e, err := mb.take(ctx)
				if err != nil || e.msg != int64(i) {
					t.Fatalf("take %d = %v, %v; want %d", i, e.msg, err, i)
				}
			}
			done, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := mb.take(done); !errors.Is(err, context.Canceled) {
				t.Fatalf("take from an empty mailbox with its context ended = %v", err)
			}
		})
	}
}

// TestMailboxTakeWaits: a take waiting on an empty mailbox gets the next
// put.
func TestMailboxTakeWaits(t *testing.T) {
	mb := newMailbox(1)
	got := make(chan etf.Term, 1)
	go func() {
		e, err := mb.take(testkit.Ctx(t, testkit.Wait))
		if err != nil {
			t.Error(err)
		}
		got <- e.msg
	}()
	mb.put(envelope{msg: etf.Atom("hi")})
	if m := <-got; m != etf.Atom("hi") {
		t.Fatalf("took %v", m)
	}
}
