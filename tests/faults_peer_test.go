//go:build faults

// A raw peer for the fault suite: the test itself dials a node's peer
// listener, runs the connector's side of the link handshake with package
// wire, and then speaks yamux and stream frames by hand, so that it can
// send what no chatd node would (wrong cookies, garbage, floods of
// streams) and stop reading when a real node never would. Below it: the
// malformed inputs the attacks send, and the measurements they take of
// the node under attack (faults_attack_test.go holds the tests).

package tests

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"chatd/client"
	"chatd/wire"
)

// rpPeerAddr is the address the node's peer listener accepts links on.
func rpPeerAddr(t *testing.T, n *node) string {
	t.Helper()
	addr := n.status().Listen
	if addr == "" {
		t.Fatalf("%s reports no listen address", n.name)
	}
	return addr
}

// rpCookie is the cluster's cookie as a daemon reads it: the file's
// content with surrounding whitespace trimmed.
func rpCookie(t *testing.T, c *cluster) []byte {
	t.Helper()
	b, err := os.ReadFile(c.cookieFile)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

// rpName is the full node name of a bare name on localhost.
func rpName(t testing.TB, name string) wire.NodeName {
	t.Helper()
	n, err := wire.ParseNodeName(name, "localhost")
	if err != nil {
		t.Fatalf("node name %q: %v", name, err)
	}
	return n
}

// rpRefusal is a handshake the acceptor answered with Refuse.
type rpRefusal struct{ wire.Refuse }

func (r *rpRefusal) Error() string {
	return fmt.Sprintf("refused: %s (%s)", r.Reason, r.Text)
}

// rpHello is a fresh Hello from self to to.
func rpHello(self, to wire.NodeName, incarnation uint64) wire.Hello {
	h := wire.Hello{Version: wire.ProtocolVersion, From: self, To: to, Incarnation: incarnation}
	_, _ = rand.Read(h.Challenge[:])
	return h
}

// rpHandshake runs the connector's side of the handshake on conn (whose
// deadline the caller set), proving knowledge of cookie: Hello, Welcome,
// Proof, Proof, Ready, as daemon/link/handshake.go connect does. A Refuse
// is returned as *rpRefusal.
func rpHandshake(conn net.Conn, self, to wire.NodeName, incarnation uint64, cookie []byte) error {
	transcript, err := wire.WriteHandshake(conn, rpHello(self, to, incarnation))
	if err != nil {
		return err
	}
	msg, raw, err := wire.ReadHandshake(conn)
	if err != nil {
		return fmt.Errorf("read welcome: %w", err)
	}
	if r, ok := msg.(wire.Refuse); ok {
		return &rpRefusal{r}
	}
	if _, ok := msg.(wire.Welcome); !ok {
		return fmt.Errorf("got %s, want welcome", msg.HandshakeType())
	}
	transcript = append(transcript, raw...)
	sent, err := wire.WriteHandshake(conn, wire.Proof{MAC: wire.ConnectorMAC(cookie, transcript)})
	if err != nil {
		return err
	}
	transcript = append(transcript, sent...)
	msg, _, err = wire.ReadHandshake(conn)
	if err != nil {
		return fmt.Errorf("read proof: %w", err)
	}
	switch m := msg.(type) {
	case wire.Refuse:
		return &rpRefusal{m}
	case wire.Proof:
		if !wire.VerifyMAC(m.MAC, wire.AcceptorMAC(cookie, transcript)) {
			return errors.New("the acceptor's proof did not verify")
		}
	default:
		return fmt.Errorf("got %s, want proof", msg.HandshakeType())
	}
	_, err = wire.WriteHandshake(conn, wire.Ready{})
	return err
}

// rpDial connects to a node's peer listener at addr and handshakes as
// self, all within timeout. On success the connection carries yamux next.
func rpDial(addr string, self, to wire.NodeName, incarnation uint64, cookie []byte, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if err := rpHandshake(conn, self, to, incarnation, cookie); err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

// rpIncarnation is a random incarnation for a raw peer.
func rpIncarnation() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}

// rpYamuxConfig is the yamux configuration of a raw peer: no keepalives of
// its own (the node's are answered as long as the peer reads), no logs.
func rpYamuxConfig() *yamux.Config {
	yc := yamux.DefaultConfig()
	yc.EnableKeepAlive = false
	yc.LogOutput = io.Discard
	return yc
}

// rawPeer is an authenticated link from the test to a node: the test is
// the connector, hence the yamux client.
type rawPeer struct {
	name   wire.NodeName
	conn   net.Conn // what yamux runs on (possibly a wrapper)
	sess   *yamux.Session
	wg     sync.WaitGroup // the accept loop and its stream goroutines
	calls  chan struct{}  // a token for each calls stream the node opened
	closed atomic.Bool
}

// rpConnect links to n as name (a bare name on localhost) and returns once
// n lists the link: the handshake ends on the peer's side when n has sent
// its last message, before n installs the link, and a call n made in
// between would not find it. wrap, if not nil, wraps the authenticated
// connection before yamux starts on it. The link is closed when the test
// ends.
func rpConnect(t *testing.T, n *node, name string, yc *yamux.Config, wrap func(net.Conn) net.Conn) *rawPeer {
	t.Helper()
	p, err := dialRawPeer(rpPeerAddr(t, n), rpName(t, name), rpName(t, n.name), rpCookie(t, n.c), yc, wrap)
	if err != nil {
		t.Fatalf("raw peer %s: %v", name, err)
	}
	t.Cleanup(p.close)
	full := rpName(t, name).String()
	waitFor(t, 10*time.Second, n.name+" to list the link of the raw peer "+full, func() bool { return slices.Contains(n.links(), full) })
	return p
}

// dialRawPeer links to the node at addr (named to) as self; the caller
// closes the peer.
func dialRawPeer(addr string, self, to wire.NodeName, cookie []byte, yc *yamux.Config, wrap func(net.Conn) net.Conn) (*rawPeer, error) {
	conn, err := rpDial(addr, self, to, rpIncarnation(), cookie, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("handshake with %s: %w", to, err)
	}
	if wrap != nil {
		conn = wrap(conn)
	}
	sess, err := yamux.Client(conn, yc)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("yamux with %s: %w", to, err)
	}
	p := &rawPeer{name: self, conn: conn, sess: sess, calls: make(chan struct{}, 1024)}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// close ends the link and waits for the peer's goroutines.
func (p *rawPeer) close() {
	if p.closed.Swap(true) {
		return
	}
	_ = p.sess.Close()
	_ = p.conn.Close()
	p.wg.Wait()
}

// serve accepts the streams the node opens: ping streams are answered,
// others are read and discarded (a calls stream is announced on calls).
func (p *rawPeer) serve() {
	defer p.wg.Done()
	for {
		s, err := p.sess.AcceptStream()
		if err != nil {
			return
		}
		p.wg.Go(func() {
			defer s.Close()
			fr := wire.NewFrameReader(s, 64<<20)
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			kind, err := wire.ParseOpen(f)
			if err != nil {
				return
			}
			switch kind {
			case wire.KindPing:
				for {
					f, err := fr.ReadFrame()
					if err != nil || f.Type != wire.FramePing {
						return
					}
					if err := wire.WriteFrame(s, wire.FramePong, f.Payload); err != nil {
						return
					}
				}
			case wire.KindCalls:
				select {
				case p.calls <- struct{}{}:
				default:
				}
			}
			_, _ = io.Copy(io.Discard, s)
		})
	}
}

// openPing opens a ping stream, makes one round trip on it and returns the
// stream (still open) and the round trip's time.
func (p *rawPeer) openPing(timeout time.Duration) (*yamux.Stream, time.Duration, error) {
	start := time.Now()
	s, err := p.sess.OpenStream()
	if err != nil {
		return nil, 0, err
	}
	_ = s.SetDeadline(time.Now().Add(timeout))
	f, err := rpRoundTrip(s)
	if err != nil {
		_ = s.Close()
		return nil, 0, err
	}
	if f.Type != wire.FramePong {
		_ = s.Close()
		return nil, 0, rpFrameError(f)
	}
	_ = s.SetDeadline(time.Time{})
	return s, time.Since(start), nil
}

// rpRoundTrip sends Open{ping} and a Ping on s and reads the answer.
func rpRoundTrip(s net.Conn) (wire.Frame, error) {
	b := wire.AppendFrame(nil, wire.FrameOpen, wire.OpenPayload(wire.KindPing))
	b = wire.AppendFrame(b, wire.FramePing, []byte("rawpeer!"))
	if _, err := s.Write(b); err != nil {
		return wire.Frame{}, err
	}
	return wire.NewFrameReader(s, 1<<20).ReadFrame()
}

// rpFrameError describes an unexpected frame, decoding an Error frame.
func rpFrameError(f wire.Frame) error {
	if f.Type == wire.FrameError {
		code, text, err := wire.ParseError(f)
		if err == nil {
			return fmt.Errorf("error frame: %s: %s", code, text)
		}
	}
	return fmt.Errorf("unexpected %s frame", f.Type)
}

// ping makes one round trip on a fresh stream and closes it.
func (p *rawPeer) ping(timeout time.Duration) (time.Duration, error) {
	s, rtt, err := p.openPing(timeout)
	if err != nil {
		return 0, err
	}
	_ = s.Close()
	return rtt, nil
}

// stallConn is a connection whose reader can be stopped: once stalled,
// Read blocks until the connection is closed, so the kernel's buffers
// fill up and the node's writes block. It watches the yamux frames it
// reads so that it can stall right after the node's keepalive ping.
type stallConn struct {
	net.Conn
	armed   atomic.Bool   // stall after the next ping from the node
	stalled atomic.Bool   // reads block
	at      chan struct{} // closed when the reader stalled
	gone    chan struct{} // closed by Close: blocked reads return
	once    sync.Once
	sniff   yamuxSniffer // only touched by Read (yamux reads from one goroutine)
	when    atomic.Int64 // UnixNano of the stall
}

func newStallConn(c net.Conn) *stallConn {
	return &stallConn{Conn: c, at: make(chan struct{}), gone: make(chan struct{})}
}

// Read reads until the conn is stalled, then blocks until Close.
func (c *stallConn) Read(b []byte) (int, error) {
	if c.stalled.Load() {
		<-c.gone
		return 0, net.ErrClosed
	}
	n, err := c.Conn.Read(b)
	c.sniff.feed(b[:n], func(typ uint8, flags uint16) {
		const typePing, flagSYN = 2, 1
		if typ == typePing && flags&flagSYN != 0 && c.armed.Load() && !c.stalled.Load() {
			c.when.Store(time.Now().UnixNano())
			c.stalled.Store(true)
			close(c.at)
		}
	})
	return n, err
}

// Close closes the connection and releases a stalled reader.
func (c *stallConn) Close() error {
	c.once.Do(func() { close(c.gone) })
	return c.Conn.Close()
}

// yamuxSniffer follows the frame boundaries of a yamux byte stream:
// [version:1][type:1][flags:2][stream:4][length:4], a data frame (type 0)
// followed by length bytes of body.
type yamuxSniffer struct {
	hdr  [12]byte
	have int
	skip uint32
}

// feed consumes b, calling onHeader for every complete header.
func (s *yamuxSniffer) feed(b []byte, onHeader func(typ uint8, flags uint16)) {
	for len(b) > 0 {
		if s.skip > 0 {
			n := min(uint32(len(b)), s.skip)
			b, s.skip = b[n:], s.skip-n
			continue
		}
		n := copy(s.hdr[s.have:], b)
		s.have += n
		b = b[n:]
		if s.have < len(s.hdr) {
			return
		}
		s.have = 0
		onHeader(s.hdr[1], binary.BigEndian.Uint16(s.hdr[2:]))
		if s.hdr[1] == 0 {
			s.skip = binary.BigEndian.Uint32(s.hdr[8:])
		}
	}
}

// relinkTime closes from's link to peer, then times a ping that has to
// look peer up, dial it and handshake again.
func relinkTime(from *node, peer string) (time.Duration, error) {
	if _, err := from.client.Disconnect(apiCtx(from.c.t), peer); err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := from.client.Ping(apiCtx(from.c.t), peer)
	if err != nil {
		return 0, err
	}
	took := time.Since(start)
	if resp.Result != wire.Pong {
		return took, fmt.Errorf("ping %s from %s: %s: %s", peer, from.name, resp.Result, resp.Reason)
	}
	return took, nil
}

// atkPingOK fails the test unless from's ping of peer answers pong.
func atkPingOK(t *testing.T, from *node, peer string) {
	t.Helper()
	if resp, err := from.client.Ping(apiCtx(t), peer); err != nil || resp.Result != wire.Pong {
		t.Fatalf("ping %s from %s: %+v, %v", peer, from.name, resp, err)
	}
}

// Hostile inputs.

// atkJunk returns lo..hi random bytes.
func atkJunk(r *mrand.Rand, lo, hi int) []byte {
	b := make([]byte, lo+r.IntN(hi-lo+1))
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

// frameHeader is a stream frame header with any length and type.
func frameHeader(length uint32, typ byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, length), typ)
}

