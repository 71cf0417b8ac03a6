package peer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"chatd/wire"
	"chatd/wire/dist"
)

// Endpoint is where a node listens, as its host's port mapper says.
type Endpoint struct {
	// Addr is the host:port to dial.
	Addr string
	// Extra is the registration's Extra: wire.ChatdExtra for a chatd
	// node, empty for an Erlang or Elixir node.
	Extra []byte
}

// Resolver finds where a node listens (through the port mapper on its
// host); its errors wrap ErrNotRegistered or ErrNoMapper where they fit.
type Resolver interface {
	Resolve(ctx context.Context, node wire.NodeName) (Endpoint, error)
}

// Router holds a node's link protocols: it finds the connection to a peer,
// making it with the protocol the peer speaks, and hands each incoming
// connection to the protocol whose bytes it starts with (see Serve).
type Router struct {
	self     wire.NodeName
	chatd    Protocol
	erlang   Protocol // nil: this node does not speak Erlang distribution
	resolver Resolver
	timeout  time.Duration // bounds the mapper lookup of a dial
}

// RouterConfig configures a Router.
type RouterConfig struct {
	Self     wire.NodeName // this node
	Chatd    Protocol      // chatd's own links
	Erlang   Protocol      // Erlang distribution; nil for none
	Resolver Resolver      // the port mapper
	// LookupTimeout bounds the mapper lookup before a dial.
	LookupTimeout time.Duration
}

// NewRouter returns a Router over cfg's protocols.
func NewRouter(cfg RouterConfig) *Router {
	return &Router{self: cfg.Self, chatd: cfg.Chatd, erlang: cfg.Erlang, resolver: cfg.Resolver, timeout: cfg.LookupTimeout}
}

// protocols lists the router's protocols, chatd's first.
func (r *Router) protocols() []Protocol {
	if r.erlang == nil {
		return []Protocol{r.chatd}
	}
	return []Protocol{r.chatd, r.erlang}
}

// Conn returns the connection to node, making it on first use with the
// protocol node speaks. The error is a *ConnectError.
func (r *Router) Conn(ctx context.Context, node wire.NodeName) (Conn, error) {
	if node == r.self {
		return nil, &ConnectError{Node: node, Err: ErrSelf}
	}
	for _, p := range r.protocols() {
		if c, ok := p.Conn(node); ok {
			return c, nil
		}
	}
	lctx, cancel := context.WithTimeout(ctx, r.timeout)
	ep, err := r.resolver.Resolve(lctx, node)
	cancel()
	if err != nil {
		return nil, &ConnectError{Node: node, Err: err}
	}
	p, err := r.protocolFor(node, ep)
	if err != nil {
		return nil, &ConnectError{Node: node, Err: err}
	}
	return p.Dial(ctx, node, ep.Addr)
}

// protocolFor is the one place that decides which protocol a peer gets: a
// node registered with Extra "chatd/1" gets chatd's own link, any other
// registration (Erlang and Elixir nodes register an empty Extra) Erlang
// distribution.
func (r *Router) protocolFor(node wire.NodeName, ep Endpoint) (Protocol, error) {
	if string(ep.Extra) == wire.ChatdExtra {
		return r.chatd, nil
	}
	if r.erlang == nil {
		return nil, fmt.Errorf("%w: %s is registered but is not a chatd node (an Erlang node?)", ErrProtocol, node)
	}
	return r.erlang, nil
}

// Links lists the connections of every protocol, sorted by peer name.
func (r *Router) Links() []wire.LinkInfo {
	var out []wire.LinkInfo
	for _, p := range r.protocols() {
		out = append(out, p.Links()...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// Linked reports whether a connection to node is up.
func (r *Router) Linked(node wire.NodeName) bool {
	for _, p := range r.protocols() {
		if _, ok := p.Conn(node); ok {
			return true
		}
	}
	return false
}

// Disconnect closes the connection to node, whatever its protocol, for
// reason (logged), and reports whether there was one.
func (r *Router) Disconnect(node wire.NodeName, reason string) bool {
	was := false
	for _, p := range r.protocols() {
		was = p.Disconnect(node, reason) || was
	}
	return was
}

// Check checks every protocol within ctx.
func (r *Router) Check(ctx context.Context) error {
	var errs []error
	for _, p := range r.protocols() {
		errs = append(errs, p.Check(ctx))
	}
	return errors.Join(errs...)
}

// Close closes every protocol's connections and waits for them.
func (r *Router) Close() error {
	var errs []error
	for _, p := range r.protocols() {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}

// protocolOf picks the protocol of an incoming connection from its first
// bytes: an Erlang node's handshake starts [Len:2]'N' (its name); chatd's
// starts [Len:2][1] (Hello), or with a TLS record when links run over TLS.
// Anything else goes to chatd's protocol, which refuses it.
func (r *Router) protocolOf(head []byte) Protocol {
	if r.erlang != nil && dist.LooksLikeErlang(head) {
		return r.erlang
	}
	return r.chatd
}
