package core

import (
	"errors"
	"slices"
	"testing"

	"chatd/wire"
)

// TestRepliesGoToTheSendsInFlight: a message lands with the send in
// flight to its sender, one answer per send, oldest first; other senders'
// messages and those after the send are no replies.
func TestRepliesGoToTheSendsInFlight(t *testing.T) {
	msg := func(from, text string) wire.Message {
		return wire.Message{From: from, To: "alex@localhost", Text: text}
	}
	moebi := wire.NodeName{Name: "moebi", Host: "localhost"}
	kate := wire.NodeName{Name: "kate", Host: "localhost"}
	tests := []struct {
		name  string
		sends []wire.NodeName // sends in flight, oldest first
		land  []wire.Message  // then these land
		want  [][]string      // each send's replies' texts
	}{
		{"one send, its answer", []wire.NodeName{moebi}, []wire.Message{msg("moebi@localhost", "chicken?")},
			[][]string{{"chicken?"}}},
		{"another sender's message is no reply", []wire.NodeName{moebi}, []wire.Message{msg("kate@localhost", "hi")},
			[][]string{nil}},
		{"two sends to moebi, one answer each", []wire.NodeName{moebi, moebi},
			[]wire.Message{msg("moebi@localhost", "chicken? 1"), msg("moebi@localhost", "chicken? 2")},
			[][]string{{"chicken? 1"}, {"chicken? 2"}}},
		{"a third message goes to the oldest", []wire.NodeName{moebi, moebi},
			[]wire.Message{msg("moebi@localhost", "1"), msg("moebi@localhost", "2"), msg("moebi@localhost", "3")},
			[][]string{{"1", "3"}, {"2"}}},
		{"sends to two nodes", []wire.NodeName{kate, moebi},
			[]wire.Message{msg("moebi@localhost", "chicken?"), msg("kate@localhost", "hello")},
			[][]string{{"hello"}, {"chicken?"}}},
		{"a bad sender is ignored", []wire.NodeName{moebi}, []wire.Message{msg("not a name", "x")}, [][]string{nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r replies
			var dones []func() []wire.Message
			for _, to := range tc.sends {
				dones = append(dones, r.wait(to))
			}
			for _, m := range tc.land {
				r.note(m)
			}
			for i, done := range dones {
				var got []string
				for _, m := range done() {
					got = append(got, m.Text)
				}
				if !slices.Equal(got, tc.want[i]) {
					t.Errorf("send %d to %s got replies %q, want %q", i, tc.sends[i], got, tc.want[i])
				}
			}
			if len(r.waiting) != 0 {
				t.Errorf("sends still waiting after all were done: %v", r.waiting)
			}
			r.note(msg("moebi@localhost", "late")) // no send in flight: dropped
		})
	}
}

// fakeSink records deliveries, or fails them.
type fakeSink struct {
	err error
	got []wire.Message
}

func (s *fakeSink) Deliver(m wire.Message) error {
	if s.err != nil {
		return s.err
	}
	s.got = append(s.got, m)
	return nil
}

// TestReplySinkNotesOnlyDelivered: a message the sink refused is no reply.
func TestReplySinkNotesOnlyDelivered(t *testing.T) {
	moebi := wire.NodeName{Name: "moebi", Host: "localhost"}
	for _, sinkErr := range []error{nil, errors.New("sink full")} {
		var r replies
		done := r.wait(moebi)
		s := &fakeSink{err: sinkErr}
		err := replySink{sink: s, replies: &r}.Deliver(wire.Message{From: "moebi@localhost", Text: "chicken?"})
		got := done()
		if !errors.Is(err, sinkErr) || (sinkErr == nil) != (len(got) == 1) {
			t.Errorf("sink error %v: Deliver = %v, replies %+v", sinkErr, err, got)
		}
	}
}
