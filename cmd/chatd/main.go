// Command chatd runs one chatd node: chatd --name alex starts
// alex@localhost. See the README for operating it.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	sdDaemon "github.com/coreos/go-systemd/v22/daemon"
	"github.com/urfave/cli/v2"

	"chatd/cmd/internal/clidoc"

	"chatd/config"
	"chatd/daemon"
	"chatd/daemon/logging"
	"chatd/daemon/sink"
)

// version is stamped by the Makefile with -ldflags -X main.version=...
var version = "dev"

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code: 0 success, 1 the
// node failed or the config is invalid, 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	if err := app.Run(args); err != nil {
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			if msg := err.Error(); msg != "" {
				fmt.Fprintf(stderr, "chatd: %s\n", msg)
			}
			return ec.ExitCode()
		}
		fmt.Fprintf(stderr, "chatd: %v\n", err)
		return 1
	}
	return 0
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "chatd",
		Usage:     "run a chatd node (Erlang-style named node with a chat)",
		UsageText: "chatd [--name N] [--config FILE] [--env ENV] [--cookie-file F] [--listen ADDR] [--mapper-port P] [--log-level L]\nchatd check [flags]\nchatd version",
		Description: "Starts the node NAME@host, registers it with the EPMD-compatible port mapper\n" +
			"(starting one inside itself when none answers), links to peers on first use and\n" +
			"serves the control socket that chatctl uses.\n\n" +
			"Example:\n   chatd --name alex                  # alex@localhost\n" +
			"   chatd --name kate --config ./chatd.toml --env test",
		Version:         version,
		Writer:          stdout,
		ErrWriter:       stderr,
		Flags:           nodeFlags(),
		HideHelpCommand: true,
		Action:          runNode,
		Commands: []*cli.Command{checkCommand(), versionCommand(),
			clidoc.Command(manPage()), clidoc.CompleteCommand(completeValues)},
		// run prints errors and picks the exit code; cli must not exit itself.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return cli.Exit(fmt.Sprintf("%v (see chatd --help)", err), 2)
		},
	}
}

func nodeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "name", Usage: "node name, `NAME` or NAME@host (env CHATD_NAME)"},
		&cli.StringFlag{Name: "config", Usage: "config `FILE` (default $CHATD_CONFIG, else ~/.config/chatd/chatd.toml for a user, else /etc/chatd/chatd.toml, if present)"},
		&cli.StringFlag{Name: "env", Usage: "environment `ENV`: dev, test or prod (env CHATD_ENV)"},
		&cli.StringFlag{Name: "cookie-file", Usage: "owner-only `FILE` holding the cookie (env CHATD_COOKIE_FILE)"},
		&cli.StringFlag{Name: "listen", Usage: "`HOST:PORT` for peer links; port 0 picks one (env CHATD_LISTEN)"},
		&cli.IntFlag{Name: "mapper-port", Usage: "port mapper `PORT` (env CHATD_MAPPER_PORT or ERL_EPMD_PORT)",
			DefaultText: "[mapper] port, else 4369"},
		&cli.StringFlag{Name: "log-level", Usage: "log `LEVEL`: debug, info, warn or error; debug adds a crashing task's stack (env CHATD_LOG_LEVEL)",
			DefaultText: "[log] level, else info"},
	}
}

// loadConfig builds the effective config from flags, environment and file.
func loadConfig(c *cli.Context) (config.Config, error) {
	return config.Load(c.String("config"), config.Overrides{
		Name:          c.String("name"),
		Env:           c.String("env"),
		CookieFile:    c.String("cookie-file"),
		ListenAddress: c.String("listen"),
		MapperPort:    c.Int("mapper-port"),
		LogLevel:      c.String("log-level"),
	}, os.Getenv)
}

// loadNode loads the effective config and the cookie it names, as the
// node and chatd check do; a failure is exit status 1.
func loadNode(c *cli.Context) (config.Config, config.Cookie, error) {
	cfg, err := loadConfig(c)
	if err != nil {
		return config.Config{}, config.Cookie{}, cli.Exit(err.Error(), 1)
	}
	cookie, err := config.LoadCookie(cfg, os.Getenv, os.Getuid())
	if err != nil {
		return config.Config{}, config.Cookie{}, cli.Exit(err.Error(), 1)
	}
	return cfg, cookie, nil
}

func runNode(c *cli.Context) error {
	if c.Args().Present() {
		return cli.Exit(fmt.Sprintf("unexpected argument %q (see chatd --help)", c.Args().First()), 2)
	}
	cfg, cookie, err := loadNode(c)
	if err != nil {
		return err
	}
	level := new(slog.LevelVar)
	_ = level.UnmarshalText([]byte(cfg.Log.Level)) // validated by config
	logger := logging.New(c.App.ErrWriter, level, sink.UseJournal(os.Getenv))
	if w := cookie.Weakness(); w != "" {
		logger.Warn("weak cookie", "cookie_file", cfg.CookieFile, "why", w)
	}
	ctl, err := activatedControl()
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}

	stops, stop := watchStopSignals()
	defer stop()
	ctx := stops.ctx
	reload, stopHangups := reloadOnHangup(ctx)
	defer stopHangups()

	watchdog, _ := sdDaemon.SdWatchdogEnabled(false)
	err = daemon.Run(ctx, cfg, cookie, daemon.Options{
		Version: version, Logger: logger, Getenv: os.Getenv,
		UID: os.Getuid(), GID: os.Getgid(),
		Notify: newNotifier(logger).send, WatchdogInterval: watchdog,
		Reload: reload, LoadConfig: func() (config.Config, error) { return loadConfig(c) },
		LogLevel: level, ControlListener: ctl,
		StopNow: stops.now, StopNowHint: stops.hint,
	})
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	return nil
}
