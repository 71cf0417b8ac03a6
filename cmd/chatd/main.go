// Command chatd runs one chatd node: chatd --name alex starts
// alex@localhost. See the README for operating it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/coreos/go-systemd/v22/activation"
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
		&cli.StringFlag{Name: "config", Usage: "config `FILE` (default $CHATD_CONFIG, else /etc/chatd/chatd.toml if present)"},
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

func runNode(c *cli.Context) error {
	if c.Args().Present() {
		return cli.Exit(fmt.Sprintf("unexpected argument %q (see chatd --help)", c.Args().First()), 2)
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	cookie, err := config.LoadCookie(cfg, os.Getenv, os.Getuid())
	if err != nil {
		return cli.Exit(err.Error(), 1)
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
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go forwardHangups(ctx, hup, reload)

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

// forwardHangups turns SIGHUP into reload requests until ctx ends.
func forwardHangups(ctx context.Context, hup <-chan os.Signal, reload chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			select {
			case reload <- struct{}{}:
			default: // one is pending already
			}
		}
	}
}

// activatedControl returns the control socket systemd passed in
// (chatd@.socket), or nil when the node should create its own.
func activatedControl() (net.Listener, error) {
	lns, err := activation.Listeners()
	if err != nil {
		return nil, fmt.Errorf("socket activation: %w", err)
	}
	for _, ln := range lns {
		if _, ok := ln.(*net.UnixListener); ok {
			return ln, nil
		}
	}
	return nil, nil
}
