// Package daemon runs a chatd node: it registers with the port mapper,
// accepts and makes links to peers, and serves the control socket.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"chatd/config"
	"chatd/daemon/beam"
	"chatd/daemon/control"
	"chatd/daemon/core"
	"chatd/daemon/epmd"
	"chatd/daemon/function"
	"chatd/daemon/link"
	"chatd/daemon/metrics"
	"chatd/daemon/nodewatch"
	"chatd/daemon/peer"
	"chatd/daemon/proc"
	"chatd/daemon/sink"
	"chatd/daemon/task"
	"chatd/internal/fdgate"
	"chatd/paths"
	"chatd/wire"
)

// ShutdownGrace bounds how long control requests in flight may take to
// finish at shutdown, once the tasks are done (tasks.stop_grace bounds
// those).
const ShutdownGrace = 5 * time.Second

// Options carries what Run needs besides the configuration.
type Options struct {
	// Version is the daemon's build version, shown in /v1/status.
	Version string
	// Logger receives operational logs.
	Logger *slog.Logger
	// Getenv reads the environment (os.Getenv in production).
	Getenv paths.Getenv
	// UID and GID are the daemon's user and group (for paths and the
	// control socket's policy).
	UID, GID int
	// Notify, if set, receives sd_notify states: READY=1 once the node is
	// registered and serving, STATUS=, WATCHDOG=1, RELOADING=1, STOPPING=1.
	Notify func(state string)
	// WatchdogInterval is systemd's WatchdogSec; 0 means no watchdog.
	WatchdogInterval time.Duration
	// Reload signals a request to reload the configuration (SIGHUP).
	Reload <-chan struct{}
	// LoadConfig re-reads the configuration for a reload.
	LoadConfig func() (config.Config, error)
	// LogLevel, if set, is the level a reload changes.
	LogLevel *slog.LevelVar
	// ControlListener, if set, is the control socket systemd passed in
	// (socket activation); else the node creates it.
	ControlListener net.Listener
	// Messages receives chat messages when journald is not used; nil means
	// os.Stdout.
	Messages io.Writer
	// StopNow, if set, closes when the operator asks again to stop (a
	// second SIGINT or SIGTERM): a shutdown waiting for running tasks
	// cancels them and goes on at once.
	StopNow <-chan struct{}
	// StopNowHint, if set, says how to close StopNow ("press Ctrl-C again
	// to stop now"), for the line that says the node waits for its tasks.
	StopNowHint func() string
	// FDGate is the descriptor gate every part of the node creates its
	// descriptors through, so that the control socket can accept on its
	// spare when peers have taken every other one (internal/fdgate); nil
	// means the node makes its own.
	FDGate *fdgate.Gate
}

// Node is a running chatd node: the place where its parts are wired
// together. The node core (daemon/core: supervisor, processes, sink,
// functions, chat) reaches peers through the router (daemon/peer), which
// holds the link protocols (daemon/link: chatd's own); the control server
// (daemon/control) serves the core, the router and Status.
type Node struct {
	cfg     config.Config
	self    wire.NodeName
	opts    Options
	log     *slog.Logger
	fds     *fdgate.Gate // every descriptor of the node is created through it
	started time.Time
	listen  net.Listener
	reg     *epmd.Registrar
	links   *link.Manager
	beam    *beam.Manager
	router  *peer.Router
	peers   *peer.Listener
	ctl     *control.Server
	sup     *task.Supervisor
	gate    *peer.Gate // peers' calls pass it; shutdown closes it
	sink    *sink.Sink
	procs   *proc.Table
	core    *core.Core
	events  *nodewatch.Hub   // node events from every link protocol
	metrics *metrics.Metrics // the node's registry
	scrapes *metrics.Server  // [metrics] listen; nil when off
	applied config.Config    // the settings last applied; only Run's goroutine uses it

	cancel context.CancelFunc // ends run
	done   chan struct{}      // closed when run has returned
	runErr error              // run's result, set before done closes
}

// Run starts the node and serves until ctx ends, then shuts down: it stops
// accepting links and peers' calls, closes at once the links of peers it
// owes no result (they see it down at once), lets running tasks finish
// within tasks.stop_grace (until Options.StopNow), closing each other link
// once its results are out, deregisters and removes its control socket.
func Run(ctx context.Context, cfg config.Config, cookie config.Cookie, opts Options) error {
	n, err := Start(ctx, cfg, cookie, opts)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-n.done:
	}
	return n.Stop()
}

// Start starts a node and returns once it is registered and serving; Stop
// shuts it down. ctx bounds the start-up only.
func Start(ctx context.Context, cfg config.Config, cookie config.Cookie, opts Options) (*Node, error) {
	n, err := start(ctx, cfg, cookie, opts)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan struct{})
	go func() {
		defer close(n.done)
		n.runErr = n.run(runCtx)
	}()
	return n, nil
}

// Stop shuts the node down and waits for it; it returns why the node
// stopped serving, if not because it was asked to. Safe to call again.
func (n *Node) Stop() error {
	n.cancel()
	<-n.done
	return n.runErr
}

