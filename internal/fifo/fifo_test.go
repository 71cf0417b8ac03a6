package fifo

import (
	"context"
	"errors"
	"testing"

	"chatd/internal/testkit"
)

func TestQueue(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		puts  int
		kept  int // how many Put accepted, taken back in order
	}{
		{"empty", 3, 0, 0},
		{"under the limit", 3, 2, 2},
		{"at the limit", 3, 3, 3},
		{"past the limit drops the newest", 3, 5, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := New[int](tt.limit)
			kept := 0
			for i := range tt.puts {
				if q.Put(i) {
					kept++
				}
			}
			if kept != tt.kept {
				t.Fatalf("Put accepted %d of %d, want %d", kept, tt.puts, tt.kept)
			}
			if n := q.Len(); n != tt.kept {
				t.Fatalf("Len = %d, want %d", n, tt.kept)
			}
			ctx := testkit.Ctx(t, testkit.Wait)
			for i := range tt.kept {
				v, err := q.Take(ctx)
				if err != nil || v != i {
					t.Fatalf("Take %d = %v, %v; want %d", i, v, err, i)
				}
			}
			done, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := q.Take(done); !errors.Is(err, context.Canceled) {
				t.Fatalf("Take from an empty queue with its context ended = %v", err)
			}
		})
	}
}

// TestTakeWaits: a Take waiting on an empty queue gets the next Put.
func TestTakeWaits(t *testing.T) {
	q := New[string](1)
	got := make(chan string, 1)
	go func() {
		v, err := q.Take(testkit.Ctx(t, testkit.Wait))
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	q.Put("hi")
	if m := <-got; m != "hi" {
		t.Fatalf("took %v", m)
	}
}

// TestDrain: Drain empties the queue, oldest first, and Put works after.
func TestDrain(t *testing.T) {
	q := New[int](2)
	q.Put(1)
	q.Put(2)
	if got := q.Drain(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("Drain = %v, want [1 2]", got)
	}
	if got := q.Drain(); len(got) != 0 {
		t.Fatalf("second Drain = %v", got)
	}
	if !q.Put(3) || q.Len() != 1 {
		t.Fatal("Put after Drain refused")
	}
}
