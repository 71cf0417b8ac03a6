package config

import "net"

// Metrics configures the Prometheus metrics a node serves over TCP. GET
// /metrics is always served on the control socket; this adds a TCP
// listener for a Prometheus server. It is read at start only.
type Metrics struct {
	// Listen is host:port where GET /metrics is served over TCP, e.g.
	// "127.0.0.1:9369"; "" (the default) serves none. An empty host
	// (":9369") means loopback, 127.0.0.1. Each node on a host needs a
	// port of its own: set it in [nodes.<name>].
	Listen string `toml:"listen"`
}

// ListenAddress is Listen with an empty host made 127.0.0.1; "" when off.
func (m Metrics) ListenAddress() string {
	host, port, err := net.SplitHostPort(m.Listen)
	if err != nil || host != "" {
		return m.Listen
	}
	return net.JoinHostPort("127.0.0.1", port)
}
