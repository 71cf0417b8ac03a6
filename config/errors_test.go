package config

import (
	"errors"
	"strings"
	"testing"

	"chatd/wire"
)

// TestLoadFileErrors checks that every error in a config file names the
// file, line and key of the bad value. FILE stands for the file's path.
func TestLoadFileErrors(t *testing.T) {
	const tail = `
[environments.test]
tasks.placement = "local"

[nodes.moebi]
responder.reply = "chicken?"
`
	checkBadFiles(t, []badFile{
		{"unknown key in table", "[link]\ntick = \"1s\"\ntik = \"2s\"\n",
			`FILE:3: unknown key "link.tik" (known keys in [link]: tick, handshake_timeout, max_frame, max_streams)`},
		{"unknown top-level key", "hots = \"x\"\n",
			`FILE:1: unknown key "hots" (known keys at the top level: version, environment, host, cookie_file; tables: [mapper], [listen], [link], [tasks], [processes], [responder], [erlang], [log], [metrics], [environments.<env>], [nodes.<name>])`},
		{"unknown table", "\n[linkk]\ntick = 1\n",
			`FILE:2: unknown key "linkk" (known keys at the top level: version, environment, host, cookie_file; tables: [mapper], [listen], [link], [tasks], [processes], [responder], [erlang], [log], [metrics], [environments.<env>], [nodes.<name>])`},
		{"name in the file", "name = \"alex\"\n",
			`FILE:1: unknown key "name": the node name comes from --name or CHATD_NAME, not from the file`},
		{"key with wrong case", "[Link]\ntick = \"1s\"\n",
			`FILE:1: unknown key "Link" (known keys at the top level: version, environment, host, cookie_file; tables: [mapper], [listen], [link], [tasks], [processes], [responder], [erlang], [log], [metrics], [environments.<env>], [nodes.<name>])`},
		{"unknown key in selected environment", tail + "[environments.dev]\nlink.tik = \"1s\"\n",
			`FILE:8: unknown key "environments.dev.link.tik" (known keys in [link]: tick, handshake_timeout, max_frame, max_streams)`},
		{"unknown key in unselected environment", "[environments.prod]\n\nmapper.prot = 1\n" + tail,
			`FILE:3: unknown key "environments.prod.mapper.prot" (known keys in [mapper]: port, address, packet_timeout)`},
		{"unknown key in unselected node", tail + "[nodes.kate]\nrespnder.reply = \"x\"\n",
			`FILE:8: unknown key "nodes.kate.respnder" (known keys in [nodes.kate]: host, cookie_file; tables: [mapper], [listen], [link], [tasks], [processes], [responder], [erlang], [log], [metrics])`},
		{"environment in environment section", "[environments.test]\nenvironment = \"prod\"\n",
			`FILE:2: "environment" cannot be set in [environments.test], only at the top level of the file`},
		{"version in node section", tail + "version = 1\n",
			`FILE:7: "version" cannot be set in [nodes.moebi], only at the top level of the file`},
		{"unknown environment section", "[environments.staging]\nhost = \"x\"\n",
			`FILE:1: bad section [environments.staging]: "staging" is not an environment: want dev, test or prod`},
		{"bad node section name", "[nodes.\"kate@host\"]\nhost = \"x\"\n",
			`FILE:1: bad section [nodes."kate@host"]: bad node name: "kate@host" has '@' at offset 4; a name may only hold letters, digits, '_' and '-'`},
		{"environments not a table", "environments = 5\n",
			`FILE:1: environments: want a table of sections like [environments.test]`},
		{"bad duration", "\n\n[link]\ntick = \"fast\"\n",
			`FILE:4: link.tick: bad duration "fast": want a number with a unit, like "15s" or "500ms"`},
		{"bad duration in unselected environment", "[environments.prod]\nlink.tick = \"fast\"\n",
			`FILE:2: environments.prod.link.tick: bad duration "fast": want a number with a unit, like "15s" or "500ms"`},
		{"bad duration in a section written as dotted keys", "host = \"h\"\nenvironments.prod.link.tick = \"fast\"\n",
			`FILE:2: environments.prod.link.tick: bad duration "fast": want a number with a unit, like "15s" or "500ms"`},
		{"first bad section in file order", "[nodes.zed]\nlink.tick = \"1\"\n[environments.dev]\nlink.tick = \"2\"\n",
			`FILE:2: nodes.zed.link.tick: bad duration "1": want a number with a unit, like "15s" or "500ms"`},
		{"bad duration in inline table", "[nodes.kate]\ntasks = { await_timeout = \"soon\" }\n",
			`FILE:2: nodes.kate.tasks.await_timeout: bad duration "soon": want a number with a unit, like "15s" or "500ms"`},
		{"wrong type", "[link]\nmax_frame = \"big\"\n",
			`FILE:2: link.max_frame: want an integer, not a string`},
		{"value where a table belongs", "link = 5\n",
			`FILE:1: link: want a table, not an integer`},
		{"malformed TOML", "host = \"a\"\n\n[link\ntick = 1\n",
			`FILE:3: expected '.' or ']' to end table name, but got '\n' instead`},
		{"duplicate key", "host = \"a\"\nhost = \"b\"\n",
			`FILE:2: Key 'host' has already been defined.`},
		{"newer version", "version = 2\nnew_key = 1\n",
			`FILE:1: version: the file is config version 2, but this build reads version 1; upgrade chatd or rewrite the file for version 1`},
		{"bad value in file", "[tasks]\nmax_running = 10\nplacement = \"elsewhere\"\n",
			`FILE:3: tasks.placement: "elsewhere" is not a placement: want "remote" or "local"`},
		{"bad value in selected section", tail + "[environments.dev]\nlink.tick = \"10ms\"\n",
			`FILE:8: link.tick: 10ms is too short: want at least 100ms`},
		{"bad value in node section", "[nodes.alex]\n\nlink = { max_frame = 10 }\n",
			`FILE:3: link.max_frame: 10 is out of range: want 1024 (1 KiB)..67108864 (64 MiB) bytes`},
		{"several bad values", "host = \"a b\"\n[log]\nlevel = \"loud\"\n",
			"FILE:1: host: bad node name: host \"a b\" has ' ' at offset 1; a host may only hold letters, digits, '-', '_' and '.'\n" +
				`FILE:3: log.level: "loud" is not a log level: want debug, info, warn or error`},
		{"bad environment from file", "environment = \"staging\"\n",
			`FILE:1: environment: "staging" is not an environment: want dev, test or prod`},
		{"short packet timeout in file", "[mapper]\npacket_timeout = \"10ms\"\n",
			`FILE:2: mapper.packet_timeout: 10ms is out of range: want 100ms..1h0m0s`},
		{"metrics listen without a port", "[nodes.alex]\nmetrics.listen = \"127.0.0.1\"\n",
			`FILE:2: metrics.listen: "127.0.0.1" is not host:port (want e.g. 127.0.0.1:0 or [::1]:4370): address 127.0.0.1: missing port in address`},
	})
}

