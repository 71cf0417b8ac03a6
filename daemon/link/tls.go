package link

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"chatd/daemon/peer"
	"chatd/wire"
)

// ErrTLS marks a link that failed its TLS handshake: a plaintext peer, a
// certificate from another CA, or one not valid for the node's host.
var ErrTLS = errors.New("TLS handshake failed")

// TLS is the certificate material for mutual TLS on links. Both sides
// present a certificate signed by the CA and verify the other's: the
// acceptor's must be valid for the host part of the name the connector
// dialled, the connector's for the host part of the name it claims in
// its Hello. The cookie handshake still runs inside the TLS connection.
type TLS struct {
	cert tls.Certificate
	cas  *x509.CertPool
}

// LoadTLS reads a PEM certificate chain and key and the PEM CA bundle that
// signs every node's certificate. Errors name the file that failed.
func LoadTLS(certFile, keyFile, caFile string) (*TLS, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("link TLS: load certificate %s with key %s: %w", certFile, keyFile, err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("link TLS: read CA bundle: %w", err)
	}
	cas := x509.NewCertPool()
	if !cas.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("link TLS: CA bundle %s holds no PEM certificate", caFile)
	}
	return &TLS{cert: cert, cas: cas}, nil
}

// base is the configuration both sides share: TLS 1.3 only, our
// certificate, the CA for the peer's.
func (t *TLS) base() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{t.cert},
		RootCAs:      t.cas,
		ClientCAs:    t.cas,
	}
}

// client wraps an outgoing connection to a node on host and completes the
// TLS handshake, verifying that the peer's certificate is valid for host.
func (t *TLS) client(ctx context.Context, conn net.Conn, host string) (net.Conn, error) {
	cfg := t.base()
	cfg.ServerName = host
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
			return nil, fmt.Errorf("%w: the peer does not speak TLS (set [link] tls on every node, or on none): %w", ErrTLS, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrTLS, err)
	}
	return tc, nil
}

// server wraps an incoming connection and completes the TLS handshake,
// requiring a client certificate signed by the CA. A plaintext connector
// (its first byte is a handshake length, not a TLS record type) is told in
// a plaintext Refuse that this node only takes TLS links.
func (t *TLS) server(ctx context.Context, conn net.Conn) (*tls.Conn, error) {
	var first [1]byte
	if _, err := io.ReadFull(conn, first[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTLS, err)
	}
	if first[0] != tlsHandshakeRecord {
		_ = refuse(conn, wire.RefuseTLS, "this node takes only TLS links: set [link] tls on the connecting node")
		return nil, fmt.Errorf("%w: the peer connected without TLS", ErrTLS)
	}
	conn = &peer.ReplayConn{Conn: conn, Head: first[:]}
	cfg := t.base()
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	tc := tls.Server(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTLS, err)
	}
	return tc, nil
}

// isTLS reports whether conn is a TLS connection.
func isTLS(conn net.Conn) bool {
	_, ok := conn.(*tls.Conn)
	return ok
}

// certAllows reports whether conn, when it is TLS, carries a peer
// certificate valid for host; a plaintext connection allows anything (the
// node runs without TLS).
func certAllows(conn net.Conn, host string) error {
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return nil
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return fmt.Errorf("no client certificate")
	}
	return certs[0].VerifyHostname(host)
}

// tlsHandshakeRecord is the first byte of every TLS ClientHello (record
// type 22); a chatd Hello starts with the high byte of its length, 0.
const tlsHandshakeRecord = 0x16
