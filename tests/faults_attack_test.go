//go:build faults

// Hostile peers against a node's link listener and its embedded port
// mapper: cookie guessing, malformed bytes, slowloris, stream floods and a
// peer that stops reading. Each test prints its figures with figure.

package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"chatd/client"
	"chatd/wire"
)

// atkGuessOutcome is what became of one wrong-cookie attempt.
type atkGuessOutcome struct {
	answered bool          // the node answered Refuse cookie mismatch
	closed   bool          // the node closed the connection without an answer
	at       time.Duration // when, since the flood started
	addr     string        // the attempt's address, as the node logs it
	err      error         // anything else
}

// atkGuess makes one wrong-cookie handshake attempt.
func atkGuess(addr string, self, to wire.NodeName, cookie []byte, start time.Time) atkGuessOutcome {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return atkGuessOutcome{err: err}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	err = rpHandshake(conn, self, to, rpIncarnation(), cookie)
	at := time.Since(start)
	var r *rpRefusal
	var ne net.Error
	switch {
	case errors.As(err, &r) && r.Reason == wire.RefuseCookie:
		return atkGuessOutcome{answered: true, at: at, addr: conn.LocalAddr().String()}
	case errors.As(err, &ne) && ne.Timeout():
		return atkGuessOutcome{at: at, err: fmt.Errorf("the node kept the attempt open for %s: %w", at, err)}
	case err != nil && (isClosedByPeer(err) || errors.Is(err, io.ErrUnexpectedEOF)):
		return atkGuessOutcome{closed: true, at: at}
	case err == nil:
		return atkGuessOutcome{at: at, err: errors.New("a wrong cookie was accepted")}
	}
	return atkGuessOutcome{at: at, err: err}
}

// refusalTimes returns when kate refused each of the attempts made from
// addrs, from the times of its "cookie mismatch" log lines (written right
// after the refusal), relative to the first.
func refusalTimes(t *testing.T, kate *node, addrs []string) []time.Duration {
	t.Helper()
	var at map[string]time.Time
	waitFor(t, 5*time.Second, "kate to log every answered attempt", func() bool {
		at = make(map[string]time.Time)
		for line := range strings.Lines(kate.stderr.String()) {
			if !strings.Contains(line, `msg="refused link attempt: cookie mismatch"`) {
				continue
			}
			when, err := time.Parse(time.RFC3339Nano, logField(line, "time"))
			if err == nil {
				at[logField(line, "peer_addr")] = when
			}
		}
		for _, a := range addrs {
			if _, ok := at[a]; !ok {
				return false
			}
		}
		return true
	})
	var times []time.Duration
	var first time.Time
	for i, a := range addrs {
		if i == 0 || at[a].Before(first) {
			first = at[a]
		}
	}
	for _, a := range addrs {
		times = append(times, at[a].Sub(first))
	}
	return times
}

// checkGuesses prints and checks what became of the wrong-cookie
// attempts of a flood that lasted flood.
func checkGuesses(t *testing.T, kate *node, out []atkGuessOutcome, flood, handshakeTimeout time.Duration) {
	t.Helper()
	var answered, closed []time.Duration
	var answeredAddrs []string
	var failed []error
	for _, o := range out {
		switch {
		case o.answered:
			answered, answeredAddrs = append(answered, o.at), append(answeredAddrs, o.addr)
		case o.closed:
			closed = append(closed, o.at)
		default:
			failed = append(failed, o.err)
		}
	}
	for _, err := range failed[:min(len(failed), 5)] {
		t.Errorf("wrong-cookie attempt: %v", err)
	}
	if len(failed) > 5 {
		t.Errorf("... and %d more failed attempts", len(failed)-5)
	}
	sent := refusalTimes(t, kate, answeredAddrs)
	perSecond, rate := maxPerWindow(sent, time.Second), answerRate(sent)
	figure(t, "%d wrong-cookie attempts in %s: %d refusals answered (%.1f/s between the first and the last, at most %d in any second, by kate's log), %d closed unanswered (the last at %s), %d other",
		len(out), flood.Round(time.Millisecond), len(answered), rate, perSecond, len(closed), slices.Max(append(closed, 0)).Round(time.Millisecond), len(failed))
	// Every answer left the node within the flood, so 10 a second allow
	// at most 1 + 10 per second of the flood, however late the test saw
	// them.
	if bound := 1 + int(10*flood.Seconds()); len(answered) > bound {
		t.Errorf("%d wrong-cookie refusals answered in %s, more than 10 a second allow (%d)", len(answered), flood, bound)
	}
	// A second holds at most 11 turns 100 ms apart; a log line written a
	// few tens of ms after its refusal may add one more to a window.
	if rate > 11 || perSecond > 12 {
		t.Errorf("wrong-cookie refusals answered at %.1f/s (%d in one second), want at most ~10/s", rate, perSecond)
	}
	if len(answered) == 0 {
		t.Errorf("no wrong-cookie attempt was answered at all")
	}
	if m := slices.Max(append(closed, 0)); m > handshakeTimeout+2*time.Second {
		t.Errorf("an unanswered attempt was closed after %s, want about the handshake timeout %s", m, handshakeTimeout)
	}
}