// preHandshakeInput is garbage for a fresh connection to the peer port:
// first is sent at once; second, if any, after the node's answer to first
// (which is then a valid Hello).
func preHandshakeInput(r *mrand.Rand, hello []byte) (first, second []byte) {
	mutate := func(at int, b ...byte) []byte {
		h := slices.Clone(hello)
		copy(h[at:], b)
		return h
	}
	switch r.IntN(13) {
	case 0:
		return atkJunk(r, 1, 512), nil
	case 1: // length 65535, far above MaxHandshakeMsg
		return slices.Concat([]byte{0xff, 0xff}, atkJunk(r, 0, 200)), nil
	case 2: // length 0
		return slices.Concat([]byte{0, 0}, atkJunk(r, 0, 50)), nil
	case 3: // length 1025, one above the limit, with the bytes to match
		return slices.Concat([]byte{0x04, 0x01}, atkJunk(r, 1025, 1025)), nil
	case 4: // a 32-bit length near 2^32
		return slices.Concat([]byte{0xff, 0xff, 0xff, 0xf0 + byte(r.IntN(16))}, atkJunk(r, 0, 100)), nil
	case 5: // a Hello cut short
		return hello[:1+r.IntN(len(hello)-1)], nil
	case 6: // an unknown message type
		return mutate(2, byte(6+r.IntN(250))), nil
	case 7: // From's length beyond the message
		return mutate(5, 0xff, 0xff), nil
	case 8: // a version nobody speaks
		return mutate(3, 0xff, byte(r.IntN(256))), nil
	case 9: // Ready instead of Proof
		return hello, wire.EncodeHandshake(wire.Ready{})
	case 10: // a Proof cut short
		p := wire.EncodeHandshake(wire.Proof{})
		return hello, p[:1+r.IntN(len(p)-1)]
	case 11: // garbage instead of Proof
		return hello, atkJunk(r, 1, 300)
	default: // a Proof with a wrong length field
		return hello, slices.Concat([]byte{0, byte(1 + r.IntN(255)), byte(wire.HSProof)}, atkJunk(r, 0, 64))
	}
}

