package sink

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"chatd/internal/testkit"
)

func TestDeliverWritesThenKeeps(t *testing.T) {
	var w memory
	s := New(Config{Writer: &w})
	deliver(t, s, 0, 3)
	if got, want := ids(w.Messages()), idRange(0, 3); !slices.Equal(got, want) {
		t.Errorf("written %v, want %v", got, want)
	}
	if got, want := ids(s.Recent(0)), idRange(0, 3); !slices.Equal(got, want) {
		t.Errorf("Recent(0) = %v, want %v", got, want)
	}
}

func TestDeliverTime(t *testing.T) {
	var w memory
	s := New(Config{Writer: &w})
	before := time.Now()
	deliver(t, s, 0, 1)
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	m := msg(1)
	m.Time = at
	if err := s.Deliver(m); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	got := s.Recent(0)
	if got[0].Time.Before(before) || got[0].Time.After(time.Now()) {
		t.Errorf("zero Time set to %v, want about now", got[0].Time)
	}
	if !got[1].Time.Equal(at) {
		t.Errorf("Time = %v, want the given %v kept", got[1].Time, at)
	}
	if written := w.Messages(); !written[0].Time.Equal(got[0].Time) {
		t.Errorf("Writer saw Time %v, Recent has %v", written[0].Time, got[0].Time)
	}
}

func TestDeliverWriterFailure(t *testing.T) {
	w := &failingWriter{}
	s := New(Config{Writer: w})
	ch, _ := s.Follow(testkit.Ctx(t, testkit.Wait))

	deliver(t, s, 0, 1)
	bad := msg(1)
	bad.Text = "fail"
	if err := s.Deliver(bad); !errors.Is(err, errDiskFull) {
		t.Fatalf("Deliver(failing) = %v, want %v", err, errDiskFull)
	}
	deliver(t, s, 2, 3)

	want := []string{"id-0", "id-2"}
	if got := ids(s.Recent(0)); !slices.Equal(got, want) {
		t.Errorf("Recent = %v, want %v (the failed message left out)", got, want)
	}
	for _, id := range want {
		if m := <-ch; m.ID != id {
			t.Errorf("follower got %s, want %s", m.ID, id)
		}
	}
	select {
	case m := <-ch:
		t.Errorf("follower got unexpected %s", m.ID)
	default:
	}
}

func TestRecent(t *testing.T) {
	tests := []struct {
		name      string
		keep      int
		delivered int
		n         int
		want      []string
	}{
		{"empty", 3, 0, 0, idRange(0, 0)},
		{"fewer than keep, all", 3, 2, 0, idRange(0, 2)},
		{"fewer than keep, n larger", 3, 2, 5, idRange(0, 2)},
		{"fewer than keep, last one", 3, 2, 1, idRange(1, 2)},
		{"exactly keep", 3, 3, 0, idRange(0, 3)},
		{"wrapped, all", 3, 5, 0, idRange(2, 5)},
		{"wrapped, last two", 3, 5, 2, idRange(3, 5)},
		{"wrapped, n larger than keep", 3, 5, 10, idRange(2, 5)},
		{"wrapped, negative n", 3, 7, -1, idRange(4, 7)},
		{"keep one", 1, 4, 0, idRange(3, 4)},
		{"default keep", 0, DefaultKeep + 5, 0, idRange(5, DefaultKeep+5)},
		{"negative keep is default", -1, DefaultKeep + 1, 2, idRange(DefaultKeep-1, DefaultKeep+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{Writer: &memory{}, Keep: tt.keep})
			deliver(t, s, 0, tt.delivered)
			if got := ids(s.Recent(tt.n)); !slices.Equal(got, tt.want) {
				t.Errorf("Recent(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestRecentReturnsACopy(t *testing.T) {
	s := New(Config{Writer: &memory{}})
	deliver(t, s, 0, 1)
	s.Recent(0)[0].Text = "changed"
	if s.Recent(0)[0].Text == "changed" {
		t.Error("Recent returned the sink's own storage")
	}
}

func TestCheck(t *testing.T) {
	w := newBlockingWriter()
	s := New(Config{Writer: w})
	if err := s.Check(testkit.Ctx(t, testkit.Wait)); err != nil {
		t.Fatalf("Check on an idle sink: %v", err)
	}

	done := make(chan error, 1)
	go func() { done <- s.Deliver(msg(0)) }()
	<-w.entered

	ctx, cancel := context.WithCancel(testkit.Ctx(t, testkit.Wait))
	cancel()
	if err := s.Check(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Check with a stuck writer = %v, want %v", err, context.Canceled)
	}
	if got := s.Recent(0); len(got) != 0 {
		t.Errorf("Recent while the write is in flight = %v, want none", ids(got))
	}

	close(w.release)
	if err := <-done; err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if err := s.Check(testkit.Ctx(t, testkit.Wait)); err != nil {
		t.Errorf("Check after the writer returned: %v", err)
	}
	if got := ids(s.Recent(0)); !slices.Equal(got, []string{"id-0"}) {
		t.Errorf("Recent = %v, want [id-0]", got)
	}
}

func TestNewNilWriterPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New with a nil Writer did not panic")
		}
	}()
	New(Config{})
}

var _ Writer = (*memory)(nil)
