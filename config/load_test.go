package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"chatd/paths"
)

// mapEnv returns a paths.Getenv reading from m.
func mapEnv(m map[string]string) paths.Getenv {
	return func(k string) string { return m[k] }
}

// writeFile writes content to dir/name and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadText loads content as the config file, with no system-wide file.
func loadText(t *testing.T, content string, env map[string]string, ov Overrides) (Config, string, error) {
	t.Helper()
	dir := t.TempDir()
	p := writeFile(t, dir, "chatd.toml", content)
	cfg, err := load(p, ov, mapEnv(env), fallbacks{filepath.Join(dir, "absent.toml")})
	return cfg, p, err
}

// layered sets link.tick, listen.address, mapper.port, host and
// tasks.placement at every file level.
const layered = `
host = "top.example"
[listen]
address = "127.0.0.1:1001"
[mapper]
port = 1001
[link]
tick = "1s"
[tasks]
placement = "local"
[log]
level = "warn"

[environments.test]
host = "envsection.example"
listen.address = "127.0.0.1:1002"
mapper.port = 1002
link.tick = "2s"
tasks.placement = "remote"

[nodes.alex]
host = "nodesection.example"
listen.address = "127.0.0.1:1003"
mapper = { port = 1003 }
link.tick = "3s"

[nodes.kate]
link.tick = "9s"
`

