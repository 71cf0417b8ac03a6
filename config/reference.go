package config

// What the manual says about the configuration, from the definitions
// themselves so that it cannot drift: every key with its default, and the
// environment variables that set keys.

import (
	"reflect"
	"strings"
)

// Defaults returns every setting with its default value, as the TOML a
// file would hold (chatd(8) prints it). The environments and nodes
// sections, which repeat these keys, are not in it.
func Defaults() string {
	var b strings.Builder
	writeTable(&b, reflect.ValueOf(Default()), "", map[string]string{
		"cookie_file":     "empty: the credential, else a random cookie created in the state directory",
		"responder.reply": "empty: the responder is off",
		"metrics.listen":  "empty: GET /metrics on the control socket only",
	})
	return b.String()
}

// EnvVar is an environment variable Load reads and the key it sets.
type EnvVar struct {
	Name string // CHATD_TICK
	Key  string // link.tick
}

// EnvVars lists the environment variables that set a key, in the order
// Load applies them (a later one that sets the same key wins).
func EnvVars() []EnvVar {
	var out []EnvVar
	for _, s := range envSettings() {
		out = append(out, EnvVar{Name: s.name, Key: s.key})
	}
	return out
}
