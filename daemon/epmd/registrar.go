package epmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"

	"chatd/internal/fdgate"
	"chatd/wire"
)

// Registrar timing.
const (
	// StartTimeout bounds StartRegistrar when its context allows longer.
	StartTimeout = 10 * time.Second
	// retryMin and retryMax bound the jittered pause between attempts.
	retryMin = 20 * time.Millisecond
	retryMax = 250 * time.Millisecond
	// attemptTimeout bounds one re-registration attempt, so that a wedged
	// mapper does not hold up the takeover.
	attemptTimeout = 2 * time.Second
)

// RegistrarConfig says where and as what a node registers.
type RegistrarConfig struct {
	// MapperAddr is the mapper to register with, host:port on loopback
	// (e.g. 127.0.0.1:4369). When none answers there, the registrar starts
	// an embedded mapper on its port with Server.ListenPort: on 127.0.0.1,
	// ::1 and Server.Addresses.
	MapperAddr string
	// Name is the node name before the @.
	Name string
	// Port is the node's distribution listen port.
	Port uint16
	// Logger receives the registrar's records; nil discards them.
	Logger *slog.Logger
	// Server configures an embedded mapper; a nil Server.Logger means
	// Logger, a nil Server.Gate Gate.
	Server ServerConfig
	// Gate is the node's descriptor gate (internal/fdgate): the registrar
	// dials through it; nil means none.
	Gate *fdgate.Gate
}

// Registrar keeps a node registered with a mapper for its whole life. When
// no mapper answers it runs one itself; when the mapper connection drops
// (the node running the mapper died) it registers again, taking the mapper
// over if nobody else has.
type Registrar struct {
	cfg    RegistrarConfig
	log    *slog.Logger
	client Client             // dials through cfg.Gate
	port   int                // of MapperAddr, where an embedded mapper listens
	cancel context.CancelFunc // stops keep
	wg     sync.WaitGroup     // keep

	closeOnce sync.Once
	closeErr  error

	mu       sync.Mutex
	reg      *Registration // guarded by mu; nil while re-registering
	server   *Server       // guarded by mu; non-nil when this process runs the mapper
	creation uint32        // guarded by mu; of the latest registration
	count    uint64        // guarded by mu; registrations made, the first included
}

// StartRegistrar registers cfg.Name, starting an embedded mapper on
// cfg.MapperAddr's port if no mapper answers there, and keeps it
// registered until Close. ctx bounds the start-up only. A name that is
// already registered yields ErrNameInUse.
func StartRegistrar(ctx context.Context, cfg RegistrarConfig) (*Registrar, error) {
	if err := wire.ValidateEPMDName(cfg.Name); err != nil {
		return nil, fmt.Errorf("port mapper registrar: %w", err)
	}
	if cfg.MapperAddr == "" {
		return nil, fmt.Errorf("port mapper registrar for %s: no mapper address", cfg.Name)
	}
	client := Client{Gate: cfg.Gate}
	port, err := client.mapperPort(ctx, cfg.MapperAddr)
	if err != nil {
		return nil, fmt.Errorf("port mapper registrar for %s: %w", cfg.Name, err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Server.Logger == nil {
		cfg.Server.Logger = cfg.Logger
	}
	if cfg.Server.Gate == nil {
		cfg.Server.Gate = cfg.Gate
	}
	cfg.Server.host = cfg.Name
	r := &Registrar{cfg: cfg, log: cfg.Logger, port: port, client: client}
	startCtx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	reg, err := r.start(startCtx)
	if err != nil {
		r.closeResources()
		return nil, err
	}
	r.setRegistration(reg)
	keepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = stop
	r.wg.Add(1)
	go r.keep(keepCtx, reg)
	return r, nil
}

// Creation returns the creation of the latest registration.
func (r *Registrar) Creation() uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.creation
}

// Embedded reports whether this process runs the mapper now.
func (r *Registrar) Embedded() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.server != nil
}

// Close ends the registration, stops an embedded mapper (the other nodes
// then take it over) and waits for the registrar's goroutine. It is
// idempotent.
func (r *Registrar) Close() error {
	r.closeOnce.Do(func() {
		r.cancel()
		r.wg.Wait()
		r.closeErr = r.closeResources()
	})
	return r.closeErr
}

