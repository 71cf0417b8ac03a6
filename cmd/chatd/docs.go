package main

// chatd's manual page beyond its commands and flags, and the values its
// shell completion offers.

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"chatd/cmd/internal/clidoc"
	"chatd/config"
)

// manPage is chatd(8)'s sections after COMMANDS. The configuration keys
// and the variables that set them come from package config.
func manPage() clidoc.Page {
	return clidoc.Page{Program: "chatd", Section: 8, Sections: []clidoc.Section{
		{Title: "Configuration", Body: "A TOML file: --config FILE, else $CHATD_CONFIG, else chatd.toml in\n" +
			"$CONFIGURATION_DIRECTORY (systemd's ConfigurationDirectory=), else for\n" +
			"users other than root $XDG_CONFIG_HOME/chatd/chatd.toml\n" +
			"(~/.config/chatd/chatd.toml), else " + config.SystemConfigFile + ": the first that\n" +
			"exists. Precedence, highest first: flags, CHATD_* variables, [nodes.NAME],\n" +
			"[environments.ENV], the file's top level, defaults.\n" +
			"Unknown keys, bad values and bad names are errors naming file, line and key;\n" +
			"`chatd check` prints the effective settings. Every key, with its default:\n\n" +
			indentLines(config.Defaults()) + "\n" +
			"[environments.ENV] and [nodes.NAME] sections hold the same keys, for one\n" +
			"environment or one node: [nodes.moebi] responder.reply = \"chicken?\"."},
		{Title: "Environment", Body: envText()},
		{Title: "Files", Body: config.SystemConfigFile + "\n   the configuration (see CONFIGURATION); ~/.config/chatd/chatd.toml for a user.\n" +
			"/etc/chatd/cookie\n   the cookie every local node shares (owner-only; chatd@.service passes it in as\n" +
			"   a credential). Without cookie_file, a random cookie is created in the state\n" +
			"   directory: $STATE_DIRECTORY, else /var/lib/chatd as root, else\n" +
			"   $XDG_STATE_HOME/chatd.\n" +
			"RUNTIME/NAME/control.sock\n   the control socket chatctl(1) uses (HTTP and JSON, mode 0660, peers checked\n" +
			"   with SO_PEERCRED). RUNTIME is $CHATD_RUNTIME_DIR, else /run/chatd as root,\n" +
			"   else $XDG_RUNTIME_DIR/chatd."},
		{Title: "Signals", Body: "SIGHUP\n   reloads the configuration: the responder, the log level and link.tick; the\n" +
			"   rest needs a restart (systemctl reload chatd@NAME).\n" +
			"SIGTERM, SIGINT\n   stop the node: it stops accepting, lets running tasks finish within the\n" +
			"   grace period, closes its links (peers see it down), deregisters from the\n" +
			"   port mapper, removes its control socket and exits 0."},
		{Title: "Exit status", Body: "0 the node ran and stopped cleanly, or the command succeeded. 1 the node\n" +
			"failed, or the configuration or cookie is invalid. 2 usage error."},
		{Title: "See also", Body: "chatctl(1), epmd(1)"},
	}}
}

// envText lists the environment variables chatd reads.
func envText() string {
	var b strings.Builder
	b.WriteString("CHATD_NAME\n   the node's name, NAME or NAME@HOST (--name).\n" +
		"CHATD_CONFIG\n   the configuration file (--config).\n")
	for _, v := range config.EnvVars() {
		fmt.Fprintf(&b, "%s\n   sets %s.\n", v.Name, v.Key)
	}
	b.WriteString("CHATD_RUNTIME_DIR, STATE_DIRECTORY, XDG_RUNTIME_DIR, XDG_STATE_HOME\n" +
		"   where the control socket and the state live (see FILES).\n" +
		"CREDENTIALS_DIRECTORY\n   systemd's credentials: a credential named cookie is the cookie.\n" +
		"NOTIFY_SOCKET, WATCHDOG_USEC, LISTEN_FDS\n   systemd's readiness notification, watchdog and socket activation.")
	return b.String()
}

// indentLines indents every line of s by three spaces: verbatim in the
// man page.
func indentLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "   " + l
	}
	return strings.Join(lines, "\n")
}

// completeValues is what chatd's completion offers for a flag's value.
func completeValues(_ *cli.Command, flag string, _ int) []string {
	switch flag {
	case "env":
		return []string{"dev", "test", "prod"}
	case "log-level":
		return config.LogLevels()
	}
	return nil
}
