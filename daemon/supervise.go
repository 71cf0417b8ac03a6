package daemon

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"chatd/config"
)

// statusEvery is how often STATUS= is refreshed when there is no watchdog.
const statusEvery = 10 * time.Second

// notify sends an sd_notify state if the daemon runs under a notifier.
func (n *Node) notify(state string) {
	if n.opts.Notify != nil {
		n.fds.Shared(func() { n.opts.Notify(state) }) // sd_notify opens a socket each time
	}
}

// Check exercises the node's main loops (link manager, supervisor, message
// sink) within ctx; the watchdog is pinged only when it passes.
func (n *Node) Check(ctx context.Context) error {
	return errors.Join(n.router.Check(ctx), n.sup.Check(ctx), n.sink.Check(ctx))
}

// watch pings the systemd watchdog at half its interval while Check
// passes, and keeps STATUS= current, until ctx ends.
func (n *Node) watch(ctx context.Context) {
	if n.opts.Notify == nil {
		return
	}
	period := statusEvery
	if w := n.opts.WatchdogInterval; w > 0 {
		period = w / 2
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, period/2)
		err := n.Check(cctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			n.log.Error("health check failed; not pinging the watchdog", "err", err)
		case err == nil && n.opts.WatchdogInterval > 0:
			n.notify("WATCHDOG=1\nSTATUS=" + n.statusLine())
		case err == nil:
			n.notify("STATUS=" + n.statusLine())
		}
	}
}

// reload re-reads the configuration and applies what can change at run
// time: the responder's reply, the log level, the link tick and the stop
// grace. Other changes are reported as needing a restart.
func (n *Node) reload() {
	n.notify("RELOADING=1\nMONOTONIC_USEC=" + monotonicUsec())
	defer func() { n.notify("READY=1\nSTATUS=" + n.statusLine()) }()
	if n.opts.LoadConfig == nil {
		n.log.Warn("reload requested but this node has no configuration source")
		return
	}
	var cfg config.Config
	var err error
	n.fds.Shared(func() { cfg, err = n.opts.LoadConfig() }) // opens the file and the cookie
	if err != nil {
		n.log.Error("reload failed; keeping the running settings", "err", err)
		return
	}
	old := n.applied
	reply := cfg.Responder.Reply
	n.core.SetResponderReply(reply)
	if n.opts.LogLevel != nil {
		_ = n.opts.LogLevel.UnmarshalText([]byte(cfg.Log.Level))
	}
	n.links.SetTick(cfg.Link.Tick.D())
	n.applied = cfg
	n.log.Info("reloaded", "responder_reply", reply, "log_level", cfg.Log.Level, "tick", cfg.Link.Tick.String(),
		"stop_grace", cfg.Tasks.StopGrace.String())
	if keys := restartKeys(old, cfg); len(keys) > 0 {
		n.log.Warn("changed settings need a restart to take effect", "keys", fmt.Sprint(keys))
	}
}

// restartKeys lists the settings that differ between a and b and cannot
// change without a restart, by their TOML keys. Fields that are not read
// from the file (toml:"-": the name, the file's path) are not settings.
func restartKeys(a, b config.Config) []string {
	a.Responder, b.Responder = config.Responder{}, config.Responder{}
	a.Log, b.Log = config.Log{}, config.Log{}
	a.Link.Tick, b.Link.Tick = 0, 0
	a.Tasks.StopGrace, b.Tasks.StopGrace = 0, 0 // read when the node stops
	var keys []string
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if name == "-" {
			continue // not a setting: the node's name, the file's path
		}
		if name == "" {
			name = t.Field(i).Name
		}
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			keys = append(keys, name)
		}
	}
	sort.Strings(keys)
	return keys
}