// closeResources closes the registration and the embedded mapper.
func (r *Registrar) closeResources() error {
	r.mu.Lock()
	reg, srv := r.reg, r.server
	r.reg, r.server = nil, nil
	r.mu.Unlock()
	var errs []error
	if reg != nil {
		errs = append(errs, reg.Close())
	}
	if srv != nil {
		errs = append(errs, srv.Close())
	}
	return errors.Join(errs...)
}

func (r *Registrar) setRegistration(reg *Registration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reg = reg
	if reg != nil {
		r.creation = reg.Creation()
		r.count++
	}
}

// Registrations returns how many times the node registered: once at the
// start, and again each time the mapper was lost (for metrics).
func (r *Registrar) Registrations() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// start registers, retrying transient failures (a mapper being taken over,
// a lost race to bind) until ctx ends. ErrNameInUse is final.
func (r *Registrar) start(ctx context.Context) (*Registration, error) {
	for {
		reg, err := r.acquire(ctx)
		if err == nil {
			return reg, nil
		}
		if errors.Is(err, ErrNameInUse) || ctx.Err() != nil {
			return nil, err
		}
		r.log.Debug("port mapper registration failed; retrying", "name", r.cfg.Name, "err", err)
		if !pause(ctx) {
			return nil, fmt.Errorf("register %s: %w (last error: %w)", r.cfg.Name, ctx.Err(), err)
		}
	}
}

// keep watches the registration and registers again when it drops, until
// ctx ends.
func (r *Registrar) keep(ctx context.Context, reg *Registration) {
	defer r.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-reg.Done():
		}
		_ = reg.Close()
		r.setRegistration(nil)
		if ctx.Err() != nil {
			return
		}
		r.log.Info("port mapper connection lost; re-registering", "name", r.cfg.Name, "mapper", r.cfg.MapperAddr)
		if reg = r.reacquire(ctx); reg == nil {
			return
		}
	}
}

// reacquire registers again, retrying with jittered pauses, until it
// succeeds (the registration is then stored) or ctx ends (nil).
func (r *Registrar) reacquire(ctx context.Context) *Registration {
	warnedInUse := false
	for attempt := 1; ; attempt++ {
		if !pause(ctx) {
			return nil
		}
		attemptCtx, cancel := context.WithTimeout(ctx, attemptTimeout)
		reg, err := r.acquire(attemptCtx)
		cancel()
		if err == nil {
			r.setRegistration(reg)
			msg := "mapper lost, re-registered with port mapper"
			if r.Embedded() {
				msg = "mapper lost, re-registered with embedded mapper"
			}
			r.log.Info(msg, "name", r.cfg.Name, "mapper", r.cfg.MapperAddr, "creation", reg.Creation(), "attempts", attempt)
			return reg
		}
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrNameInUse) && !warnedInUse {
			warnedInUse = true
			r.log.Warn("re-registration refused: name in use; still trying", "name", r.cfg.Name, "err", err)
			continue
		}
		r.log.Debug("re-registration failed; retrying", "name", r.cfg.Name, "attempt", attempt, "err", err)
	}
}

// acquire makes one registration attempt: register with the mapper, or, if
// none answers, become the mapper and register with it. Losing the race to
// bind means another node just became the mapper: register with it.
func (r *Registrar) acquire(ctx context.Context) (*Registration, error) {
	reg, err := r.client.Register(ctx, r.cfg.MapperAddr, r.cfg.Name, r.cfg.Port)
	if !errors.Is(err, ErrNoMapper) || r.Embedded() {
		return reg, err
	}
	srv, err := r.cfg.Server.ListenPort(ctx, r.port)
	if errors.Is(err, syscall.EADDRINUSE) {
		r.log.Debug("another node became the port mapper first", "port", r.port, "err", err)
		return r.client.Register(ctx, r.cfg.MapperAddr, r.cfg.Name, r.cfg.Port)
	}
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.server = srv
	r.mu.Unlock()
	r.log.Info("started embedded port mapper", "addrs", fmt.Sprint(srv.Addrs()), "name", r.cfg.Name)
	return r.client.Register(ctx, r.cfg.MapperAddr, r.cfg.Name, r.cfg.Port)
}

// pause sleeps a random 20–250 ms; false if ctx ended first.
func pause(ctx context.Context) bool {
	t := time.NewTimer(retryMin + rand.N(retryMax-retryMin))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