// TestFaultWrongCookieFlood: 1,000 concurrent wrong-cookie handshakes from
// 127.0.0.1. At most ~10 refusals a second are answered, the rest are
// closed at their handshake deadline; a legitimate peer from the same
// address still links in well under a second; the node's goroutines
// return to their baseline.
func TestFaultWrongCookieFlood(t *testing.T) {
	const attempts = 1000
	const handshakeTimeout = 5 * time.Second // the default
	c := newCluster(t)
	kate := c.start("kate")
	alex := c.start("alex")
	atkPingOK(t, alex, "kate")
	base := kate.status().Goroutines

	addr, to := rpPeerAddr(t, kate), rpName(t, "kate")
	wrong := []byte("not-the-cookie-but-as-long-as-it-0123")
	names := make([]wire.NodeName, attempts)
	for i := range names {
		names[i] = rpName(t, fmt.Sprintf("guess%d", i))
	}

	stop := make(chan struct{})
	peak := goroutineSampler(kate, stop)
	legit := measureLegit(t, alex, kate, stop)

	start := time.Now()
	out := make([]atkGuessOutcome, attempts)
	var wg sync.WaitGroup
	for i := range attempts {
		wg.Go(func() {
			out[i] = atkGuess(addr, names[i], to, wrong, start)
		})
	}
	wg.Wait()
	flood := time.Since(start)
	close(stop)
	during, lat := <-peak, <-legit

	checkGuesses(t, kate, out, flood, handshakeTimeout)
	lat.check(t, time.Second)

	atkPingOK(t, alex, "kate") // the link stays up for the baseline comparison
	after, took := settleGoroutines(t, kate, base+5, 15*time.Second)
	figure(t, "kate's goroutines: %d before, %d at the peak of the flood, %d after (back within %s of the flood's end)",
		base, during, after, took.Round(time.Millisecond))
	if during <= base {
		t.Errorf("the peak goroutine count %d is not above the baseline %d: the flood did not reach the node", during, base)
	}
}

// malformedRun sends malformed inputs from one worker and counts them.
type malformedRun struct {
	peerAddr   string
	mapperAddr string
	cookie     []byte
	maxFrame   int
	hello      []byte // a valid Hello to kate from the worker
	self, to   wire.NodeName
	r          *rand.Rand
	peer       *rawPeer // the worker's authenticated link, made on demand

	pre, post, links, epmd int     // inputs sent
	errs                   []error // inputs the node did not close or answer
}

func (w *malformedRun) fail(what string, err error) {
	if len(w.errs) < 5 {
		w.errs = append(w.errs, fmt.Errorf("%s: %w", what, err))
	}
}

// preHandshake sends one malformed handshake on a fresh connection.
func (w *malformedRun) preHandshake() {
	w.pre++
	conn, err := net.DialTimeout("tcp", w.peerAddr, 5*time.Second)
	if err != nil {
		w.fail("dial peer port", err)
		return
	}
	defer conn.Close()
	first, second := preHandshakeInput(w.r, w.hello)
	if second != nil {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write(first); err != nil {
			w.fail("write hello", err)
			return
		}
		if _, _, err := wire.ReadHandshake(conn); err != nil {
			w.fail("read welcome", err)
			return
		}
		first = second
	}
	if err := sendAndDrain(conn, first, 10*time.Second); err != nil {
		w.fail(fmt.Sprintf("handshake garbage %x", first[:min(len(first), 16)]), err)
	}
}

