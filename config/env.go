package config

import (
	"fmt"
	"strconv"
	"strings"

	"chatd/paths"
)

// envSetting is one environment variable Load reads.
type envSetting struct {
	name string // the variable, CHATD_TICK
	key  string // the setting it sets, link.tick
	set  func(c *Config, v string) error
}

// envSettings lists the variables in the order they are applied; a later
// one wins over an earlier one that sets the same key.
// CHATD_NAME is handled by selectedName and applyName.
func envSettings() []envSetting {
	port := func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a number: want a port, 1..65535", v)
		}
		c.Mapper.Port = n
		return nil
	}
	return []envSetting{
		{"CHATD_ENV", "environment", func(c *Config, v string) error { c.Environment = v; return nil }},
		{"CHATD_HOST", "host", func(c *Config, v string) error { c.Host = v; return nil }},
		{"CHATD_COOKIE_FILE", "cookie_file", func(c *Config, v string) error { c.CookieFile = v; return nil }},
		{"CHATD_LISTEN", "listen.address", func(c *Config, v string) error { c.Listen.Address = v; return nil }},
		{"ERL_EPMD_PORT", "mapper.port", port},
		{"ERL_EPMD_ADDRESS", "mapper.address", func(c *Config, v string) error { c.Mapper.Address = v; return nil }},
		{"CHATD_MAPPER_PORT", "mapper.port", port}, // wins over ERL_EPMD_PORT
		{"CHATD_TICK", "link.tick", func(c *Config, v string) error {
			return c.Link.Tick.UnmarshalText([]byte(strings.TrimSpace(v)))
		}},
		{"CHATD_LOG_LEVEL", "log.level", func(c *Config, v string) error { c.Log.Level = v; return nil }},
	}
}

// applyEnv applies the CHATD_* environment variables (except CHATD_NAME)
// to c. A malformed value is an error naming the variable.
func applyEnv(c *Config, getenv paths.Getenv, org origins) error {
	for _, s := range envSettings() {
		v := getenv(s.name)
		if v == "" {
			continue
		}
		if err := s.set(c, v); err != nil {
			return fmt.Errorf("$%s: %w", s.name, err)
		}
		org[s.key] = "$" + s.name
	}
	return nil
}

// applyOverrides applies the command-line flags, except --name, to c.
func applyOverrides(c *Config, ov Overrides, org origins) {
	if ov.Env != "" {
		c.Environment, org["environment"] = ov.Env, "--env"
	}
	if ov.CookieFile != "" {
		c.CookieFile, org["cookie_file"] = ov.CookieFile, "--cookie-file"
	}
	if ov.ListenAddress != "" {
		c.Listen.Address, org["listen.address"] = ov.ListenAddress, "--listen"
	}
	if ov.MapperPort != 0 {
		c.Mapper.Port, org["mapper.port"] = ov.MapperPort, "--mapper-port"
	}
	if ov.LogLevel != "" {
		c.Log.Level, org["log.level"] = ov.LogLevel, "--log-level"
	}
}

// selectedName returns the node name as given by --name, else by
// CHATD_NAME ("name" or "name@host"), and where it came from.
func selectedName(ov Overrides, getenv paths.Getenv) (full, origin string) {
	if ov.Name != "" {
		return ov.Name, "--name"
	}
	if v := getenv("CHATD_NAME"); v != "" {
		return v, "$CHATD_NAME"
	}
	return "", ""
}

// nameOnly returns the name part of "name" or "name@host"; it selects the
// [nodes.<name>] section.
func nameOnly(full string) string {
	name, _, _ := strings.Cut(full, "@")
	return name
}

// applyName sets c.Name, and c.Host when full is name@host. The host part
// is applied at the level full came from, so it wins over CHATD_HOST and
// the file.
func applyName(c *Config, full, origin string, org origins) {
	if full == "" {
		return
	}
	name, host, hasHost := strings.Cut(full, "@")
	c.Name, org["name"] = name, origin
	if hasHost {
		c.Host, org["host"] = host, origin
	}
}