// streamInput is garbage for one yamux stream of an authenticated link.
func streamInput(r *mrand.Rand, maxFrame int) []byte {
	open := func(k wire.StreamKind) []byte { return wire.AppendFrame(nil, wire.FrameOpen, wire.OpenPayload(k)) }
	near32 := func() uint32 { return 0xffffffff - r.Uint32N(16) }
	switch r.IntN(15) {
	case 0: // a first frame whose length is near 2^32
		return slices.Concat(frameHeader(near32(), byte(wire.FrameOpen)), atkJunk(r, 0, 64))
	case 1:
		return slices.Concat(open(wire.KindPing), frameHeader(near32(), byte(wire.FramePing)), atkJunk(r, 0, 64))
	case 2: // one byte above max_frame
		return slices.Concat(open(wire.KindPing), frameHeader(uint32(maxFrame)+2, byte(wire.FramePing)), atkJunk(r, 0, 256))
	case 3: // zero length
		return slices.Concat(frameHeader(0, byte(wire.FrameOpen)), atkJunk(r, 0, 16))
	case 4: // an unknown stream kind
		return wire.AppendFrame(nil, wire.FrameOpen, []byte{byte(4 + r.IntN(250))})
	case 5: // an unknown frame type
		return slices.Concat(open(wire.KindPing), wire.AppendFrame(nil, wire.FrameType(13+r.IntN(240)), atkJunk(r, 0, 64)))
	case 6: // a Ping cut short
		return slices.Concat(open(wire.KindPing), frameHeader(1000, byte(wire.FramePing)), atkJunk(r, 0, 100))
	case 7: // a header cut short
		return frameHeader(2, byte(wire.FrameOpen))[:1+r.IntN(4)]
	case 8: // an Open with a wrong payload length
		return wire.AppendFrame(nil, wire.FrameOpen, atkJunk(r, 2, 20))
	case 9: // random frames on a calls stream
		b := open(wire.KindCalls)
		for range 1 + r.IntN(4) {
			b = wire.AppendFrame(b, wire.FrameType(1+r.IntN(15)), atkJunk(r, 0, 200))
		}
		return b
	case 10: // a random spawn request
		return slices.Concat(open(wire.KindSpawn), wire.AppendFrame(nil, wire.FrameSpawn, atkJunk(r, 0, 200)))
	case 11:
		return atkJunk(r, 1, 300)
	case 12:
		return slices.Concat(open(wire.KindCalls), frameHeader(near32(), byte(wire.FrameCall)), atkJunk(r, 0, 64))
	case 13: // a Call cut short
		return slices.Concat(open(wire.KindCalls), frameHeader(200, byte(wire.FrameCall)), atkJunk(r, 0, 150))
	default: // above max_frame on a calls stream
		return slices.Concat(open(wire.KindCalls), frameHeader(uint32(maxFrame)+2+r.Uint32N(1<<20), byte(wire.FrameCall)), atkJunk(r, 0, 256))
	}
}