// run serves until ctx ends, then shuts down.
func (n *Node) run(ctx context.Context) error {
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Add(2)
	go func() { defer wg.Done(); errc <- n.peers.Serve(n.listen) }()
	go func() { defer wg.Done(); errc <- n.ctl.Serve(n.backend()) }()
	if n.scrapes != nil {
		wg.Add(1)
		go func() { defer wg.Done(); errc <- n.scrapes.Serve() }()
	}
	n.log.Info("node started", "node", n.self.String(), "listen", n.listen.Addr().String(),
		"mapper_port", n.cfg.Mapper.Port, "embedded_mapper", n.reg.Embedded(), "control", n.ctl.Path())
	n.notify("READY=1\nSTATUS=" + n.statusLine())
	watchCtx, stopWatch := context.WithCancel(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); n.watch(watchCtx) }()
	serveErr := n.serve(ctx, errc)
	stopWatch()
	n.notify("STOPPING=1")
	n.log.Info("node stopping", "node", n.self.String())
	n.shutdown()
	wg.Wait()
	return serveErr
}

// serve waits for the end, reloading on request.
func (n *Node) serve(ctx context.Context, errc <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case <-n.opts.Reload:
			n.reload()
		}
	}
}

// start acquires the node's resources in order, releasing them on error.
func start(ctx context.Context, cfg config.Config, cookie config.Cookie, opts Options) (*Node, error) {
	self := cfg.NodeName()
	if opts.FDGate == nil {
		opts.FDGate = fdgate.New()
	}
	n := &Node{cfg: cfg, applied: cfg, self: self, opts: opts, log: opts.Logger, started: time.Now(), fds: opts.FDGate}
	var linkTLS *link.TLS
	var err error
	n.fds.Shared(func() { linkTLS, err = LoadLinkTLS(cfg.Link.TLS) })
	if err != nil {
		return nil, err
	}
	ln, err := n.fds.Listen(ctx, "tcp", cfg.Listen.Address)
	if err != nil {
		return nil, fmt.Errorf("listen for peers on %s (listen.address): %w", cfg.Listen.Address, err)
	}
	n.listen = ln
	port := ln.Addr().(*net.TCPAddr).Port
	mapper := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Mapper.Port))
	n.reg, err = epmd.StartRegistrar(ctx, epmd.RegistrarConfig{
		MapperAddr: mapper,
		Name:       cfg.Name, Port: uint16(port), Logger: n.log, Gate: n.fds,
		Server: epmd.ServerConfig{Addresses: cfg.Mapper.Addresses(), PacketTimeout: cfg.Mapper.PacketTimeout.D()},
	})
	if err != nil {
		_ = ln.Close()
		if errors.Is(err, epmd.ErrNameInUse) {
			return nil, fmt.Errorf("node name %s is already in use (registered with the port mapper at %s); stop the other node or pick another --name", self, mapper)
		}
		return nil, fmt.Errorf("register %s with the port mapper at %s: %w", self, mapper, err)
	}
	sock := filepath.Join(paths.NodeRuntimeDir(opts.Getenv, opts.UID, cfg.Name), "control.sock")
	policy := control.Policy{UID: opts.UID, GID: opts.GID}
	if opts.ControlListener != nil {
		n.ctl, err = control.FromListener(opts.ControlListener, sock, policy, n.fds, n.log)
	} else {
		n.ctl, err = control.Listen(sock, policy, n.fds, n.log)
	}
	if err != nil {
		_ = n.reg.Close()
		_ = ln.Close()
		return nil, err
	}
	n.wire(cfg, cookie, linkTLS)
	if addr := cfg.Metrics.ListenAddress(); addr != "" {
		if n.scrapes, err = n.metrics.Listen(addr, n.log); err != nil {
			_ = n.ctl.Close(ctx)
			_ = n.reg.Close()
			_ = ln.Close()
			return nil, err
		}
	}
	return n, nil
}