// postHandshake sends one malformed stream on the worker's link, or now
// and then garbage under yamux, which must end the link.
func (w *malformedRun) postHandshake() {
	if w.r.IntN(100) == 0 {
		w.yamuxGarbage()
		return
	}
	if w.peer == nil {
		p, err := dialRawPeer(w.peerAddr, w.self, w.to, w.cookie, rpYamuxConfig(), nil)
		if err != nil {
			w.fail("link", err)
			return
		}
		w.peer = p
	}
	w.post++
	s, err := w.peer.sess.OpenStream()
	if err != nil {
		w.fail("open stream", err)
		return
	}
	defer s.Close()
	b := streamInput(w.r, w.maxFrame)
	_ = s.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := s.Write(b); err != nil && !isClosedByPeer(err) {
		w.fail("write stream", err)
		return
	}
	_ = s.Close() // half-close: the node sees the stream end
	if err := atkDrain(s); err != nil {
		w.fail(fmt.Sprintf("stream garbage %x", b[:min(len(b), 16)]), err)
	}
}

// yamuxGarbage writes bytes that are not yamux on a fresh link, before
// yamux has sent anything on it (so the garbage cannot interleave with a
// frame the session is writing); the node must drop the link.
func (w *malformedRun) yamuxGarbage() {
	w.links++
	if w.peer != nil {
		w.peer.close()
		w.peer = nil
	}
	p, err := dialRawPeer(w.peerAddr, w.self, w.to, w.cookie, rpYamuxConfig(), nil)
	if err != nil {
		w.fail("link for yamux garbage", err)
		return
	}
	defer p.close()
	hdr := atkJunk(w.r, 12, 64)
	hdr[0] = 0xff // no yamux version
	if _, err := p.conn.Write(hdr); err != nil {
		w.fail("write yamux garbage", err)
		return
	}
	select {
	case <-p.sess.CloseChan():
	case <-time.After(10 * time.Second):
		w.fail("yamux garbage", errors.New("the node kept the link"))
	}
}

// mapper sends one malformed EPMD request to kate's embedded mapper.
func (w *malformedRun) mapper() {
	w.epmd++
	conn, err := net.DialTimeout("tcp", w.mapperAddr, 5*time.Second)
	if err != nil {
		w.fail("dial mapper", err)
		return
	}
	defer conn.Close()
	b := epmdInput(w.r)
	if err := sendAndDrain(conn, b, 10*time.Second); err != nil {
		w.fail(fmt.Sprintf("EPMD garbage %x", b[:min(len(b), 16)]), err)
	}
}

