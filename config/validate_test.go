package config

import (
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string // "" means valid
	}{
		{"defaults with a name", func(c *Config) {}, ""},
		{"version 0 means the current one", func(c *Config) { c.Version = 0 }, ""},
		{"newer version", func(c *Config) { c.Version = 2 },
			"version: the file is config version 2, but this build reads version 1; upgrade chatd or rewrite the file for version 1"},
		{"negative version", func(c *Config) { c.Version = -1 },
			"version: -1 is not a config version: this build reads version 1"},
		{"every environment", func(c *Config) { c.Environment = EnvProd }, ""},
		{"unknown environment", func(c *Config) { c.Environment = "" },
			`environment: "" is not an environment: want dev, test or prod`},
		{"no name", func(c *Config) { c.Name = "" },
			"no node name: pass --name NAME or set CHATD_NAME"},
		{"long name", func(c *Config) { c.Name = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm" },
			`name: bad node name: name "abcdefghijklmnopqrst"... is 65 bytes long, the limit is 64`},
		{"host with a dot at the end", func(c *Config) { c.Host = "example.com." },
			`host: bad node name: host "example.com." has an empty label`},
		{"mapper port 0", func(c *Config) { c.Mapper.Port = 0 },
			"mapper.port: 0 is out of range: want a port 1..65535"},
		{"mapper port 65535", func(c *Config) { c.Mapper.Port = 65535 }, ""},
		{"mapper address IPv6", func(c *Config) { c.Mapper.Address = "::1" }, ""},
		{"mapper address host name", func(c *Config) { c.Mapper.Address = "localhost" }, ""},
		{"mapper address with port", func(c *Config) { c.Mapper.Address = "127.0.0.1:4369" },
			`mapper.address: "127.0.0.1:4369" is not an IP address or host name (want e.g. 127.0.0.1, or a list like "127.0.0.1, 10.0.0.5")`},
		{"mapper addresses as ERL_EPMD_ADDRESS lists them", func(c *Config) { c.Mapper.Address = "127.0.0.1, ::1 10.0.0.5,localhost" }, ""},
		{"mapper address empty: loopback only", func(c *Config) { c.Mapper.Address = "" }, ""},
		{"mapper address list with a bad one", func(c *Config) { c.Mapper.Address = "::1,bad/host" },
			`mapper.address: "bad/host" is not an IP address or host name (want e.g. 127.0.0.1, or a list like "127.0.0.1, 10.0.0.5")`},
		{"packet timeout at the minimum", func(c *Config) { c.Mapper.PacketTimeout = Duration(100 * time.Millisecond) }, ""},
		{"packet timeout at the maximum", func(c *Config) { c.Mapper.PacketTimeout = Duration(time.Hour) }, ""},
		{"packet timeout too short", func(c *Config) { c.Mapper.PacketTimeout = Duration(99 * time.Millisecond) },
			"mapper.packet_timeout: 99ms is out of range: want 100ms..1h0m0s"},
		{"packet timeout too long", func(c *Config) { c.Mapper.PacketTimeout = Duration(61 * time.Minute) },
			"mapper.packet_timeout: 1h1m0s is out of range: want 100ms..1h0m0s"},
		{"listen on IPv6", func(c *Config) { c.Listen.Address = "[::1]:0" }, ""},
		{"listen on all interfaces", func(c *Config) { c.Listen.Address = ":4370" }, ""},
		{"listen port too big", func(c *Config) { c.Listen.Address = "127.0.0.1:65536" },
			`listen.address: "127.0.0.1:65536": port "65536" is not a number 0..65535 (0 picks a free port)`},
		{"tick at the minimum", func(c *Config) { c.Link.Tick = Duration(100 * time.Millisecond) }, ""},
		{"tick too short", func(c *Config) { c.Link.Tick = Duration(99 * time.Millisecond) },
			"link.tick: 99ms is too short: want at least 100ms"},
		{"handshake timeout at the maximum", func(c *Config) { c.Link.HandshakeTimeout = Duration(5 * time.Minute) }, ""},
		{"handshake timeout too long", func(c *Config) { c.Link.HandshakeTimeout = Duration(6 * time.Minute) },
			"link.handshake_timeout: 6m0s is out of range: want 100ms..5m0s"},
		{"handshake timeout too short", func(c *Config) { c.Link.HandshakeTimeout = 0 },
			"link.handshake_timeout: 0s is out of range: want 100ms..5m0s"},
		{"max frame at the limits", func(c *Config) { c.Link.MaxFrame = MaxFrame }, ""},
		{"max frame too small", func(c *Config) { c.Link.MaxFrame = MinFrame - 1 },
			"link.max_frame: 1023 is out of range: want 1024 (1 KiB)..67108864 (64 MiB) bytes"},
		{"max frame too big", func(c *Config) { c.Link.MaxFrame = MaxFrame + 1 },
			"link.max_frame: 67108865 is out of range: want 1024 (1 KiB)..67108864 (64 MiB) bytes"},
		{"max streams at the maximum", func(c *Config) { c.Link.MaxStreams = 1_000_000 }, ""},
		{"no streams", func(c *Config) { c.Link.MaxStreams = 0 },
			"link.max_streams: 0 is out of range: want 1..1000000"},
		{"await timeout zero", func(c *Config) { c.Tasks.AwaitTimeout = 0 },
			`tasks.await_timeout: 0s is not positive: want a duration like "5s"`},
		{"no running tasks", func(c *Config) { c.Tasks.MaxRunning = 0 },
			"tasks.max_running: 0 is too small: want at least 1"},
		{"local placement", func(c *Config) { c.Tasks.Placement = PlacementLocal }, ""},
		{"unknown placement", func(c *Config) { c.Tasks.Placement = "Remote" },
			`tasks.placement: "Remote" is not a placement: want "remote" or "local"`},
		{"no stop grace", func(c *Config) { c.Tasks.StopGrace = 0 }, ""},
		{"negative stop grace", func(c *Config) { c.Tasks.StopGrace = Duration(-time.Second) },
			`tasks.stop_grace: -1s is negative: want a duration like "5s", or "0s" to cancel running tasks at once`},
		{"unknown log level", func(c *Config) { c.Log.Level = "warning" },
			`log.level: "warning" is not a log level: want debug, info, warn or error`},
		{"all problems at once", func(c *Config) { c.Name = ""; c.Log.Level = ""; c.Tasks.MaxRunning = -1 },
			"no node name: pass --name NAME or set CHATD_NAME\n" +
				"tasks.max_running: -1 is too small: want at least 1\n" +
				`log.level: "" is not a log level: want debug, info, warn or error`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.Name = "alex"
			tc.modify(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate succeeded, want %s", tc.want)
			case tc.want != "" && err.Error() != tc.want:
				t.Errorf("error:\ngot  %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestNodeName(t *testing.T) {
	c := Default()
	c.Name, c.Host = "kate", "example.org"
	if n := c.NodeName(); n.Name != "kate" || n.Host != "example.org" || n.String() != "kate@example.org" {
		t.Errorf("NodeName = %#v", n)
	}
}