func TestLoadPrecedence(t *testing.T) {
	type want struct {
		host, listen, placement, env, level string
		port                                int
		tick                                time.Duration
	}
	tests := []struct {
		name string
		file string
		env  map[string]string
		ov   Overrides
		want want
	}{
		{"defaults only", "", map[string]string{"CHATD_NAME": "alex"}, Overrides{},
			want{"localhost", "127.0.0.1:0", "remote", "dev", "info", 4369, 15 * time.Second}},
		{"file top level", layered, nil, Overrides{Name: "bob"},
			want{"top.example", "127.0.0.1:1001", "local", "dev", "warn", 1001, time.Second}},
		{"environment section via --env", layered, nil, Overrides{Name: "bob", Env: "test"},
			want{"envsection.example", "127.0.0.1:1002", "remote", "test", "warn", 1002, 2 * time.Second}},
		{"environment section via CHATD_ENV", layered, map[string]string{"CHATD_ENV": "test"}, Overrides{Name: "bob"},
			want{"envsection.example", "127.0.0.1:1002", "remote", "test", "warn", 1002, 2 * time.Second}},
		{"environment section via file", "environment = \"test\"\n" + layered, nil, Overrides{Name: "bob"},
			want{"envsection.example", "127.0.0.1:1002", "remote", "test", "warn", 1002, 2 * time.Second}},
		{"--env beats CHATD_ENV", layered, map[string]string{"CHATD_ENV": "prod"}, Overrides{Name: "bob", Env: "test"},
			want{"envsection.example", "127.0.0.1:1002", "remote", "test", "warn", 1002, 2 * time.Second}},
		{"node section beats environment section", layered, nil, Overrides{Name: "alex", Env: "test"},
			want{"nodesection.example", "127.0.0.1:1003", "remote", "test", "warn", 1003, 3 * time.Second}},
		{"node section selected by CHATD_NAME", layered, map[string]string{"CHATD_NAME": "alex"}, Overrides{},
			want{"nodesection.example", "127.0.0.1:1003", "local", "dev", "warn", 1003, 3 * time.Second}},
		{"node section selected by name@host", layered, nil, Overrides{Name: "alex@flag.example"},
			want{"flag.example", "127.0.0.1:1003", "local", "dev", "warn", 1003, 3 * time.Second}},
		{"env vars beat node section", layered, map[string]string{
			"CHATD_HOST": "envvar.example", "CHATD_LISTEN": "127.0.0.1:1004", "ERL_EPMD_PORT": "1004",
			"CHATD_TICK": "4s", "CHATD_LOG_LEVEL": "debug",
		}, Overrides{Name: "alex"},
			want{"envvar.example", "127.0.0.1:1004", "local", "dev", "debug", 1004, 4 * time.Second}},
		{"CHATD_MAPPER_PORT beats ERL_EPMD_PORT", layered, map[string]string{
			"ERL_EPMD_PORT": "1004", "CHATD_MAPPER_PORT": "1005",
		}, Overrides{Name: "alex"},
			want{"nodesection.example", "127.0.0.1:1003", "local", "dev", "warn", 1005, 3 * time.Second}},
		{"CHATD_NAME host beats CHATD_HOST", layered, map[string]string{
			"CHATD_NAME": "alex@name.example", "CHATD_HOST": "envvar.example",
		}, Overrides{},
			want{"name.example", "127.0.0.1:1003", "local", "dev", "warn", 1003, 3 * time.Second}},
		{"flags beat env vars", layered, map[string]string{
			"CHATD_NAME": "kate@name.example", "CHATD_HOST": "envvar.example", "CHATD_LISTEN": "127.0.0.1:1004",
			"CHATD_MAPPER_PORT": "1004", "CHATD_ENV": "prod",
		}, Overrides{Name: "alex@flag.example", ListenAddress: "127.0.0.1:1006", MapperPort: 1006, Env: "test"},
			want{"flag.example", "127.0.0.1:1006", "remote", "test", "warn", 1006, 3 * time.Second}},
		{"--log-level beats CHATD_LOG_LEVEL", layered, map[string]string{"CHATD_LOG_LEVEL": "error"},
			Overrides{Name: "alex", LogLevel: "debug"},
			want{"nodesection.example", "127.0.0.1:1003", "local", "dev", "debug", 1003, 3 * time.Second}},
		{"sections written as dotted keys", "environments.test.link.tick = \"2s\"\nnodes.alex.mapper.port = 1003\n", nil, Overrides{Name: "alex", Env: "test"},
			want{"localhost", "127.0.0.1:0", "local", "test", "info", 1003, 2 * time.Second}},
		{"built-in test environment: --env test alone", "", nil, Overrides{Name: "alex", Env: "test"},
			want{"localhost", "127.0.0.1:0", "local", "test", "info", 4369, 15 * time.Second}},
		{"built-in test environment beats the top level", "environment = \"test\"\n[tasks]\nplacement = \"remote\"\n", nil, Overrides{Name: "alex"},
			want{"localhost", "127.0.0.1:0", "local", "test", "info", 4369, 15 * time.Second}},
		{"the file's test section beats the built-in one", "[environments.test]\ntasks.placement = \"remote\"\n", map[string]string{"CHATD_ENV": "test"}, Overrides{Name: "alex"},
			want{"localhost", "127.0.0.1:0", "remote", "test", "info", 4369, 15 * time.Second}},
		{"prod has no built-in placement", "", nil, Overrides{Name: "alex", Env: "prod"},
			want{"localhost", "127.0.0.1:0", "remote", "prod", "info", 4369, 15 * time.Second}},
		{"bare --name keeps the configured host", layered, map[string]string{"CHATD_NAME": "kate@name.example"}, Overrides{Name: "alex"},
			want{"nodesection.example", "127.0.0.1:1003", "local", "dev", "warn", 1003, 3 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := loadText(t, tc.file, tc.env, tc.ov)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := want{cfg.Host, cfg.Listen.Address, cfg.Tasks.Placement, cfg.Environment, cfg.Log.Level, cfg.Mapper.Port, cfg.Link.Tick.D()}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestLoadNameAndFile(t *testing.T) {
	cfg, p, err := loadText(t, "", nil, Overrides{Name: "alex@h.example", CookieFile: "/c"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.NodeName().String(); got != "alex@h.example" {
		t.Errorf("NodeName = %s, want alex@h.example", got)
	}
	if cfg.File != p || cfg.CookieFile != "/c" || cfg.Version != SchemaVersion {
		t.Errorf("File = %q, CookieFile = %q, Version = %d; want %q, /c, %d", cfg.File, cfg.CookieFile, cfg.Version, p, SchemaVersion)
	}
}

func TestLoadFindsFile(t *testing.T) {
	dir := t.TempDir()
	envFile := writeFile(t, dir, "env.toml", `host = "env.example"`)
	sysFile := writeFile(t, dir, "system.toml", `host = "system.example"`)
	confDir := filepath.Join(dir, "confdir")
	if err := os.Mkdir(confDir, 0o700); err != nil {
		t.Fatal(err)
	}
	unitFile := writeFile(t, confDir, "chatd.toml", `host = "unit.example"`)
	explicit := writeFile(t, dir, "explicit.toml", `host = "explicit.example"`)
	userFile := writeFile(t, dir, "user.toml", `host = "user.example"`)
	missing := filepath.Join(dir, "missing.toml")
	user := fallbacks{userFile, sysFile}
	noUser := fallbacks{missing, sysFile}

	tests := []struct {
		name     string
		path     string
		env      map[string]string
		sys      fallbacks
		wantFile string
		wantErr  string
	}{
		{"explicit path", explicit, map[string]string{"CHATD_CONFIG": envFile}, user, explicit, ""},
		{"CHATD_CONFIG", "", map[string]string{"CHATD_CONFIG": envFile, "CONFIGURATION_DIRECTORY": confDir}, user, envFile, ""},
		{"systemd configuration directory", "", map[string]string{"CONFIGURATION_DIRECTORY": confDir}, user, unitFile, ""},
		{"second configuration directory", "", map[string]string{"CONFIGURATION_DIRECTORY": dir + "/nope:" + confDir}, user, unitFile, ""},
		{"user file before the system file", "", map[string]string{"CONFIGURATION_DIRECTORY": dir + "/nope"}, user, userFile, ""},
		{"no user file (root): system file", "", nil, fallbacks{"", sysFile}, sysFile, ""},
		{"system file", "", map[string]string{"CONFIGURATION_DIRECTORY": dir + "/nope"}, noUser, sysFile, ""},
		{"no file", "", nil, fallbacks{missing, missing}, "", ""},
		{"explicit path missing", missing, nil, user, "", "config file " + missing + " (from --config): "},
		{"CHATD_CONFIG missing", "", map[string]string{"CHATD_CONFIG": missing}, user, "", "config file " + missing + " (from $CHATD_CONFIG): "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := load(tc.path, Overrides{Name: "alex"}, mapEnv(tc.env), tc.sys)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("err = %v, want one containing %q and wrapping fs.ErrNotExist", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.File != tc.wantFile {
				t.Errorf("File = %q, want %q", cfg.File, tc.wantFile)
			}
		})
	}
}

func TestLoadMapper(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		env     map[string]string
		address string
		extra   []string
		timeout time.Duration
	}{
		{"defaults", "", nil, "127.0.0.1", []string{"127.0.0.1"}, 60 * time.Second},
		{"file", "[mapper]\naddress = \"10.0.0.5 ::1\"\npacket_timeout = \"1s\"\n", nil,
			"10.0.0.5 ::1", []string{"10.0.0.5", "::1"}, time.Second},
		{"ERL_EPMD_ADDRESS beats the file", "[mapper]\naddress = \"10.0.0.5\"\n",
			map[string]string{"ERL_EPMD_ADDRESS": "192.0.2.1, ,2001:db8::1"},
			"192.0.2.1, ,2001:db8::1", []string{"192.0.2.1", "2001:db8::1"}, 60 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := loadText(t, tc.file, tc.env, Overrides{Name: "alex"})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			m := cfg.Mapper
			if m.Address != tc.address || !slices.Equal(m.Addresses(), tc.extra) || m.PacketTimeout.D() != tc.timeout {
				t.Fatalf("mapper = %+v (addresses %q); want address %q (%q), packet_timeout %s", m, m.Addresses(), tc.address, tc.extra, tc.timeout)
			}
		})
	}
}

func TestReference(t *testing.T) {
	d := Defaults()
	for _, want := range []string{"version = 1\n", "[tasks]\nawait_timeout = \"5s\"\n", "[log]\nlevel = \"info\"\n"} {
		if !strings.Contains(d, want) {
			t.Errorf("Defaults() lacks %q:\n%s", want, d)
		}
	}
	vars := EnvVars()
	if len(vars) != len(envSettings()) || vars[len(vars)-1] != (EnvVar{Name: "CHATD_LOG_LEVEL", Key: "log.level"}) {
		t.Errorf("EnvVars() = %v", vars)
	}
}
