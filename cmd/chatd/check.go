package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"chatd/daemon"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "validate the configuration and print the effective settings",
		UsageText: "chatd check [--name N] [--config FILE] [--env ENV] ...",
		Description: "Loads the config exactly as the node would (flags, CHATD_* variables, node and\n" +
			"environment sections, file, defaults), checks the cookie file, and prints the\n" +
			"effective settings; with [link] tls set it also loads the certificate, key\n" +
			"and CA. The cookie itself is never printed. Exits 1 on any error.\n\n" +
			"Example:\n   $ chatd check --name kate --config /etc/chatd/chatd.toml",
		Flags: nodeFlags(),
		Action: func(c *cli.Context) error {
			cfg, cookie, err := loadNode(c)
			if err != nil {
				return err
			}
			if w := cookie.Weakness(); w != "" {
				fmt.Fprintf(c.App.ErrWriter, "chatd: warning: %s\n", w)
			}
			if _, err := daemon.LoadLinkTLS(cfg.Link.TLS); err != nil {
				return cli.Exit(err.Error(), 1)
			}
			fmt.Fprint(c.App.Writer, cfg.Effective(os.Getenv, os.Getuid()))
			return nil
		},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version and the link protocol version",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "chatd %s (link protocol %d)\n", version, protocolVersion)
			return nil
		},
	}
}