// epmdInput is a malformed request for the port mapper.
func epmdInput(r *mrand.Rand) []byte {
	alive, _ := wire.AppendEPMDRequest(nil, wire.ChatdAlive2Req(fmt.Sprintf("junk%d", r.IntN(1000)), 4000))
	put16 := func(b []byte, at int, v uint16) []byte {
		b = slices.Clone(b)
		binary.BigEndian.PutUint16(b[at:], v)
		return b
	}
	const nlenAt = 2 + 1 + 2 + 1 + 1 + 2 + 2 // [Length:2][120][Port:2][Type][Proto][High:2][Low:2]
	switch r.IntN(13) {
	case 0:
		return atkJunk(r, 1, 300)
	case 1: // length 0xFFFF, body cut short
		return slices.Concat([]byte{0xff, 0xff}, atkJunk(r, 0, 200))
	case 2: // length 0xFFFF with a full body of garbage, now and then
		if r.IntN(25) == 0 {
			return slices.Concat([]byte{0xff, 0xff}, atkJunk(r, 0xffff, 0xffff))
		}
		return slices.Concat([]byte{0xff, 0xff, byte(wire.EPMDAlive2Req)}, atkJunk(r, 0, 100))
	case 3: // length 0
		return slices.Concat([]byte{0, 0}, atkJunk(r, 0, 10))
	case 4: // an unknown tag
		return []byte{0, 1, byte(r.IntN(100))}
	case 5: // an ALIVE2_REQ cut short
		return alive[:2+r.IntN(len(alive)-2)]
	case 6: // the name's length beyond the request
		return put16(alive, nlenAt, 0xffff-uint16(r.IntN(16)))
	case 7: // the Extra's length beyond the request
		return put16(alive, len(alive)-len(wire.ChatdExtra)-2, 0xffff)
	case 8: // PORT_PLEASE2 with an empty, control-character or oversize name
		names := [][]byte{nil, {'k', 0x01, 'x'}, atkJunk(r, 256, 400)}
		body := slices.Concat([]byte{byte(wire.EPMDPortPlease2Req)}, names[r.IntN(len(names))])
		return slices.Concat(binary.BigEndian.AppendUint16(nil, uint16(len(body))), body)
	case 9: // NAMES_REQ with trailing bytes
		return slices.Concat([]byte{0, 5, byte(wire.EPMDNamesReq)}, atkJunk(r, 4, 4))
	case 10: // the length promises more than comes
		return slices.Concat([]byte{0, 200}, atkJunk(r, 1, 100))
	case 11: // a 32-bit length near 2^32
		return slices.Concat([]byte{0xff, 0xff, 0xff, 0xf0}, atkJunk(r, 0, 100))
	default: // the length cuts an ALIVE2_REQ short
		return put16(alive, 0, uint16(len(alive)-2-1-r.IntN(5)))
	}
}

