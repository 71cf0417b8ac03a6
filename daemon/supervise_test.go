package daemon

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"chatd/config"
)

func TestRestartKeys(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *config.Config)
		want   []string // nil: everything applies at run time
	}{
		{"nothing changed", func(*config.Config) {}, nil},
		{"responder reply", func(c *config.Config) { c.Responder.Reply = "chicken?" }, nil},
		{"log level", func(c *config.Config) { c.Log.Level = "debug" }, nil},
		{"link tick", func(c *config.Config) { c.Link.Tick = config.Duration(time.Second) }, nil},
		{"stop grace", func(c *config.Config) { c.Tasks.StopGrace = config.Duration(time.Minute) }, nil},
		{"everything reloadable at once", func(c *config.Config) {
			c.Responder.Reply = "chicken?"
			c.Log.Level = "warn"
			c.Link.Tick = config.Duration(3 * time.Second)
		}, nil},
		{"config file found at reload", func(c *config.Config) { c.File = "/etc/chatd/chatd.toml" }, nil},
		{"host", func(c *config.Config) { c.Host = "example.org" }, []string{"host"}},
		{"listen address", func(c *config.Config) { c.Listen.Address = "0.0.0.0:4000" }, []string{"listen"}},
		{"mapper port", func(c *config.Config) { c.Mapper.Port = 4370 }, []string{"mapper"}},
		{"mapper address", func(c *config.Config) { c.Mapper.Address = "0.0.0.0" }, []string{"mapper"}},
		{"tasks placement", func(c *config.Config) { c.Tasks.Placement = config.PlacementLocal }, []string{"tasks"}},
		{"tasks max_running", func(c *config.Config) { c.Tasks.MaxRunning = 5 }, []string{"tasks"}},
		{"processes mailbox", func(c *config.Config) { c.Processes.Mailbox = 8 }, []string{"processes"}},
		{"processes max", func(c *config.Config) { c.Processes.Max = 8 }, []string{"processes"}},
		{"link settings other than tick", func(c *config.Config) { c.Link.MaxFrame = 4096 }, []string{"link"}},
		{"tick and handshake timeout", func(c *config.Config) {
			c.Link.Tick = config.Duration(time.Second)
			c.Link.HandshakeTimeout = config.Duration(time.Second)
		}, []string{"link"}},
		{"cookie_file", func(c *config.Config) { c.CookieFile = "/etc/chatd/cookie" }, []string{"cookie_file"}},
		{"environment", func(c *config.Config) { c.Environment = config.EnvTest }, []string{"environment"}},
		{"several, sorted by key", func(c *config.Config) {
			c.Processes.Max = 8
			c.Tasks.MaxRunning = 5
			c.Mapper.Port = 4370
			c.Listen.Address = "127.0.0.1:4000"
			c.Host = "example.org"
			c.Responder.Reply = "chicken?"
			c.Log.Level = "debug"
		}, []string{"host", "listen", "mapper", "processes", "tasks"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := config.Default()
			old.Name = "kate"
			cur := old
			tc.change(&cur)
			before, after := old, cur
			got := restartKeys(old, cur)
			if !slices.Equal(got, tc.want) {
				t.Errorf("restartKeys = %q, want %q", got, tc.want)
			}
			if back := restartKeys(cur, old); !slices.Equal(back, tc.want) {
				t.Errorf("restartKeys the other way = %q, want %q", back, tc.want)
			}
			if old != before || cur != after {
				t.Error("restartKeys changed its arguments")
			}
		})
	}
}

func TestNotifyWithoutNotifier(t *testing.T) {
	n := &Node{}
	n.notify("READY=1") // must not panic
	done := make(chan struct{})
	go func() { n.watch(t.Context()); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("watch without a notifier did not return at once")
	}
}

func TestNotifyForwards(t *testing.T) {
	var got []string
	n := &Node{opts: Options{Notify: func(s string) { got = append(got, s) }}}
	n.notify("READY=1\nSTATUS=x")
	n.notify("STOPPING=1")
	if want := []string{"READY=1\nSTATUS=x", "STOPPING=1"}; !slices.Equal(got, want) {
		t.Errorf("notified %q, want %q", got, want)
	}
}

func TestMonotonicUsec(t *testing.T) {
	parse := func() int64 {
		t.Helper()
		v, err := strconv.ParseInt(monotonicUsec(), 10, 64)
		if err != nil || v <= 0 {
			t.Fatalf("monotonicUsec = %q (%v), want a positive integer", monotonicUsec(), err)
		}
		return v
	}
	start := time.Now()
	a := parse()
	time.Sleep(20 * time.Millisecond) // measuring the clock, not waiting for an event
	b := parse()
	elapsed := time.Since(start)
	if d := time.Duration(b-a) * time.Microsecond; d < 20*time.Millisecond || d > elapsed+time.Millisecond {
		t.Errorf("monotonicUsec advanced %s across a 20ms sleep that took %s", d, elapsed)
	}
}
