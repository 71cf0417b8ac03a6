package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestEffective(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	credDir := t.TempDir()
	writeCookie(t, credDir, secret, 0o400)

	tests := []struct {
		name   string
		modify func(c *Config)
		env    map[string]string
		want   []string // lines the output must contain
	}{
		{"defaults", func(c *Config) {}, map[string]string{"STATE_DIRECTORY": stateDir}, []string{
			"# effective configuration of alex@localhost",
			"# config file: none (defaults, environment variables and flags only)",
			`cookie_file = ""  # (generated in ` + stateDir + `/cookie)`,
			"[link]\ntick = \"15s\"\nhandshake_timeout = \"5s\"\nmax_frame = 1048576\nmax_streams = 1024\n",
			"[mapper]\nport = 4369\naddress = \"127.0.0.1\"\npacket_timeout = \"1m0s\"\n",
			`reply = ""  # empty: the responder is off`,
			`listen = ""  # empty: GET /metrics on the control socket only`,
		}},
		{"cookie file and responder", func(c *Config) {
			c.File = "/etc/chatd/chatd.toml"
			c.CookieFile = "/etc/chatd/cookie"
			c.Responder.Reply = `say "chicken?"`
			c.Tasks.Placement = PlacementLocal
		}, nil, []string{
			"# config file: /etc/chatd/chatd.toml",
			"cookie_file = \"/etc/chatd/cookie\"\n",
			"[responder]\nreply = \"say \\\"chicken?\\\"\"\n",
			"[tasks]\nawait_timeout = \"5s\"\nmax_running = 10000\nplacement = \"local\"  # every call and send runs on this node, whatever node it names\nstop_grace = \"5s\"\n",
		}},
		{"systemd credential", func(c *Config) { c.CookieFile = "/etc/chatd/cookie" },
			map[string]string{"CREDENTIALS_DIRECTORY": credDir}, []string{
				`cookie_file = "/etc/chatd/cookie"  # overridden by the systemd credential ` + credDir + "/cookie",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.Name = "alex"
			tc.modify(&c)
			out := c.Effective(mapEnv(tc.env), os.Getuid())
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			assertNoSecret(t, out)

			// Without its comments, the text reads back as the same settings.
			back := Default()
			back.Mapper.Port = 1
			if _, err := toml.Decode(out, &back); err != nil {
				t.Fatalf("output does not decode: %v\n%s", err, out)
			}
			back.Name, back.File = c.Name, c.File
			if back != c {
				t.Errorf("decoded back:\n%+v\nwant\n%+v", back, c)
			}
		})
	}
}

func TestEffectiveOfLoadedConfig(t *testing.T) {
	cfg, path, err := loadText(t, layered, map[string]string{"STATE_DIRECTORY": "/st"}, Overrides{Name: "alex", Env: "test"})
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.Effective(mapEnv(map[string]string{"STATE_DIRECTORY": "/st"}), os.Getuid())
	for _, w := range []string{
		"# effective configuration of alex@nodesection.example\n# config file: " + path + "\n",
		"environment = \"test\"\n", "[link]\ntick = \"3s\"\n", "[mapper]\nport = 1003\n",
		"cookie_file = \"\"  # (generated in /st/cookie)\n",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