// wire builds the node's parts around its listener and registration: the
// core, chatd's link protocol serving it, and the router between them.
func (n *Node) wire(cfg config.Config, cookie config.Cookie, linkTLS *link.TLS) {
	n.sink = sink.New(sink.Config{Writer: messageWriter(n.opts), Logger: n.log})
	n.sup = task.New(task.Config{MaxRunning: cfg.Tasks.MaxRunning, Logger: n.log})
	n.procs = proc.NewTable(proc.Config{
		Node: n.self, Creation: n.reg.Creation(), Mailbox: cfg.Processes.Mailbox, Max: cfg.Processes.Max, Logger: n.log,
	})
	n.events = nodewatch.New(nil)
	n.metrics = metrics.New(n.metricSources())
	n.core = core.New(core.Config{
		Self: n.self, AwaitTimeout: cfg.Tasks.AwaitTimeout.D(), LocalPlacement: cfg.Tasks.Placement == config.PlacementLocal,
		LocalReason: cfg.LocalPlacementReason(),
		Sup:         n.sup, Procs: n.procs, Sink: n.sink, Funcs: function.Builtins(), OnCall: n.metrics.Call, Logger: n.log,
	})
	n.gate = peer.NewGate(n.metrics.Local(n.core))
	local := n.gate // what peers are served from, measured and counted
	observer := peer.Observers{n.events, n.metrics}
	n.core.SetResponderReply(cfg.Responder.Reply)
	guesses := &peer.GuessLimiter{}
	n.links = link.NewManager(link.Config{
		Self: n.self, Cookie: cookie.Bytes(), Tick: cfg.Link.Tick.D(), HandshakeTimeout: cfg.Link.HandshakeTimeout.D(),
		MaxFrame: cfg.Link.MaxFrame, MaxStreams: cfg.Link.MaxStreams, TLS: linkTLS, Local: local, Guesses: guesses, Observer: observer, Gate: n.fds, Logger: n.log,
	})
	n.beam = beam.NewManager(beam.Config{
		Self: n.self, Cookie: string(cookie.Bytes()), Creation: n.reg.Creation(),
		TickTime: cfg.Erlang.TickTime.D(), HandshakeTimeout: cfg.Link.HandshakeTimeout.D(), Hidden: cfg.Erlang.Hidden,
		Refuse: refuseErlang(linkTLS), Local: local, Guesses: guesses, Observer: observer, Gate: n.fds, Logger: n.log,
		Chat: beam.ChatNames{Module: cfg.Erlang.ChatModule, Supervisor: cfg.Erlang.ChatSupervisor, Moebi: cfg.Erlang.MoebiNames()},
	})
	n.router = peer.NewRouter(peer.RouterConfig{
		Self: n.self, Chatd: n.links, Erlang: n.beam, Resolver: mapperResolver{port: cfg.Mapper.Port, client: epmd.Client{Gate: n.fds}}, LookupTimeout: lookupTimeout,
	})
	n.core.SetPeers(n.router)
	n.peers = peer.NewListener(n.router, cfg.Link.HandshakeTimeout.D(), n.log)
}

// refuseErlang says why Erlang nodes are refused: with link TLS on, every
// link must be TLS, and chatd does not speak TLS distribution.
func refuseErlang(linkTLS *link.TLS) string {
	if linkTLS == nil {
		return ""
	}
	return "[link.tls] is set: every link must be TLS, and chatd does not speak Erlang distribution over TLS (inet_tls)"
}

// backend is what the control API serves.
func (n *Node) backend() control.Backend {
	return control.Backend{
		Node: n.self.String(), Version: n.opts.Version, Host: n.cfg.Host,
		Status: n, Chat: n.core, Procs: n.core,
		Nodes:   nodes{self: n.self, router: n.router, timeout: n.cfg.Link.HandshakeTimeout.D() + n.cfg.Link.Tick.D()},
		Events:  n.events,
		Metrics: n.metrics.Handler(),
	}
}

// messageWriter picks where received messages go: journald under systemd,
// else the given writer or stdout.
func messageWriter(opts Options) sink.Writer {
	if sink.UseJournal(opts.Getenv) {
		return sink.NewJournal()
	}
	if opts.Messages != nil {
		return sink.NewStdout(opts.Messages)
	}
	return sink.NewStdout(os.Stdout)
}

// shutdown releases everything start acquired, in reverse order.
func (n *Node) shutdown() {
	now, stopNow := n.stopNow()
	defer stopNow()
	_ = n.listen.Close()
	n.peers.Close()
	n.drain(now)
	ctx, cancel := context.WithTimeout(now, ShutdownGrace)
	defer cancel()
	n.procs.Close()
	n.core.Close() // before the links: remote processes' exits must not wait for a client
	if err := n.router.Close(); err != nil {
		n.log.Warn("close links", "err", err)
	}
	n.events.Close("chatd " + n.self.String() + " is stopping") // after the links' down events
	if err := n.reg.Close(); err != nil {
		n.log.Warn("deregister from the port mapper", "err", err)
	}
	if err := n.ctl.Close(ctx); err != nil {
		n.log.Warn("close control socket", "err", err)
	}
	if n.scrapes != nil {
		if err := n.scrapes.Close(ctx); err != nil {
			n.log.Warn("close metrics listener", "err", err)
		}
	}
	_ = os.Remove(filepath.Dir(n.ctl.Path())) // only succeeds when empty
}

// statusLine summarises the node for sd_notify's STATUS=.
func (n *Node) statusLine() string {
	return fmt.Sprintf("%s linked to %d nodes, %d tasks running", n.self, len(n.router.Links()), n.sup.Running())
}

// LoadLinkTLS loads the [link] tls files; it returns nil when TLS is off.
func LoadLinkTLS(t config.LinkTLS) (*link.TLS, error) {
	if !t.Enabled() {
		return nil, nil
	}
	return link.LoadTLS(t.Cert, t.Key, t.CA)
}

// Core is the node's core, for programs that embed a node (benchmarks,
// in-process tests): its Call, Send and Spawn are what the control API
// serves.
func (n *Node) Core() *core.Core { return n.core }
