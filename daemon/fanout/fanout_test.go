package fanout

import (
	"context"
	"slices"
	"testing"

	"chatd/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// drain reads ch until it is closed.
func drain(ch <-chan int) []int {
	var got []int
	for v := range ch {
		got = append(got, v)
	}
	return got
}

// TestWatch publishes 1..5 to a watcher with room for 3 and checks what it
// reads once the fan-out closes, and what a later watcher gets.
func TestWatch(t *testing.T) {
	end := -1
	tests := []struct {
		name        string
		cfg         Config[int]
		last        *int
		want        []int
		wantDropped uint64
		wantLater   []int
	}{
		{"a full buffer drops and counts", Config[int]{Buffer: 3}, nil, []int{1, 2, 3}, 2, nil},
		{"a full buffer ends the watch lagged", Config[int]{Buffer: 3, Lagged: func(ev int) int { return 100 + ev }},
			&end, []int{1, 2, 3, 104}, 0, []int{-1}},
		{"stamps in publish order", Config[int]{Buffer: 3, Stamp: func(ev *int) { *ev *= 10 }},
			&end, []int{10, 20, 30, -1}, 2, []int{-1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := New(tc.cfg)
			ch := f.Watch(t.Context())
			for i := 1; i <= 5; i++ {
				f.Publish(i)
			}
			if !f.Close(tc.last) || f.Close(tc.last) {
				t.Fatal("Close did not report true once, then false")
			}
			if got := drain(ch); !slices.Equal(got, tc.want) {
				t.Errorf("watcher read %v, want %v", got, tc.want)
			}
			if got := f.Dropped(); got != tc.wantDropped {
				t.Errorf("Dropped() = %d, want %d", got, tc.wantDropped)
			}
			if got := drain(f.Watch(t.Context())); !slices.Equal(got, tc.wantLater) {
				t.Errorf("a watch after Close read %v, want %v", got, tc.wantLater)
			}
		})
	}
}

// TestWatchEndsWithItsContext: a watch whose context ends is closed and
// takes no more events; the others go on.
func TestWatchEndsWithItsContext(t *testing.T) {
	f := New(Config[int]{Buffer: 4})
	ctx, cancel := context.WithCancel(t.Context())
	gone, stays := f.Watch(ctx), f.Watch(t.Context())
	f.Publish(1)
	cancel()
	testkit.WaitFor(t, testkit.Wait, "the watch to end", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.watchers) == 1
	})
	f.Publish(2)
	f.Close(nil)
	if got := drain(gone); !slices.Equal(got, []int{1}) {
		t.Errorf("ended watch read %v, want [1]", got)
	}
	if got := drain(stays); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("other watch read %v, want [1 2]", got)
	}
}