// sendAndDrain writes b to a fresh connection to addr, half-closes it and
// reads until the other side closes. It reports whether the other side
// closed within d.
func sendAndDrain(conn net.Conn, b []byte, d time.Duration) error {
	_ = conn.SetDeadline(time.Now().Add(d))
	if _, err := conn.Write(b); err != nil && !isClosedByPeer(err) {
		return err
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	return atkDrain(conn)
}

// atkDrain reads conn until the other side closes it.
func atkDrain(conn net.Conn) error {
	_, err := io.Copy(io.Discard, conn)
	if err != nil && !isClosedByPeer(err) {
		return err
	}
	return nil
}

// isClosedByPeer reports an error that means the other side closed or
// reset the connection or stream.
func isClosedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, yamux.ErrConnectionReset) || errors.Is(err, yamux.ErrStreamClosed) || errors.Is(err, yamux.ErrSessionShutdown)
}

// Measuring a node under attack.

// legitLatency is what a legitimate peer measured during an attack: alex
// relinking to the target (mapper lookup, dial, handshake, ping) and a
// raw peer with the right cookie handshaking, both from 127.0.0.1, the
// attackers' address.
type legitLatency struct {
	relinks, handshakes []time.Duration
	errs                []error
}

// measureLegit starts measuring fresh legitimate handshakes with target,
// over and over, until stop is closed; the result comes on the channel.
func measureLegit(t *testing.T, alex, target *node, stop <-chan struct{}) <-chan *legitLatency {
	t.Helper()
	addr, cookie := rpPeerAddr(t, target), rpCookie(t, target.c)
	self, to := rpName(t, "legit"), rpName(t, target.name)
	out := make(chan *legitLatency, 1)
	go func() {
		l := &legitLatency{}
		defer func() { out <- l }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			took, err := relinkTime(alex, target.name)
			l.add(&l.relinks, took, err)
			start := time.Now()
			conn, err := rpDial(addr, self, to, rpIncarnation(), cookie, 5*time.Second)
			l.add(&l.handshakes, time.Since(start), err)
			if conn != nil {
				_ = conn.Close()
			}
			time.Sleep(100 * time.Millisecond) // pacing, not synchronisation
		}
	}()
	return out
}