// TestFaultMalformedInput: 10,000 malformed or oversize inputs against one
// node: half on its peer port (before the handshake, and as streams and
// yamux garbage on authenticated links), half against its embedded port
// mapper. The node keeps serving, does not panic, and its goroutines and
// memory come back.
func TestFaultMalformedInput(t *testing.T) {
	const inputs, workers, maxFrame = 10000, 16, 64 << 10
	c := newCluster(t)
	kate := c.start("kate", plain(), c.withConfig("kate", fmt.Sprintf("[link]\nmax_frame = %d\n", maxFrame)))
	alex := c.start("alex")
	if !kate.status().MapperLocal {
		t.Fatal("kate does not run the embedded mapper")
	}
	atkPingOK(t, alex, "kate")
	before := kate.status()

	runs := make([]*malformedRun, workers)
	for i := range runs {
		self := rpName(t, fmt.Sprintf("mal%d", i))
		runs[i] = &malformedRun{
			peerAddr: rpPeerAddr(t, kate), mapperAddr: fmt.Sprintf("127.0.0.1:%d", c.mapperPort),
			cookie: rpCookie(t, c), maxFrame: maxFrame, self: self, to: rpName(t, "kate"), r: rand.New(rand.NewPCG(uint64(i), 7)),
			hello: wire.EncodeHandshake(rpHello(rpName(t, fmt.Sprintf("pre%d", i)), rpName(t, "kate"), rpIncarnation())),
		}
	}
	t.Cleanup(func() {
		for _, w := range runs {
			if w.peer != nil {
				w.peer.close()
			}
		}
	})
	start := time.Now()
	var wg sync.WaitGroup
	for i, w := range runs {
		wg.Go(func() {
			for j := i; j < inputs; j += workers {
				switch {
				case j%2 == 1:
					w.mapper()
				case j%4 == 0:
					w.preHandshake()
				default:
					w.postHandshake()
				}
			}
			if w.peer != nil {
				w.peer.close()
				w.peer = nil
			}
		})
	}
	wg.Wait()
	took := time.Since(start)

	var pre, post, links, epmd int
	for _, w := range runs {
		pre, post, links, epmd = pre+w.pre, post+w.post, links+w.links, epmd+w.epmd
		for _, err := range w.errs {
			t.Errorf("worker %s: %v", w.self, err)
		}
	}
	figure(t, "%d inputs in %s: %d handshake garbage, %d malformed streams and %d yamux garbage on authenticated links, %d EPMD packets",
		pre+post+links+epmd, took.Round(time.Millisecond), pre, post, links, epmd)
	if pre+post+links+epmd != inputs {
		t.Errorf("sent %d inputs, want %d", pre+post+links+epmd, inputs)
	}
	// kate names why it dropped each link that carried garbage under yamux.
	waitFor(t, 5*time.Second, "kate to log each yamux protocol error", func() bool {
		return strings.Count(kate.stderr.String(), `reason="yamux: invalid protocol version (the peer sent bytes that are not yamux)"`) == links
	})
	checkStillServing(t, c, kate, alex)
	checkRecovered(t, kate, before)
}

