package calls

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"chatd/daemon/peer"
	"chatd/wire"
)

// Client sends calls over one link's calls stream, multiplexed by id.
type Client struct {
	node wire.NodeName
	s    net.Conn
	load *atomic.Int64 // the link's calls in flight (see Load); nil: not counted
	wmu  sync.Mutex    // serialises frame writes on s
	wbuf []byte        // guarded by wmu

	mu      sync.Mutex
	next    uint64                      // guarded by mu
	pending map[uint64]chan wire.Result // guarded by mu; nil once the stream is down
	done    chan struct{}               // closed when the stream is down
	reader  sync.WaitGroup
}

// NewClient makes calls to node on s, a calls stream whose Open frame was
// sent, and starts its reader, which calls onDown (if set) as the last
// thing it does. Its calls count in load while they are in flight (nil:
// not counted). The Client owns s.
func NewClient(node wire.NodeName, s net.Conn, maxFrame int, load *atomic.Int64, onDown func()) *Client {
	c := &Client{node: node, s: s, load: load, pending: make(map[uint64]chan wire.Result), done: make(chan struct{})}
	c.reader.Add(1)
	go c.read(wire.NewFrameReader(s, maxFrame), onDown)
	return c
}

// read delivers results to their callers until the stream ends, then fails
// every pending call.
func (c *Client) read(fr *wire.FrameReader, onDown func()) {
	if onDown != nil {
		defer onDown()
	}
	defer c.reader.Done()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			break
		}
		if f.Type != wire.FrameResult {
			break // protocol error: drop the stream
		}
		r, err := wire.ParseResult(f.Payload)
		if err != nil {
			break
		}
		c.mu.Lock()
		ch := c.pending[r.ID]
		delete(c.pending, r.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- r // buffered: never blocks
		}
	}
	c.mu.Lock()
	c.pending = nil
	close(c.done)
	c.mu.Unlock()
	_ = c.s.Close()
}

// Close closes the stream and waits for the reader.
func (c *Client) Close() {
	_ = c.s.Close()
	c.reader.Wait()
}

// Done is closed when the client can no longer be used.
func (c *Client) Done() <-chan struct{} { return c.done }

// Call sends call and waits for its result until ctx ends; then the remote
// task is cancelled and a timeout *peer.CallError returned.
func (c *Client) Call(ctx context.Context, call wire.Call) (string, error) {
	id, ch, err := c.register()
	if err != nil {
		return "", err
	}
	defer c.unload()
	call.ID = id

	start := time.Now()
	if err := c.write(wire.FrameCall, func(b []byte) []byte { return wire.AppendCall(b, call) }); err != nil {
		c.forget(call.ID)
		return "", c.downError()
	}
	select {
	case r := <-ch:
		if r.Code != "" {
			return "", resultError(c.node, call.Function, r)
		}
		return r.Value, nil
	case <-c.done:
		return "", c.downError()
	case <-ctx.Done():
		c.forget(call.ID)
		_ = c.write(wire.FrameCancel, func(b []byte) []byte { return wire.AppendCancel(b, call.ID) })
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			waited := time.Since(start)
			if call.Timeout > 0 && waited >= call.Timeout-10*time.Millisecond {
				waited = call.Timeout // the await timeout the caller set, not when the select woke
			}
			return "", timeoutError(c.node, call.Function, waited)
		}
		return "", fmt.Errorf("call %s on %s: %w", call.Function, c.node, ctx.Err())
	}
}

// Send puts a message in the mailbox of a process on the peer and waits
// for the peer to say it did (or why not: no such process, mailbox full).
func (c *Client) Send(ctx context.Context, m wire.PidSend) error {
	id, ch, err := c.register()
	if err != nil {
		return err
	}
	defer c.unload()
	m.ID = id
	if err := c.write(wire.FrameSend, func(b []byte) []byte { return wire.AppendPidSend(b, m) }); err != nil {
		c.forget(id)
		return c.downError()
	}
	select {
	case r := <-ch:
		if r.Code != "" {
			return resultError(c.node, "send", r)
		}
		return nil
	case <-c.done:
		return c.downError()
	case <-ctx.Done():
		c.forget(id)
		return fmt.Errorf("send to %s: %w", m.To, ctx.Err())
	}
}

// register reserves a call id and the channel its result arrives on, and
// counts the call in the link's load; unload uncounts it.
func (c *Client) register() (uint64, chan wire.Result, error) {
	ch := make(chan wire.Result, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		return 0, nil, c.downError()
	}
	c.next++
	c.pending[c.next] = ch
	if c.load != nil {
		c.load.Add(1)
	}
	return c.next, ch, nil
}

func (c *Client) unload() {
	if c.load != nil {
		c.load.Add(-1)
	}
}

func (c *Client) forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

func (c *Client) downError() error {
	return &peer.ConnectError{Node: c.node, Err: peer.ErrLinkDown}
}

// timeoutError is the error of an await that ran out.
func timeoutError(node wire.NodeName, fn string, d time.Duration) *peer.CallError {
	return &peer.CallError{Node: node, Function: fn, Kind: wire.CodeTimeout,
		Message: fmt.Sprintf("%s timed out after %s (the task was cancelled)", fn, d.Round(time.Millisecond))}
}

// resultError turns a failed result into the error of its kind.
func resultError(node wire.NodeName, fn string, r wire.Result) *peer.CallError {
	msg := r.Value
	if msg == "" {
		msg = r.Code.Meaning()
	}
	return &peer.CallError{Node: node, Function: fn, Kind: r.Code, Message: msg}
}

// write sends one frame built by appendPayload in a single stream write.
func (c *Client) write(t wire.FrameType, appendPayload func([]byte) []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = wire.AppendFrameWith(c.wbuf[:0], t, appendPayload)
	_, err := c.s.Write(c.wbuf)
	return err
}
