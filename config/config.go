// Package config holds chatd's TOML schema, its defaults, environments and
// per-node sections, validation, and cookie loading.
//
// A setting's value comes from, highest first: command-line flags, CHATD_*
// environment variables, the [nodes.<name>] section, the
// [environments.<env>] section, the environment's built-in settings (the
// test environment runs every task locally), the file's top level, and
// Default.
package config

import (
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the config file version this build understands.
const SchemaVersion = 1

// Environments a config may select.
const (
	EnvDev  = "dev"
	EnvTest = "test"
	EnvProd = "prod"
)

// Task placements.
const (
	PlacementRemote = "remote" // calls run on the named node's supervisor
	PlacementLocal  = "local"  // every call runs on this node's supervisor
)

// Config is the effective configuration of one node.
type Config struct {
	// Version is the config schema version; 0 means SchemaVersion.
	Version int `toml:"version"`
	// Environment is dev, test or prod; it selects [environments.<env>].
	Environment string `toml:"environment"`
	// Name is the node's name part (alex); it selects [nodes.<name>].
	// It is set by --name or CHATD_NAME, never by the file.
	Name string `toml:"-"`
	// Host is the host part of this node's name and of bare peer names.
	Host string `toml:"host"`
	// CookieFile is the file holding the shared cookie. Empty means the
	// generated cookie in the state directory.
	CookieFile string `toml:"cookie_file"`
	// Mapper configures the EPMD-compatible port mapper.
	Mapper Mapper `toml:"mapper"`
	// Listen configures the peer listener.
	Listen Listen `toml:"listen"`
	// Link configures node-to-node links.
	Link Link `toml:"link"`
	// Tasks configures the task supervisor.
	Tasks Tasks `toml:"tasks"`
	// Processes configures lightweight processes and their mailboxes.
	Processes Processes `toml:"processes"`
	// Responder, when Reply is set, makes the node answer every message.
	Responder Responder `toml:"responder"`
	// Erlang configures links to Erlang and Elixir nodes.
	Erlang Erlang `toml:"erlang"`
	// Log configures operational logging.
	Log Log `toml:"log"`
	// Metrics configures serving metrics over TCP.
	Metrics Metrics `toml:"metrics"`
	// File is the config file Load read, "" when none was found (defaults,
	// environment variables and flags only). It is never read from a file.
	File string `toml:"-"`
}

// Mapper configures the port mapper.
type Mapper struct {
	// Port is the mapper's TCP port (ERL_EPMD_PORT, 4369 by default).
	Port int `toml:"port"`
	// Address lists where an embedded mapper listens besides 127.0.0.1
	// and ::1, which it always listens on: IP addresses or host names
	// separated by commas or spaces, as epmd's ERL_EPMD_ADDRESS (which
	// sets it). Empty, or loopback addresses, mean loopback only.
	Address string `toml:"address"`
	// PacketTimeout closes a connection to an embedded mapper that has not
	// registered once it has sent nothing for this long and one second
	// more, as epmd's -packet_timeout with its whole-second clock; every
	// byte restarts it.
	PacketTimeout Duration `toml:"packet_timeout"`
}

// Addresses returns Address split at its commas and spaces.
func (m Mapper) Addresses() []string {
	return strings.FieldsFunc(m.Address, func(r rune) bool { return r == ',' || r == ' ' })
}

// Listen configures the peer listener.
type Listen struct {
	// Address is host:port for incoming links; port 0 picks a free one.
	Address string `toml:"address"`
}

// Link configures links between nodes.
type Link struct {
	// Tick bounds how long a silent peer stays "up": it is declared down
	// within one tick.
	Tick Duration `toml:"tick"`
	// HandshakeTimeout bounds a whole handshake, dial included.
	HandshakeTimeout Duration `toml:"handshake_timeout"`
	// MaxFrame is the largest frame accepted on a link stream, in bytes.
	MaxFrame int `toml:"max_frame"`
	// MaxStreams caps the streams a peer may have open on one link.
	MaxStreams int `toml:"max_streams"`
	// TLS, when its files are set, runs every link over mutual TLS.
	TLS LinkTLS `toml:"tls"`
}

// LinkTLS names the PEM files for mutual TLS on links: this node's
// certificate and key, and the CA that signs every node's certificate.
// All three are set, or none (plaintext links, the cookie alone).
type LinkTLS struct {
	// Cert is this node's certificate chain; it must be valid for the
	// node's host and usable for both server and client authentication.
	Cert string `toml:"cert"`
	// Key is the certificate's private key (keep it owner-only).
	Key string `toml:"key"`
	// CA is the bundle that verifies peers' certificates.
	CA string `toml:"ca"`
}

// Enabled reports whether any TLS file is set.
func (t LinkTLS) Enabled() bool { return t.Cert != "" || t.Key != "" || t.CA != "" }

// Tasks configures the task supervisor.
type Tasks struct {
	// AwaitTimeout is the default time a caller waits for a task.
	AwaitTimeout Duration `toml:"await_timeout"`
	// MaxRunning bounds the tasks running at once.
	MaxRunning int `toml:"max_running"`
	// Placement is "remote" or "local" (run every call on this node).
	Placement string `toml:"placement"`
	// StopGrace is how long a stopping node waits for its running tasks
	// before it cancels them; 0 cancels them at once. Peers with no call
	// running here see the node down at once, whatever it is.
	StopGrace Duration `toml:"stop_grace"`
}

// Processes configures lightweight processes.
type Processes struct {
	// Mailbox bounds each process's mailbox; a send to a full one fails.
	Mailbox int `toml:"mailbox"`
	// Max bounds the processes alive at once on this node.
	Max int `toml:"max"`
}

// Responder makes a node answer each received message (the lesson's moebi).
type Responder struct {
	// Reply is the text sent back; empty disables the responder.
	Reply string `toml:"reply"`
}

// Erlang configures the Erlang distribution protocol chatd speaks to
// Erlang and Elixir nodes (the lesson's iex nodes), and the names of the
// lesson's Chat application on them.
type Erlang struct {
	// TickTime is net_ticktime: an Erlang peer silent for it is down, and
	// chatd ticks every quarter of it. It must match the cluster's (OTP's
	// default is 60s).
	TickTime Duration `toml:"net_ticktime"`
	// Hidden connects hidden: BEAM nodes list chatd in Node.list(:hidden),
	// not Node.list(), and never involve it in global's name registry.
	// chatd does not speak global's protocol, and a published node that
	// ignores it stalls :global.sync() on every BEAM node connected to it.
	Hidden bool `toml:"hidden"`
	// ChatModule is the lesson's module on BEAM nodes (Chat).
	ChatModule string `toml:"chat_module"`
	// ChatSupervisor is the lesson's task supervisor (Chat.TaskSupervisor).
	ChatSupervisor string `toml:"chat_supervisor"`
	// Moebi lists, separated by commas, the node names (name part) whose
	// messages are sent as the lesson's send_message does for moebi:
	// receive_message_for_moebi(text, sender), which answers chicken?.
	Moebi string `toml:"moebi"`
}

// MoebiNames returns the names in Moebi.
func (e Erlang) MoebiNames() []string {
	var out []string
	for _, n := range strings.Split(e.Moebi, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Log configures operational logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `toml:"level"`
}

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		Version:     SchemaVersion,
		Environment: EnvDev,
		Host:        "localhost",
		Mapper:      Mapper{Port: 4369, Address: "127.0.0.1", PacketTimeout: Duration(60 * time.Second)},
		Listen:      Listen{Address: "127.0.0.1:0"},
		Link: Link{
			Tick:             Duration(15 * time.Second),
			HandshakeTimeout: Duration(5 * time.Second),
			MaxFrame:         1 << 20,
			MaxStreams:       1024,
		},
		Tasks: Tasks{
			AwaitTimeout: Duration(5 * time.Second),
			MaxRunning:   10000,
			Placement:    PlacementRemote,
			StopGrace:    Duration(5 * time.Second),
		},
		Processes: Processes{Mailbox: 1024, Max: 10000},
		Erlang: Erlang{
			TickTime: Duration(60 * time.Second), Hidden: true,
			ChatModule: "Chat", ChatSupervisor: "Chat.TaskSupervisor", Moebi: "moebi",
		},
		Log: Log{Level: "info"},
	}
}

// applyEnvironmentDefaults applies env's built-in settings, which a file's
// [environments.<env>] section overrides and its top level does not: the
// test environment is the lesson's, where every task runs on this node's
// supervisor (tasks.placement = "local").
func applyEnvironmentDefaults(c *Config, env string, org origins) {
	if env == EnvTest {
		c.Tasks.Placement, org["tasks.placement"] = PlacementLocal, "the built-in test environment"
	}
}

// LocalPlacementReason says why calls naming another node run on this one,
// for what chatctl prints; "" when they do not (placement "remote").
func (c Config) LocalPlacementReason() string {
	switch {
	case c.Tasks.Placement != PlacementLocal:
		return ""
	case c.Environment == EnvTest:
		return `tasks.placement is "local" in the test environment`
	}
	return `tasks.placement is "local"`
}

// Duration is a time.Duration written in TOML as a Go duration string
// ("15s", "1m30s").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q: want a number with a unit, like \"15s\" or \"500ms\"", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes d as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns d as a Go duration string.
func (d Duration) String() string { return time.Duration(d).String() }