// checkStillServing fails the test unless kate answers its control API,
// its mapper finds it for a fresh link from alex, and it never panicked.
func checkStillServing(t *testing.T, c *cluster, kate, alex *node) {
	t.Helper()
	select {
	case <-kate.exited:
		t.Fatalf("kate exited: %v", kate.err)
	default:
	}
	if _, err := alex.client.Disconnect(apiCtx(t), "kate"); err != nil {
		t.Fatal(err)
	}
	r := c.chatctl("--node", "alex", "ping", "kate@localhost")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "pong" {
		t.Errorf("chatctl ping kate after the attack: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	log := kate.stderr.String()
	panics := strings.Count(log, "panic") + strings.Count(log, "fatal error")
	if panics > 0 {
		t.Errorf("kate panicked:\n%s", log[max(0, strings.Index(log, "panic")-200):])
	}
	figure(t, "after the attack: alex relinked to kate and pinged it (chatctl %s, exit %d, in %s); %d panics in kate's %d lines of log",
		strings.TrimSpace(r.stdout), r.code, r.took.Round(time.Millisecond), panics, strings.Count(log, "\n"))
}

// checkRecovered polls kate until its goroutines are back to the
// baseline and its memory within 10 MB of it, and prints the figures.
func checkRecovered(t *testing.T, kate *node, before wire.StatusResponse) {
	t.Helper()
	const bound = 10 << 20
	var after wire.StatusResponse
	settled := atkPoll(20*time.Second, func() bool {
		after = kate.status()
		return after.Goroutines <= before.Goroutines+5 && after.RSSBytes < before.RSSBytes+bound && after.HeapBytes < before.HeapBytes+bound
	})
	figure(t, "kate after the attack: goroutines %d -> %d, RSS %.1f -> %.1f MB (%+.1f), heap %.1f -> %.1f MB (%+.1f), settled in %s",
		before.Goroutines, after.Goroutines, atkMiB(before.RSSBytes), atkMiB(after.RSSBytes), atkMiB(after.RSSBytes)-atkMiB(before.RSSBytes),
		atkMiB(before.HeapBytes), atkMiB(after.HeapBytes), atkMiB(after.HeapBytes)-atkMiB(before.HeapBytes), settled.Round(time.Millisecond))
	if after.Goroutines > before.Goroutines+5 {
		t.Errorf("goroutines did not come back: %d before, %d after", before.Goroutines, after.Goroutines)
	}
	if after.RSSBytes >= before.RSSBytes+bound || after.HeapBytes >= before.HeapBytes+bound {
		t.Errorf("memory grew by 10 MB or more: RSS %d -> %d, heap %d -> %d", before.RSSBytes, after.RSSBytes, before.HeapBytes, after.HeapBytes)
	}
}

// dribbler is one slowloris connection: it sends a valid Hello a byte at a
// time and notes when the node closes it.
type dribbler struct {
	conn   net.Conn
	dialed time.Time // before the dial: no later than the node's accept
	opened time.Time // once the dial returned
	sent   int
	closed chan struct{} // closed when the node closed the connection
	took   time.Duration // from opened until the node closed it
	least  time.Duration // from dialed until the node closed it: at least the node's own measure
	err    error         // a read error other than the node closing
}

// watch reads until the node closes the connection.
func (d *dribbler) watch() {
	defer close(d.closed)
	_, err := io.Copy(io.Discard, d.conn)
	d.took, d.least = time.Since(d.opened), time.Since(d.dialed)
	if err != nil && !isClosedByPeer(err) {
		d.err = err
	}
}

// dialDribblers opens n connections to addr, each watched until the node
// closes it, and closes them when the test ends.
func dialDribblers(t *testing.T, addr string, n int) []*dribbler {
	t.Helper()
	ds := make([]*dribbler, 0, n)
	t.Cleanup(func() {
		for _, d := range ds {
			_ = d.conn.Close()
			<-d.closed
		}
	})
	for range n {
		dialed := time.Now()
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		d := &dribbler{conn: conn, dialed: dialed, opened: time.Now(), closed: make(chan struct{})}
		ds = append(ds, d)
		go d.watch()
	}
	return ds
}

// isClosed reports whether the node has closed d.
func (d *dribbler) isClosed() bool {
	select {
	case <-d.closed:
		return true
	default:
		return false
	}
}

// TestFaultSlowloris: 500 connections each dribbling a valid Hello one
// byte every 200 ms against a node with a 2 s handshake timeout. Every one
// is closed within the handshake timeout (plus scheduling slack), and a
// real peer still links in under a second meanwhile.
func TestFaultSlowloris(t *testing.T) {
	const conns, every, timeout = 500, 200 * time.Millisecond, 2 * time.Second
	c := newCluster(t)
	kate := c.start("kate", c.withConfig("kate", fmt.Sprintf("[link]\nhandshake_timeout = %q\n", timeout.String())))
	alex := c.start("alex")
	atkPingOK(t, alex, "kate")
	base := kate.status().Goroutines
	addr := rpPeerAddr(t, kate)
	hello := wire.EncodeHandshake(rpHello(rpName(t, "loris"), rpName(t, "kate"), rpIncarnation()))

	ds := dialDribblers(t, addr, conns)
	stop := make(chan struct{})
	legit := measureLegit(t, alex, kate, stop)
	dribble(ds, hello, every, timeout+5*time.Second)
	close(stop)
	lat := <-legit

	var took []time.Duration
	least := time.Duration(1<<63 - 1) // the shortest a dribbler lived from before its dial
	sent := 0
	for _, d := range ds {
		if !d.isClosed() {
			t.Fatalf("a dribbling connection was still open after %s", time.Since(d.opened))
		}
		if d.err != nil {
			t.Errorf("dribbling connection: %v", d.err)
		}
		took = append(took, d.took)
		least = min(least, d.least)
		sent += d.sent
	}
	slices.Sort(took)
	figure(t, "%d connections dribbling a Hello (%d bytes sent in all, 1 byte per %s), handshake timeout %s: closed after %s (first) .. %s (median) .. %s (last)",
		conns, sent, every, timeout, took[0].Round(time.Millisecond), took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	if last := took[len(took)-1]; last > timeout+time.Second {
		t.Errorf("a dribbling connection stayed open %s, want within the handshake timeout %s", last, timeout)
	}
	// The node's clock starts at its accept, after the dial began: a
	// connection closed sooner than timeout after that was cut short.
	if least < timeout {
		t.Errorf("a valid-looking slow handshake was closed %s after its dial began, before its timeout %s", least, timeout)
	}
	lat.check(t, time.Second)
	atkPingOK(t, alex, "kate")
	after, settled := settleGoroutines(t, kate, base+5, 10*time.Second)
	figure(t, "kate's goroutines: %d before, %d after (within %s)", base, after, settled.Round(time.Millisecond))
}

// dribble writes hello one byte at a time, a byte every interval, on every
// connection the node has not closed, until all are closed or limit
// passes.
func dribble(ds []*dribbler, hello []byte, interval, limit time.Duration) {
	start := time.Now()
	for time.Since(start) < limit {
		open := 0
		for _, d := range ds {
			if d.isClosed() || d.sent >= len(hello) {
				continue
			}
			open++
			_ = d.conn.SetWriteDeadline(time.Now().Add(interval))
			if _, err := d.conn.Write(hello[d.sent : d.sent+1]); err == nil {
				d.sent++
			}
		}
		if open == 0 {
			return
		}
		time.Sleep(interval) // pacing the dribble
	}
}

// streamTally counts what became of the streams a flood opened.
type streamTally struct {
	mu       sync.Mutex
	accepted []*yamux.Stream // answered a ping; kept open
	refused  int             // an Error overloaded frame, then closed
	reset    int             // reset or closed without a frame
	errs     []error
}

// try opens one stream and pings on it: a stream the node serves is kept
// open, a refused one is closed.
func (st *streamTally) try(p *rawPeer) {
	s, err := p.sess.OpenStream()
	if err != nil {
		st.fail(err)
		return
	}
	_ = s.SetDeadline(time.Now().Add(20 * time.Second))
	f, err := rpRoundTrip(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case err == nil && f.Type == wire.FramePong:
		_ = s.SetDeadline(time.Time{})
		st.accepted = append(st.accepted, s)
		return
	case err == nil && f.Type == wire.FrameError:
		if code, _, _ := wire.ParseError(f); code == wire.CodeOverloaded {
			st.refused++
		} else {
			st.errs = append(st.errs, rpFrameError(f))
		}
	case err != nil && isClosedByPeer(err):
		st.reset++
	case err != nil:
		st.errs = append(st.errs, err)
	default:
		st.errs = append(st.errs, rpFrameError(f))
	}
	_ = s.Close()
}

func (st *streamTally) fail(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.errs = append(st.errs, err)
}

// TestFaultStreamFlood: a peer opens 10,000 streams on one link and keeps
// them open against a node with [link] max_streams = 100. The streams
// beyond the cap are refused, the link stays up (both ways, once the
// excess is closed), and the node's memory stays bounded.
func TestFaultStreamFlood(t *testing.T) {
	const streams, limit, workers = 10000, 100, 64
	c := newCluster(t)
	kate := c.start("kate", plain(), c.withConfig("kate", fmt.Sprintf("[link]\nmax_streams = %d\n", limit)))
	p := rpConnect(t, kate, "flood", rpYamuxConfig(), nil)
	if _, err := p.ping(5 * time.Second); err != nil {
		t.Fatalf("ping before the flood: %v", err)
	}
	before := kate.status()

	var st streamTally
	t.Cleanup(func() {
		for _, s := range st.accepted {
			_ = s.Close()
		}
	})
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range jobs {
				st.try(p)
			}
		})
	}
	start := time.Now()
	for range streams {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	during := kate.status()

	for _, err := range st.errs[:min(len(st.errs), 5)] {
		t.Errorf("stream: %v", err)
	}
	figure(t, "%d streams opened in %s with max_streams = %d: %d accepted and kept open, %d refused with overloaded, %d reset, %d other",
		streams, took.Round(time.Millisecond), limit, len(st.accepted), st.refused, st.reset, len(st.errs))
	figure(t, "kate during the flood: goroutines %d -> %d, RSS %.1f -> %.1f MB, heap %.1f -> %.1f MB",
		before.Goroutines, during.Goroutines, atkMiB(before.RSSBytes), atkMiB(during.RSSBytes), atkMiB(before.HeapBytes), atkMiB(during.HeapBytes))
	if len(st.accepted) != limit {
		t.Errorf("%d streams were served at once, want exactly max_streams = %d", len(st.accepted), limit)
	}
	if st.refused+st.reset+len(st.accepted) != streams {
		t.Errorf("accounted for %d of %d streams", st.refused+st.reset+len(st.accepted), streams)
	}
	if during.RSSBytes > before.RSSBytes+16<<20 || during.HeapBytes > before.HeapBytes+10<<20 {
		t.Errorf("memory grew too much during the flood: RSS %+.1f MB, heap %+.1f MB",
			atkMiB(during.RSSBytes)-atkMiB(before.RSSBytes), atkMiB(during.HeapBytes)-atkMiB(before.HeapBytes))
	}
	checkLinkSurvives(t, kate, p, &st)
	settleGoroutines(t, kate, before.Goroutines+5, 10*time.Second)
}

// checkLinkSurvives closes the streams the flood kept open and checks that
// the link still carries pings both ways and that the node lets go of
// what the flood took.
func checkLinkSurvives(t *testing.T, kate *node, p *rawPeer, st *streamTally) {
	t.Helper()
	if !slices.Contains(kate.links(), "flood@localhost") {
		t.Fatalf("kate dropped the link under the flood: links %v", kate.links())
	}
	s, _, err := p.openPing(5 * time.Second)
	if err == nil {
		_ = s.Close()
		t.Errorf("a stream beyond the cap was served")
	}
	for _, s := range st.accepted {
		_ = s.Close()
	}
	st.accepted = nil
	var rtt time.Duration
	waited := waitFor(t, 10*time.Second, "a ping stream to be served again", func() bool {
		rtt, err = p.ping(5 * time.Second)
		return err == nil
	})
	resp, err := kate.client.Ping(apiCtx(t), "flood@localhost")
	if err != nil || resp.Result != wire.Pong {
		t.Errorf("kate's ping of the flooding peer: %+v, %v", resp, err)
	}
	after := kate.status()
	figure(t, "after closing the kept streams: the peer's ping answered in %s (after %s), kate's ping of the peer %s in %.1f ms; goroutines %d, RSS %.1f MB, heap %.1f MB",
		rtt.Round(time.Microsecond), waited.Round(time.Millisecond), resp.Result, resp.RTTMs, after.Goroutines, atkMiB(after.RSSBytes), atkMiB(after.HeapBytes))
}

// TestFaultStalledPeer: a raw peer links to a node, then stops reading
// its socket right after answering a keepalive ping, while the node sends
// it megabytes of calls. The node's blocked write times out at its
// deadline (max(tick/2, 1 s), tick from [link] tick) and the link is
// declared down, before the keepalive could notice; the node's link to
// alex keeps working meanwhile; once the session is closed the node does
// not spin.
func TestFaultStalledPeer(t *testing.T) {
	const tick = 10 * time.Second
	const writeTimeout = tick / 2 // daemon/link: max(tick/2, 1s)
	c := newCluster(t)
	kate := c.start("kate", plain(), c.withConfig("kate", fmt.Sprintf("[link]\ntick = %q\n", tick.String())))
	c.start("alex")
	atkPingOK(t, kate, "alex")

	yc := rpYamuxConfig()
	yc.MaxStreamWindowSize = 64 << 20 // let the node send far more than the kernel buffers hold
	var sc *stallConn
	p := rpConnect(t, kate, "stall", yc, func(conn net.Conn) net.Conn { sc = newStallConn(conn); return sc })
	bg := atkNewBackground(t, kate)
	bg.call("stall@localhost", 1, 16) // opens the calls stream, which the peer accepts
	select {
	case <-p.calls:
	case <-time.After(10 * time.Second):
		t.Fatal("kate opened no calls stream to the raw peer")
	}
	sc.armed.Store(true)
	select {
	case <-sc.at:
	case <-time.After(tick):
		t.Fatal("no keepalive ping from kate within a tick")
	}
	stalled := time.Unix(0, sc.when.Load())
	const calls, args, size = 24, 8, 96 << 10
	for range calls {
		bg.call("stall@localhost", args, size)
	}

	others := otherLinkWorks(t, kate, func() bool { return !slices.Contains(kate.links(), "stall@localhost") }, 2*tick)
	// The link leaves kate's list a moment before her "node down" line
	// reaches the log: wait for the line.
	var line string
	waitFor(t, 5*time.Second, `kate's "node down" line for stall@localhost`, func() bool {
		line = atkDownLine(kate.stderr.String(), "stall@localhost")
		return line != ""
	})
	down := time.Since(stalled)
	if at, err := time.Parse(time.RFC3339Nano, logField(line, "time")); err == nil {
		down = at.Sub(stalled) // when kate declared it down, to the millisecond
	}
	figure(t, "a peer stopped reading while kate had %d MiB of calls for it: kate declared it down %s after the stall (write timeout %s, tick %s); meanwhile %s",
		calls*args*size>>20, down.Round(time.Millisecond), writeTimeout, tick, others)
	if down < writeTimeout || down > writeTimeout+2*time.Second {
		t.Errorf("the stalled link went down %s after the stall, want at the write timeout %s (+ the time to fill the buffers)", down, writeTimeout)
	}
	if !strings.Contains(line, "write made no progress") {
		t.Errorf("the stalled link went down for another reason than its write timeout: %s", line)
	}
	figure(t, "kate logged: %s", line)
	bg.waitWithin(t, 20*time.Second)
	checkNoSpin(t, kate, 2*time.Second)
	atkPingOK(t, kate, "alex")
}

// atkBackground runs control API requests that may block for long in their
// own goroutines; they are cancelled and waited for when the test ends.
type atkBackground struct {
	n      *node
	client *client.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func atkNewBackground(t *testing.T, n *node) *atkBackground {
	ctx, cancel := context.WithCancel(context.Background())
	b := &atkBackground{n: n, client: client.New(n.socket()), ctx: ctx, cancel: cancel}
	t.Cleanup(func() {
		b.cancel()
		b.wait()
	})
	return b
}

// call starts a call of receive_message on node with args arguments of
// size bytes each, which waits up to 30 s for its result (the request, at
// most a minute). Its outcome does not matter.
func (b *atkBackground) call(node string, args, size int) {
	req := wire.CallRequest{Node: node, Function: "receive_message", Timeout: "30s"}
	for range args {
		req.Args = append(req.Args, strings.Repeat("x", size))
	}
	b.wg.Go(func() {
		ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
		defer cancel()
		_, _ = b.client.Call(ctx, req)
	})
}

// wait waits for the requests started so far.
func (b *atkBackground) wait() {
	b.wg.Wait()
	b.client.CloseIdleConnections()
}

// waitWithin waits for the requests started so far, failing the test if
// they are not all done within d.
func (b *atkBackground) waitWithin(t *testing.T, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		b.client.CloseIdleConnections()
	case <-time.After(d):
		t.Fatalf("calls to a peer whose link is down still pending after %s", d)
	}
}

// otherLinkWorks pings alex from n and sends it a message, over and over
// until done holds (at most limit), failing the test unless each answers
// in under a second. It describes what it measured.
func otherLinkWorks(t *testing.T, n *node, done func() bool, limit time.Duration) string {
	t.Helper()
	var worst time.Duration
	count := 0
	waitFor(t, limit, "the stalled link to go down", func() bool {
		if done() {
			return true
		}
		start := time.Now()
		if ping, err := n.client.Ping(apiCtx(t), "alex"); err != nil || ping.Result != wire.Pong {
			t.Errorf("ping alex while the other link is stalled: %+v, %v", ping, err)
		}
		if _, err := n.client.Send(apiCtx(t), "alex", fmt.Sprintf("still here %d", count)); err != nil {
			t.Errorf("send to alex while the other link is stalled: %v", err)
		}
		took := time.Since(start)
		worst = max(worst, took)
		count++
		if took >= time.Second {
			t.Errorf("a ping and a send to alex took %s while the other link was stalled", took)
		}
		time.Sleep(100 * time.Millisecond) // pacing
		return false
	})
	return fmt.Sprintf("%d pings+sends to alex answered, the slowest in %s", count, worst.Round(time.Millisecond))
}
