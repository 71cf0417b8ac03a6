package config

import (
	"testing"
)

// TestLoadTypeErrors checks the message for a value of the wrong TOML type
// at every kind of place: a setting, a table, a section and the section
// roots. FILE stands for the config file's path.
func TestLoadTypeErrors(t *testing.T) {
	checkBadFiles(t, []badFile{
		{"float for an integer", "[link]\nmax_frame = 1.5\n",
			`FILE:2: link.max_frame: want an integer, not a float`},
		{"boolean for an integer", "[processes]\nmax = true\n",
			`FILE:2: processes.max: want an integer, not a boolean`},
		{"date for an integer", "[processes]\n\nmailbox = 1979-05-27\n",
			`FILE:3: processes.mailbox: want an integer, not a date`},
		{"array for an integer", "link.max_streams = [1, 2]\n",
			`FILE:1: link.max_streams: want an integer, not an array`},
		{"integer for a string", "host = 5\n",
			`FILE:1: host: want a string, not an integer`},
		{"inline table for a string", "cookie_file = { path = \"/c\" }\n",
			`FILE:1: cookie_file: want a string, not a table`},
		{"table for a duration", "[link.tick]\nseconds = 5\n",
			`FILE:1: link.tick: want a string, not a table`},
		{"dotted key below a duration", "[link]\ntick.seconds = 5\n",
			`FILE:2: link.tick: want a string, not a table`},
		{"array for a duration", "[tasks]\nawait_timeout = [\"5s\"]\n",
			`FILE:2: tasks.await_timeout: want a string, not an array`},
		{"integer for a duration is a bad duration", "[link]\ntick = 5\n",
			`FILE:2: link.tick: bad duration "5": want a number with a unit, like "15s" or "500ms"`},
		{"string for a table", "log = \"debug\"\n",
			`FILE:1: log: want a table, not a string`},
		{"array of tables for a table", "[[tasks]]\nmax_running = 1\n",
			`FILE:1: tasks: want a table, not an array`},
		{"inline array of tables for a table", "link = [{ tick = \"1s\" }]\n",
			`FILE:1: link: want a table, not an array`},
		{"string for a nested table", "[link]\ntls = \"on\"\n",
			`FILE:2: link.tls: want a table, not a string`},
		{"wrong type in unselected environment", "[environments.prod]\nlink.max_frame = \"big\"\n",
			`FILE:2: environments.prod.link.max_frame: want an integer, not a string`},
		{"wrong type in node section", "[nodes.kate]\n[nodes.kate.mapper]\nport = \"4369\"\n",
			`FILE:3: nodes.kate.mapper.port: want an integer, not a string`},
		{"section that is not a table", "environments.prod = 5\n",
			`FILE:1: environments.prod: want a table, not an integer`},
		{"nodes not a table", "nodes = [\"kate\"]\n",
			`FILE:1: nodes: want a table of sections like [nodes.alex]`},
		{"wrong type for the version", "version = \"1\"\n",
			`FILE:1: version: want an integer, not a string`},
	})
}