// TestLoadErrors checks that an error from the environment or a flag names
// the variable or the flag. FILE stands for the config file's path.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []badSource{
		{"bad environment from env var", "",
			map[string]string{"CHATD_ENV": "qa"}, Overrides{},
			`$CHATD_ENV: environment: "qa" is not an environment: want dev, test or prod`},
		{"bad environment from flag", "",
			nil, Overrides{Env: "qa"},
			`--env: environment: "qa" is not an environment: want dev, test or prod`},
		{"malformed port env var", "",
			map[string]string{"CHATD_MAPPER_PORT": "epmd"}, Overrides{},
			`$CHATD_MAPPER_PORT: "epmd" is not a number: want a port, 1..65535`},
		{"malformed ERL_EPMD_PORT", "",
			map[string]string{"ERL_EPMD_PORT": "x"}, Overrides{},
			`$ERL_EPMD_PORT: "x" is not a number: want a port, 1..65535`},
		{"port out of range from env var", "[mapper]\nport = 4369\n",
			map[string]string{"ERL_EPMD_PORT": "70000"}, Overrides{},
			`$ERL_EPMD_PORT: mapper.port: 70000 is out of range: want a port 1..65535`},
		{"bad address from ERL_EPMD_ADDRESS", "",
			map[string]string{"ERL_EPMD_ADDRESS": "127.0.0.1,bad/host"}, Overrides{},
			`$ERL_EPMD_ADDRESS: mapper.address: "bad/host" is not an IP address or host name (want e.g. 127.0.0.1, or a list like "127.0.0.1, 10.0.0.5")`},
		{"malformed tick env var", "",
			map[string]string{"CHATD_TICK": "often"}, Overrides{},
			`$CHATD_TICK: bad duration "often": want a number with a unit, like "15s" or "500ms"`},
		{"short tick from env var", "",
			map[string]string{"CHATD_TICK": "50ms"}, Overrides{},
			`$CHATD_TICK: link.tick: 50ms is too short: want at least 100ms`},
		{"bad log level env var", "",
			map[string]string{"CHATD_LOG_LEVEL": "trace"}, Overrides{},
			`$CHATD_LOG_LEVEL: log.level: "trace" is not a log level: want debug, info, warn or error`},
		{"bad log level flag", "",
			nil, Overrides{LogLevel: "trace"},
			`--log-level: log.level: "trace" is not a log level: want debug, info, warn or error`},
		{"bad listen flag", "",
			nil, Overrides{ListenAddress: "127.0.0.1"},
			`--listen: listen.address: "127.0.0.1" is not host:port (want e.g. 127.0.0.1:0 or [::1]:4370): address 127.0.0.1: missing port in address`},
		{"bad listen env var", "",
			map[string]string{"CHATD_LISTEN": "127.0.0.1:http"}, Overrides{},
			`$CHATD_LISTEN: listen.address: "127.0.0.1:http": port "http" is not a number 0..65535 (0 picks a free port)`},
		{"bad mapper port flag", "",
			nil, Overrides{MapperPort: -1},
			`--mapper-port: mapper.port: -1 is out of range: want a port 1..65535`},
		{"bad name flag", "",
			nil, Overrides{Name: "al ex"},
			`--name: name: bad node name: "al ex" has ' ' at offset 2; a name may only hold letters, digits, '_' and '-'`},
		{"bad host in name flag", "",
			nil, Overrides{Name: "alex@"},
			`--name: host: bad node name: the host part is empty (want name@host)`},
		{"bad name env var", "",
			map[string]string{"CHATD_NAME": "al/ex"}, Overrides{Name: ""},
			`$CHATD_NAME: name: bad node name: "al/ex" has '/' at offset 2; a name may only hold letters, digits, '_' and '-'`},
		{"bad host env var", "",
			map[string]string{"CHATD_HOST": "a..b"}, Overrides{},
			`$CHATD_HOST: host: bad node name: host "a..b" has an empty label`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ov := tc.ov
			if ov.Name == "" && tc.env["CHATD_NAME"] == "" {
				ov.Name = "alex"
			}
			checkLoadError(t, tc.file, tc.env, ov, tc.want)
		})
	}
}

