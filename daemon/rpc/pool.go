package rpc

import (
	"context"
	"sync"

	"chatd/daemon/link"
)

// Pool keeps one calls Client per link, opened on first use and dropped
// when its stream ends.
type Pool struct {
	maxFrame int

	mu      sync.Mutex
	clients map[*link.Link]*Client // guarded by mu
	closed  bool                   // guarded by mu
	wg      sync.WaitGroup         // the clients' readers
}

// NewPool returns a Pool whose streams accept frames up to maxFrame.
func NewPool(maxFrame int) *Pool {
	return &Pool{maxFrame: maxFrame, clients: make(map[*link.Link]*Client)}
}

// Get returns the Client for l, opening its calls stream on first use.
func (p *Pool) Get(ctx context.Context, l *link.Link) (*Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, &link.ConnectError{Node: l.Peer(), Err: link.ErrShutdown}
	}
	if c := p.clients[l]; c != nil {
		return c, nil
	}
	p.wg.Add(1)
	var c *Client
	c, err := dialClient(ctx, l, p.maxFrame, func() {
		defer p.wg.Done()
		p.mu.Lock()
		if p.clients[l] == c {
			delete(p.clients, l)
		}
		p.mu.Unlock()
	})
	if err != nil {
		p.wg.Done()
		return nil, err
	}
	p.clients[l] = c
	return c, nil
}

// Close closes every client and waits for their goroutines.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	clients := make([]*Client, 0, len(p.clients))
	for _, c := range p.clients {
		clients = append(clients, c)
	}
	p.mu.Unlock()
	for _, c := range clients {
		c.Close()
	}
	p.wg.Wait()
}