func (l *legitLatency) add(to *[]time.Duration, took time.Duration, err error) {
	if err != nil {
		l.errs = append(l.errs, err)
		return
	}
	*to = append(*to, took)
}

// check fails the test unless every measurement succeeded in under bound.
func (l *legitLatency) check(t *testing.T, bound time.Duration) {
	t.Helper()
	for _, err := range l.errs {
		t.Errorf("legitimate peer failed during the attack: %v", err)
	}
	if len(l.relinks) == 0 || len(l.handshakes) == 0 {
		t.Fatalf("no legitimate handshake measured during the attack")
	}
	figure(t, "legitimate relink+ping during the attack: %d, max %s; raw right-cookie handshakes: %d, max %s (bound %s)",
		len(l.relinks), slices.Max(l.relinks).Round(time.Millisecond), len(l.handshakes), slices.Max(l.handshakes).Round(time.Millisecond), bound)
	if m := max(slices.Max(l.relinks), slices.Max(l.handshakes)); m >= bound {
		t.Errorf("a legitimate handshake took %s during the attack, want under %s", m, bound)
	}
}

// goroutineSampler records the node's peak goroutine count until stopped.
func goroutineSampler(n *node, stop <-chan struct{}) <-chan int {
	out := make(chan int, 1)
	cl := client.New(n.socket())
	go func() {
		defer cl.CloseIdleConnections()
		peak := 0
		for {
			if st, err := cl.Status(apiCtx(n.c.t)); err == nil {
				peak = max(peak, st.Goroutines)
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return out
}

// logField is the value of key=value in a log line ("" if absent).
func logField(line, key string) string {
	_, v, ok := strings.Cut(line, " "+key+"=")
	if !ok {
		_, v, ok = strings.Cut(line, key+"=")
	}
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, " ")
	return strings.TrimSpace(v)
}

// maxPerWindow is the largest number of times falling in any window w.
func maxPerWindow(times []time.Duration, w time.Duration) int {
	slices.Sort(times)
	best, lo := 0, 0
	for hi := range times {
		for times[hi]-times[lo] >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// answerRate is the rate of the answers between the first and the last.
func answerRate(times []time.Duration) float64 {
	if len(times) < 2 {
		return 0
	}
	slices.Sort(times)
	return float64(len(times)-1) / (times[len(times)-1] - times[0]).Seconds()
}

// atkMiB is bytes in MiB.
func atkMiB(b uint64) float64 { return float64(b) / (1 << 20) }

// atkPoll polls cond until it holds or d passes, returning how long
// it polled; the caller checks the outcome itself.
func atkPoll(d time.Duration, cond func() bool) time.Duration {
	start := time.Now()
	for !cond() && time.Since(start) < d {
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// atkDownLine is the last "node down" line the log holds for peer.
func atkDownLine(log, peer string) string {
	var last string
	for line := range strings.Lines(log) {
		if strings.Contains(line, `msg="node down"`) && strings.Contains(line, "node="+peer) {
			last = strings.TrimSpace(line)
		}
	}
	return last
}

// atkCPUTicks returns the user plus system CPU time of process pid in clock
// ticks (/proc/PID/stat fields 14 and 15).
func atkCPUTicks(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatalf("cpu time of %d: %v", pid, err)
	}
	s := string(b)
	// The command name (field 2) is in parentheses and may hold spaces.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("parse /proc/%d/stat: %q", pid, s)
	}
	return utime + stime
}

// checkNoSpin measures n's CPU time over d and fails the test if it used
// 10% of a core or more.
func checkNoSpin(t *testing.T, n *node, d time.Duration) {
	t.Helper()
	const clockTicks = 100 // USER_HZ on Linux
	pid := n.cmd.Process.Pid
	before, start := atkCPUTicks(t, pid), time.Now()
	for time.Since(start) < d {
		time.Sleep(100 * time.Millisecond) // the measurement window
	}
	used := time.Duration(atkCPUTicks(t, pid)-before) * time.Second / clockTicks
	share := used.Seconds() / time.Since(start).Seconds()
	figure(t, "%s used %s of CPU in the %s after the session closed (%.1f%% of a core)", n.name, used, time.Since(start).Round(time.Millisecond), 100*share)
	if share >= 0.10 {
		t.Errorf("%s spins after the session closed: %.1f%% of a core", n.name, 100*share)
	}
}
