package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// stopSignals turns SIGINT and SIGTERM into a stop: the first ends ctx
// (the node shuts down, waiting for running tasks), the second closes now
// (it stops waiting), and after that the signals get their default action
// back, so a third ends the process at once.
type stopSignals struct {
	ctx  context.Context
	now  chan struct{} // closed at the second signal
	sigs chan os.Signal
	done chan struct{} // closed by stop; ends the goroutine

	mu    sync.Mutex
	first os.Signal // the signal that started the stop; guarded by mu
}

// watchStopSignals starts watching; stop releases the signals.
func watchStopSignals() (*stopSignals, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stopSignals{ctx: ctx, now: make(chan struct{}), sigs: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(s.sigs, syscall.SIGINT, syscall.SIGTERM)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		s.watch(cancel)
	}()
	return s, func() {
		signal.Stop(s.sigs)
		close(s.done)
		<-exited
		cancel()
	}
}

func (s *stopSignals) watch(cancel context.CancelFunc) {
	select {
	case sig := <-s.sigs:
		s.mu.Lock()
		s.first = sig
		s.mu.Unlock()
		cancel()
	case <-s.done:
		return
	}
	select {
	case <-s.sigs:
		close(s.now)
		signal.Reset(syscall.SIGINT, syscall.SIGTERM)
	case <-s.done:
	}
}

// hint says how to stop now, after the signal that started the stop.
func (s *stopSignals) hint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first == syscall.SIGINT {
		return "press Ctrl-C again to stop now"
	}
	return "send SIGTERM again to stop now"
}

// reloadOnHangup turns SIGHUP into reload requests until ctx ends; stop
// stops listening for it.
func reloadOnHangup(ctx context.Context) (reload <-chan struct{}, stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ch := make(chan struct{}, 1)
	go forwardHangups(ctx, hup, ch)
	return ch, func() { signal.Stop(hup) }
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
