package link

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"

	"chatd/daemon/peer"
	"chatd/wire"
)

// identity is what a handshake needs to know about this node.
type identity struct {
	self        wire.NodeName
	incarnation uint64
	cookie      []byte
}

// peerHello is what the acceptor learned about the connector.
type peerHello struct {
	name        wire.NodeName
	incarnation uint64
}

// connect runs the connector's side of the handshake on conn, whose
// deadline the caller has set. It returns the peer's incarnation.
//
//	C → A  Hello   {version, C, A, incarnation, challenge C}
//	A → C  Welcome {version, A, incarnation, challenge A} | Refuse
//	C → A  Proof   HMAC(cookie, "connector" || hello || welcome)
//	A → C  Proof   HMAC(cookie, "acceptor" || hello || welcome || C's proof) | Refuse
//	C → A  Ready
func connect(conn net.Conn, id identity, to wire.NodeName) (uint64, error) {
	hello := wire.Hello{Version: wire.ProtocolVersion, From: id.self, To: to, Incarnation: id.incarnation}
	if _, err := rand.Read(hello.Challenge[:]); err != nil {
		return 0, fmt.Errorf("challenge: %w", err)
	}
	transcript, err := wire.WriteHandshake(conn, hello)
	if err != nil {
		return 0, err
	}
	msg, raw, err := wire.ReadHandshake(conn)
	if err != nil {
		return 0, err
	}
	welcome, ok := msg.(wire.Welcome)
	if !ok {
		return 0, unexpected(msg, wire.HSWelcome)
	}
	if welcome.Version != wire.ProtocolVersion {
		return 0, fmt.Errorf("%w: peer speaks %d, we speak %d", ErrVersion, welcome.Version, wire.ProtocolVersion)
	}
	if welcome.From != to {
		return 0, fmt.Errorf("%w: the port answered as %s", peer.ErrProtocol, welcome.From)
	}
	transcript = append(transcript, raw...)
	proof := wire.Proof{MAC: wire.ConnectorMAC(id.cookie, transcript)}
	sent, err := wire.WriteHandshake(conn, proof)
	if err != nil {
		return 0, err
	}
	transcript = append(transcript, sent...)
	msg, _, err = wire.ReadHandshake(conn)
	if err != nil {
		return 0, err
	}
	theirs, ok := msg.(wire.Proof)
	if !ok {
		return 0, unexpected(msg, wire.HSProof)
	}
	if !wire.VerifyMAC(theirs.MAC, wire.AcceptorMAC(id.cookie, transcript)) {
		return 0, fmt.Errorf("%w: %s's proof did not verify", peer.ErrCookieMismatch, to)
	}
	if _, err := wire.WriteHandshake(conn, wire.Ready{}); err != nil {
		return 0, err
	}
	return welcome.Incarnation, nil
}

// accept runs the acceptor's side of the handshake on conn, whose deadline
// the caller has set. admit decides, once the connector is known, whether
// to go on; a non-zero RefuseReason is sent to the peer.
//
// mismatch, if set, runs before a cookie mismatch is answered: it may
// delay the answer to slow down guessing, and returns false when the
// answer must not go out at all.
func accept(conn net.Conn, id identity, admit func(peerHello) (wire.RefuseReason, string), mismatch func() bool) (peerHello, error) {
	msg, transcript, err := wire.ReadHandshake(conn)
	if err != nil {
		refuseMalformed(conn, err)
		return peerHello{}, err
	}
	hello, ok := msg.(wire.Hello)
	if !ok {
		return peerHello{}, refuse(conn, wire.RefuseBadMessage, unexpected(msg, wire.HSHello).Error())
	}
	who := peerHello{name: hello.From, incarnation: hello.Incarnation}
	if hello.Version != wire.ProtocolVersion {
		return who, refuse(conn, wire.RefuseVersion, fmt.Sprintf("%s speaks version %d, not %d", id.self, wire.ProtocolVersion, hello.Version))
	}
	if hello.To != id.self {
		return who, refuse(conn, wire.RefuseWrongNode, fmt.Sprintf("this is %s, not %s", id.self, hello.To))
	}
	if reason, text := admit(who); reason != 0 {
		return who, refuse(conn, reason, text)
	}
	welcome := wire.Welcome{Version: wire.ProtocolVersion, From: id.self, Incarnation: id.incarnation}
	if _, err := rand.Read(welcome.Challenge[:]); err != nil {
		return who, fmt.Errorf("challenge: %w", err)
	}
	sent, err := wire.WriteHandshake(conn, welcome)
	if err != nil {
		return who, err
	}
	transcript = append(transcript, sent...)
	msg, raw, err := wire.ReadHandshake(conn)
	if err != nil {
		return who, err
	}
	proof, ok := msg.(wire.Proof)
	if !ok {
		return who, refuse(conn, wire.RefuseBadMessage, unexpected(msg, wire.HSProof).Error())
	}
	if !wire.VerifyMAC(proof.MAC, wire.ConnectorMAC(id.cookie, transcript)) {
		if mismatch == nil || mismatch() {
			_ = refuse(conn, wire.RefuseCookie, "")
		}
		return who, fmt.Errorf("%w: %s's proof did not verify", peer.ErrCookieMismatch, hello.From)
	}
	transcript = append(transcript, raw...)
	if _, err := wire.WriteHandshake(conn, wire.Proof{MAC: wire.AcceptorMAC(id.cookie, transcript)}); err != nil {
		return who, err
	}
	msg, _, err = wire.ReadHandshake(conn)
	if err != nil {
		return who, fmt.Errorf("%s did not confirm our proof (a cookie mismatch on its side, or it went away): %w", hello.From, err)
	}
	if _, ok := msg.(wire.Ready); !ok {
		return who, unexpected(msg, wire.HSReady)
	}
	return who, nil
}

// refuse sends a Refuse, ignoring a write error (the connection is being
// dropped anyway), and returns the refusal as an error for logging.
func refuse(conn net.Conn, reason wire.RefuseReason, text string) error {
	_, _ = wire.WriteHandshake(conn, wire.Refuse{Reason: reason, Text: text}) // best effort: the connection is dropped next
	return &refusedError{reason: reason, text: text}
}

func refuseMalformed(conn net.Conn, err error) {
	if errors.Is(err, wire.ErrHandshakeMalformed) {
		_ = refuse(conn, wire.RefuseBadMessage, "")
	}
}

// unexpected reports a message other than the one the protocol calls for; a
// Refuse becomes the matching sentinel error.
func unexpected(msg wire.HandshakeMsg, want wire.HandshakeType) error {
	if r, ok := msg.(wire.Refuse); ok {
		return refusalError(r)
	}
	return fmt.Errorf("%w: got %s, want %s", peer.ErrProtocol, msg.HandshakeType(), want)
}
