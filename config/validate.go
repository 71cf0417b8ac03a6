package config

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"chatd/wire"
)

// Limits Validate enforces.
const (
	MinPacketTimeout    = 100 * time.Millisecond // mapper.packet_timeout
	MaxPacketTimeout    = time.Hour              // mapper.packet_timeout
	MinTick             = 100 * time.Millisecond // link.tick
	MinHandshakeTimeout = 100 * time.Millisecond // link.handshake_timeout
	MaxHandshakeTimeout = 5 * time.Minute        // link.handshake_timeout
	MinTickTime         = time.Second            // erlang.net_ticktime
	MaxTickTime         = time.Hour              // erlang.net_ticktime
	MinFrame            = 1 << 10                // link.max_frame: 1 KiB
	MaxFrame            = 64 << 20               // link.max_frame: 64 MiB
	MaxMaxStreams       = 1_000_000              // link.max_streams
)

// LogLevels are the accepted values of log.level, most verbose first.
func LogLevels() []string { return []string{"debug", "info", "warn", "error"} }

// NodeName returns this node's full name, name@host.
func (c Config) NodeName() wire.NodeName {
	return wire.NodeName{Name: c.Name, Host: c.Host}
}

// Validate checks every setting and returns all problems found, joined;
// each names its key and the accepted values. Load calls it and adds
// where each bad value came from.
func (c Config) Validate() error {
	var errs []error
	for _, fe := range c.validate() {
		errs = append(errs, fe)
	}
	return errors.Join(errs...)
}

// fieldError is a bad value of one setting.
type fieldError struct {
	origin string // where the value came from: file:line, $VAR or --flag
	key    string // the dotted key, link.tick; "" when the message says it all
	msg    string
	cause  error
}

func (e *fieldError) Error() string {
	s := e.msg
	if e.key != "" {
		s = e.key + ": " + s
	}
	if e.origin != "" {
		s = e.origin + ": " + s
	}
	return s
}

func (e *fieldError) Unwrap() error { return e.cause }

// validate returns one fieldError per bad setting, in schema order.
func (c Config) validate() []*fieldError {
	var errs []*fieldError
	bad := func(key string, cause error, format string, args ...any) {
		errs = append(errs, &fieldError{key: key, msg: fmt.Sprintf(format, args...), cause: cause})
	}
	if c.Version != 0 && c.Version != SchemaVersion {
		bad("version", nil, "%s", versionMsg(c.Version))
	}
	if !isEnvironment(c.Environment) {
		bad("environment", nil, "%q is not an environment: want %s, %s or %s", c.Environment, EnvDev, EnvTest, EnvProd)
	}
	if c.Name == "" {
		bad("", nil, "no node name: pass --name NAME or set CHATD_NAME")
	} else if err := wire.ValidateName(c.Name); err != nil {
		bad("name", err, "%v", err)
	}
	if err := wire.ValidateHost(c.Host); err != nil {
		bad("host", err, "%v", err)
	}
	c.validateMapper(bad)
	if msg := checkListen(c.Listen.Address); msg != "" {
		bad("listen.address", nil, "%s", msg)
	}
	c.validateLink(bad)
	c.validateTasks(bad)
	c.validateProcesses(bad)
	c.validateErlang(bad)
	if a := c.Metrics.Listen; a != "" {
		if msg := checkListen(a); msg != "" {
			bad("metrics.listen", nil, "%s", msg)
		}
	}
	if !slices.Contains(LogLevels(), c.Log.Level) {
		bad("log.level", nil, "%q is not a log level: want debug, info, warn or error", c.Log.Level)
	}
	return errs
}

func (c Config) validateMapper(bad func(string, error, string, ...any)) {
	m := c.Mapper
	if p := m.Port; p < 1 || p > 65535 {
		bad("mapper.port", nil, "%d is out of range: want a port 1..65535", p)
	}
	for _, a := range m.Addresses() {
		if net.ParseIP(a) == nil && wire.ValidateHost(a) != nil {
			bad("mapper.address", nil, "%q is not an IP address or host name (want e.g. 127.0.0.1, or a list like \"127.0.0.1, 10.0.0.5\")", a)
		}
	}
	if d := m.PacketTimeout.D(); d < MinPacketTimeout || d > MaxPacketTimeout {
		bad("mapper.packet_timeout", nil, "%s is out of range: want %s..%s", d, MinPacketTimeout, MaxPacketTimeout)
	}
}