// badSource is a value from the environment or a flag that Load refuses,
// and the error it gives; file is the config file beside it. Without a
// name from either, the node is alex.
type badSource struct {
	name string
	file string
	env  map[string]string
	ov   Overrides
	want string // FILE stands for the file's path
}

// badFile is a config file Load refuses, and the error it gives.
type badFile struct {
	name string
	file string
	want string // FILE stands for the file's path
}

// checkBadFiles loads each file as node alex and checks its error.
func checkBadFiles(t *testing.T, tests []badFile) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkLoadError(t, tc.file, nil, Overrides{Name: "alex"}, tc.want) })
	}
}

// checkLoadError loads file with env and ov and checks that Load fails
// with want, in which FILE stands for the file's path.
func checkLoadError(t *testing.T, file string, env map[string]string, ov Overrides, want string) {
	t.Helper()
	_, path, err := loadText(t, file, env, ov)
	want = strings.ReplaceAll(want, "FILE", path)
	if err == nil {
		t.Fatalf("Load succeeded, want error\n%s", want)
	}
	if got := err.Error(); got != want {
		t.Errorf("error:\ngot  %s\nwant %s", got, want)
	}
}

func TestLoadNoName(t *testing.T) {
	_, _, err := loadText(t, "", nil, Overrides{})
	if err == nil || err.Error() != "no node name: pass --name NAME or set CHATD_NAME" {
		t.Fatalf("err = %v, want the no-name error", err)
	}
}

func TestLoadBadNameWrapsErrBadName(t *testing.T) {
	_, _, err := loadText(t, "", nil, Overrides{Name: "a b"})
	if !errors.Is(err, wire.ErrBadName) {
		t.Fatalf("err = %v, want one wrapping wire.ErrBadName", err)
	}
}