func (c Config) validateLink(bad func(string, error, string, ...any)) {
	l := c.Link
	if l.Tick.D() < MinTick {
		bad("link.tick", nil, "%s is too short: want at least %s", l.Tick, MinTick)
	}
	if d := l.HandshakeTimeout.D(); d < MinHandshakeTimeout || d > MaxHandshakeTimeout {
		bad("link.handshake_timeout", nil, "%s is out of range: want %s..%s", d, MinHandshakeTimeout, MaxHandshakeTimeout)
	}
	if n := l.MaxFrame; n < MinFrame || n > MaxFrame {
		bad("link.max_frame", nil, "%d is out of range: want %d (1 KiB)..%d (64 MiB) bytes", n, MinFrame, MaxFrame)
	}
	if n := l.MaxStreams; n < 1 || n > MaxMaxStreams {
		bad("link.max_streams", nil, "%d is out of range: want 1..%d", n, MaxMaxStreams)
	}
	if t := l.TLS; t.Enabled() {
		var missing []string
		for _, f := range []struct{ key, v string }{{"cert", t.Cert}, {"key", t.Key}, {"ca", t.CA}} {
			if f.v == "" {
				missing = append(missing, f.key)
			}
		}
		if len(missing) > 0 {
			bad("link.tls", nil, "%s not set: set cert, key and ca together (or none, for plaintext links)", strings.Join(missing, " and "))
		}
	}
}

func (c Config) validateTasks(bad func(string, error, string, ...any)) {
	t := c.Tasks
	if t.AwaitTimeout <= 0 {
		bad("tasks.await_timeout", nil, "%s is not positive: want a duration like \"5s\"", t.AwaitTimeout)
	}
	if t.MaxRunning < 1 {
		bad("tasks.max_running", nil, "%d is too small: want at least 1", t.MaxRunning)
	}
	if t.Placement != PlacementRemote && t.Placement != PlacementLocal {
		bad("tasks.placement", nil, "%q is not a placement: want %q or %q", t.Placement, PlacementRemote, PlacementLocal)
	}
	if t.StopGrace < 0 {
		bad("tasks.stop_grace", nil, "%s is negative: want a duration like \"5s\", or \"0s\" to cancel running tasks at once", t.StopGrace)
	}
}

func (c Config) validateProcesses(bad func(string, error, string, ...any)) {
	p := c.Processes
	if p.Mailbox < 1 || p.Mailbox > MaxMaxStreams {
		bad("processes.mailbox", nil, "%d is out of range: want 1..%d messages", p.Mailbox, MaxMaxStreams)
	}
	if p.Max < 1 || p.Max > MaxMaxStreams {
		bad("processes.max", nil, "%d is out of range: want 1..%d processes", p.Max, MaxMaxStreams)
	}
}

func (c Config) validateErlang(bad func(string, error, string, ...any)) {
	e := c.Erlang
	if d := e.TickTime.D(); d < MinTickTime || d > MaxTickTime {
		bad("erlang.net_ticktime", nil, "%s is out of range: want %s..%s (it must match the Erlang cluster's; OTP's default is 60s)", d, MinTickTime, MaxTickTime)
	}
	for _, k := range []struct{ key, v string }{{"erlang.chat_module", e.ChatModule}, {"erlang.chat_supervisor", e.ChatSupervisor}} {
		if msg := checkModule(k.v); msg != "" {
			bad(k.key, nil, "%s", msg)
		}
	}
	for _, n := range e.MoebiNames() {
		if err := wire.ValidateName(n); err != nil {
			bad("erlang.moebi", err, "%q: %v (want node names separated by commas)", n, err)
		}
	}
}

// checkModule checks an Elixir module name (Chat, Chat.TaskSupervisor) or
// an Erlang one (:chat) and returns what is wrong, or "".
func checkModule(name string) string {
	if name == "" {
		return "empty: want an Elixir module name like Chat.TaskSupervisor"
	}
	if len(name) > 255 {
		return fmt.Sprintf("%d bytes long: an atom holds at most 255", len(name))
	}
	for _, r := range strings.TrimPrefix(name, ":") {
		if !(r == '.' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Sprintf("%q holds %q: want an Elixir module name like Chat.TaskSupervisor", name, r)
		}
	}
	return ""
}

// checkListen checks a listen address and returns what is wrong, or "".
func checkListen(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not host:port (want e.g. 127.0.0.1:0 or [::1]:4370): %v", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("%q: port %q is not a number 0..65535 (0 picks a free port)", addr, port)
	}
	return ""
}

// versionMsg explains a config version this build cannot read.
func versionMsg(v int) string {
	if v > SchemaVersion {
		return fmt.Sprintf("the file is config version %d, but this build reads version %d; upgrade chatd or rewrite the file for version %d", v, SchemaVersion, SchemaVersion)
	}
	return fmt.Sprintf("%d is not a config version: this build reads version %d", v, SchemaVersion)
}
