//go:build faults

// Dead, silent and partitioned peers in network namespaces: a half-open
// link and a three-node partition (issue 7). Each node runs in a network
// namespace of its own, wired to a bridge that lives in yet another
// namespace; the host's own interfaces are never touched. Faults are made
// by taking a veth end down, so packets vanish without a FIN or a reset.

package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"chatd/wire"
)

// netnsSeq numbers the network worlds of this test process, so that their
// namespace names never collide.
var netnsSeq atomic.Int64

// netWorld is a private network: a bridge in a namespace of its own and
// one namespace per host, each linked to the bridge by a veth pair.
type netWorld struct {
	t      *testing.T
	ipBin  string // iproute2's ip
	prefix string // of every namespace name: chatd-<pid>-<n>
	bridge string // the namespace holding the bridge br0
	hosts  []*nsHost
}

// nsHost is one host of a netWorld: a namespace with the address ip on
// its interface nsDev, whose peer port is enslaved to the bridge.
type nsHost struct {
	w    *netWorld
	ns   string // the host's namespace
	ip   string // its IPv4 address in 10.253.0.0/24
	port string // the bridge-side veth end, in the bridge namespace
}

// nsDev is a host's interface inside its namespace.
const nsDev = "eth0"

// newNetWorld makes the bridge namespace, skipping t when the kernel or
// the tools cannot make namespaces or bridges. Everything it and addHost
// make is deleted when t ends.
func newNetWorld(t *testing.T) *netWorld {
	t.Helper()
	needRoot(t)
	ipBin, err := exec.LookPath("ip")
	if err != nil {
		ipBin = "/usr/sbin/ip"
		if _, err := os.Stat(ipBin); err != nil {
			t.Skip("needs iproute2's ip command for network namespaces")
		}
	}
	w := &netWorld{t: t, ipBin: ipBin, prefix: fmt.Sprintf("chatd-%d-%d", os.Getpid(), netnsSeq.Add(1))}
	w.bridge = w.addNS("br")
	w.ipOrSkip("bridge devices", "-n", w.bridge, "link", "add", "br0", "type", "bridge", "forward_delay", "0")
	w.ip("-n", w.bridge, "link", "set", "br0", "up")
	return w
}

// addNS makes a namespace called prefix-suffix with its loopback up.
func (w *netWorld) addNS(suffix string) string {
	w.t.Helper()
	ns := w.prefix + "-" + suffix
	w.ipOrSkip("network namespaces", "netns", "add", ns)
	w.t.Cleanup(func() { w.deleteNS(ns) })
	w.ip("-n", ns, "link", "set", "lo", "up")
	return ns
}

// addHost makes a host namespace wired to the bridge, with the next free
// address of 10.253.0.0/24.
func (w *netWorld) addHost(name string) *nsHost {
	w.t.Helper()
	h := &nsHost{w: w, ns: w.addNS(name), ip: fmt.Sprintf("10.253.0.%d", len(w.hosts)+1), port: "p-" + name}
	w.ipOrSkip("veth pairs", "-n", h.ns, "link", "add", nsDev, "type", "veth", "peer", "name", h.port, "netns", w.bridge)
	w.ip("-n", w.bridge, "link", "set", h.port, "master", "br0")
	w.ip("-n", w.bridge, "link", "set", h.port, "up")
	w.ip("-n", h.ns, "addr", "add", h.ip+"/24", "dev", nsDev)
	w.ip("-n", h.ns, "link", "set", nsDev, "up")
	w.hosts = append(w.hosts, h)
	return h
}

// ip runs ip with args, failing the test on error.
func (w *netWorld) ip(args ...string) string {
	w.t.Helper()
	out, err := exec.Command(w.ipBin, args...).CombinedOutput()
	if err != nil {
		w.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ipOrSkip runs ip with args, skipping the test when it fails: the
// kernel lacks feature (or the sandbox forbids it).
func (w *netWorld) ipOrSkip(feature string, args ...string) {
	w.t.Helper()
	if out, err := exec.Command(w.ipBin, args...).CombinedOutput(); err != nil {
		w.t.Skipf("cannot make %s here (ip %s: %v: %s)", feature, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
}

// deleteNS kills whatever still runs in ns (only this test starts
// processes there) and deletes it, with the veth ends and bridge in it.
func (w *netWorld) deleteNS(ns string) {
	for _, pid := range w.pids(ns) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(w.pids(ns)) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if out, err := exec.Command(w.ipBin, "netns", "del", ns).CombinedOutput(); err != nil {
		w.t.Errorf("delete network namespace %s: %v: %s", ns, err, out)
	}
}

// pids lists the processes running in ns.
func (w *netWorld) pids(ns string) []int {
	out, _ := exec.Command(w.ipBin, "netns", "pids", ns).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// down takes the host's own interface down inside its namespace: its
// packets vanish, nobody sees a FIN or a reset.
func (h *nsHost) down() { h.w.ip("-n", h.ns, "link", "set", nsDev, "down") }

// up brings the host's interface back.
func (h *nsHost) up() { h.w.ip("-n", h.ns, "link", "set", nsDev, "up") }

// cut takes the host's port on the bridge down: the host is partitioned
// from every other host, silently.
func (h *nsHost) cut() { h.w.ip("-n", h.w.bridge, "link", "set", h.port, "down") }

// heal brings the host's bridge port back.
func (h *nsHost) heal() { h.w.ip("-n", h.w.bridge, "link", "set", h.port, "up") }

// ready reports whether the host's interface is up and its bridge port
// forwards again.
func (h *nsHost) ready() bool {
	h.w.t.Helper()
	var port, dev []struct {
		Operstate string `json:"operstate"`
		Linkinfo  struct {
			Slave struct {
				State string `json:"state"`
			} `json:"info_slave_data"`
		} `json:"linkinfo"`
	}
	if err := json.Unmarshal([]byte(h.w.ip("-n", h.w.bridge, "-j", "-d", "link", "show", "dev", h.port)), &port); err != nil {
		h.w.t.Fatalf("ip -j link show %s: %v", h.port, err)
	}
	if err := json.Unmarshal([]byte(h.w.ip("-n", h.ns, "-j", "link", "show", "dev", nsDev)), &dev); err != nil {
		h.w.t.Fatalf("ip -j link show %s in %s: %v", nsDev, h.ns, err)
	}
	return len(port) == 1 && len(dev) == 1 && port[0].Operstate == "UP" &&
		port[0].Linkinfo.Slave.State == "forwarding" && dev[0].Operstate == "UP"
}

// nsNode is a chatd node running in a host namespace.
type nsNode struct {
	*node
	full string // its node name, name@IP
}

// startIn runs chatd --name name inside h's namespace (through ip netns
// exec, with the args and environment spawn would use), configured with
// h's address as its host and listen address, an embedded mapper on every
// address of the namespace, and the given tick; it waits until the node
// answers on its control socket, which the test reaches from the root
// namespace since it is a path.
func (c *cluster) startIn(h *nsHost, name string, tick time.Duration) *nsNode {
	c.t.Helper()
	toml := fmt.Sprintf("host = %q\n\n[mapper]\naddress = \"0.0.0.0\"\n\n[listen]\naddress = \"%s:0\"\n\n[link]\ntick = %q\n",
		h.ip, h.ip, tick.String())
	spec := nodeSpec{bin: built.chatd, args: []string{"--name", name, "--cookie-file", c.cookieFile}}
	c.withConfig(name, toml)(&spec)
	cmd := exec.Command(h.w.ipBin, append([]string{"netns", "exec", h.ns, spec.bin}, spec.args...)...)
	cmd.Env = append(c.baseEnv(), spec.env...)
	n := c.run(name, cmd)
	n.waitReady()
	return &nsNode{node: n, full: name + "@" + h.ip}
}

// ping asks n to ping the node called to.
func (n *nsNode) ping(to string) wire.PingResponse {
	n.c.t.Helper()
	resp, err := n.client.Ping(apiCtx(n.c.t), to)
	if err != nil {
		n.c.t.Fatalf("ping %s from %s: %v", to, n.full, err)
	}
	return resp
}

// mustPong fails the test unless n's ping of to answers pong.
func (n *nsNode) mustPong(to string) {
	n.c.t.Helper()
	if r := n.ping(to); r.Result != wire.Pong {
		n.c.t.Fatalf("%s ping %s: %s (%s)", n.full, to, r.Result, r.Reason)
	}
}

// send sends text from n to the node called to.
func (n *nsNode) send(to, text string) (wire.SendResponse, error) {
	return n.client.Send(apiCtx(n.c.t), to, text)
}

// linkedTo reports whether n lists a link to every node in peers.
func (n *nsNode) linkedTo(peers ...string) bool {
	n.c.t.Helper()
	links := n.links()
	for _, p := range peers {
		if !slices.Contains(links, p) {
			return false
		}
	}
	return true
}

// linkedToNone reports whether n lists a link to none of peers.
func (n *nsNode) linkedToNone(peers ...string) bool {
	n.c.t.Helper()
	links := n.links()
	for _, p := range peers {
		if slices.Contains(links, p) {
			return false
		}
	}
	return true
}

// callResult is how a call over the control API ended.
type callResult struct {
	err  error
	took time.Duration
}

// callAsync starts a call of fn on the node called to from n and returns
// where its result will arrive.
func (n *nsNode) callAsync(to, fn string, args []string, timeout time.Duration) <-chan callResult {
	done := make(chan callResult, 1)
	go func() {
		start := time.Now()
		_, err := n.client.Call(apiCtx(n.c.t), wire.CallRequest{Node: to, Function: fn, Args: args, Timeout: timeout.String()})
		done <- callResult{err: err, took: time.Since(start)}
	}()
	return done
}

func TestFaultHalfOpenLink(t *testing.T) {
	const tick = 2 * time.Second
	const callTimeout = 8 * time.Second // under the harness's 10 s request bound (apiTimeout)
	w := newNetWorld(t)
	c := newCluster(t)
	ah, kh := w.addHost("alex"), w.addHost("kate")
	alex := c.startIn(ah, "alex", tick)
	kate := c.startIn(kh, "kate", tick)
	alex.mustPong(kate.full)
	if !alex.linkedTo(kate.full) {
		t.Fatalf("alex does not list kate after a pong: %v", alex.links())
	}

	// A call in flight on kate when her network vanishes.
	inFlight := alex.callAsync(kate.full, "sleep", []string{"60s"}, callTimeout)
	waitFor(t, 10*time.Second, "kate to run alex's sleep", func() bool { return kate.runsTask("sleep") })

	kh.down()
	dropped := time.Now()
	waitFor(t, 5*tick, "alex to declare kate down", func() bool { return alex.linkedToNone(kate.full) })
	detect := time.Since(dropped)
	figure(t, "alex declared kate down %s after her network dropped silently (tick %s, bound 2 × tick = %s)",
		detect.Round(time.Millisecond), tick, 2*tick)
	if detect > 2*tick {
		t.Errorf("kate declared down after %s, want within 2 × tick = %s", detect, 2*tick)
	}
	checkInFlight(t, inFlight, callTimeout)
	checkCallsFail(t, alex, kate.full)

	kh.up()
	restored := time.Now()
	waitFor(t, 10*time.Second, "kate's network to be back", kh.ready)
	r := alex.ping(kate.full)
	relink := time.Since(restored)
	if r.Result != wire.Pong {
		t.Fatalf("the first ping after kate's network returned: %s (%s), want pong", r.Result, r.Reason)
	}
	figure(t, "alex relinked to kate on the next use: pong %s after the network returned (rtt %.2f ms)",
		relink.Round(time.Millisecond), r.RTTMs)
	if !alex.linkedTo(kate.full) {
		t.Errorf("alex does not list kate after relinking: %v", alex.links())
	}
	if _, err := alex.send(kate.full, "after the outage"); err != nil {
		t.Errorf("send to kate after relinking: %v", err)
	}
}

// checkInFlight checks that the call in flight when the link went silent
// failed, and did so when the link was declared down rather than at its
// own await timeout.
func checkInFlight(t *testing.T, done <-chan callResult, timeout time.Duration) {
	t.Helper()
	var r callResult
	select {
	case r = <-done:
	case <-time.After(2 * timeout):
		t.Fatalf("the call in flight to kate did not end within %s", 2*timeout)
	}
	if r.err == nil {
		t.Fatalf("the call in flight to kate succeeded across a dead network")
	}
	figure(t, "a call in flight to kate failed after %s: %v", r.took.Round(time.Millisecond), r.err)
	if r.took >= timeout {
		t.Errorf("the call in flight waited out its %s await timeout instead of failing when kate was declared down", timeout)
	}
}

// checkCallsFail checks that new uses of the silent peer fail, and prints
// how.
func checkCallsFail(t *testing.T, from *nsNode, to string) {
	t.Helper()
	start := time.Now()
	if _, err := from.send(to, "into the void"); err == nil {
		t.Errorf("a send to %s succeeded while its network was down", to)
	} else {
		figure(t, "a send to kate while she is unreachable failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
	}
	start = time.Now()
	r := from.ping(to)
	if r.Result != wire.Pang {
		t.Errorf("ping %s while its network is down: %s, want pang", to, r.Result)
	}
	figure(t, "a ping to kate while she is unreachable: %s after %s: %s", r.Result, time.Since(start).Round(time.Millisecond), r.Reason)
}

// sendRec is one send of the partition test's traffic.
type sendRec struct {
	from, to   string // node names
	text       string // unique across the run
	id         string // the message id the API returned, when ok
	ok         bool
	err        string
	start, end time.Time
}

// traffic sends chat messages from every node to every other at a steady
// pace, each send with a unique text, and records every outcome.
type traffic struct {
	stopCh   chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	mu   sync.Mutex
	recs []sendRec // guarded by mu
}

// startTraffic starts one sender per ordered pair of nodes; it stops when
// stop is called or the test ends.
func startTraffic(t *testing.T, nodes []*nsNode, pace time.Duration) *traffic {
	tr := &traffic{stopCh: make(chan struct{})}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	for _, from := range nodes {
		for _, to := range nodes {
			if from != to {
				tr.wg.Add(1)
				go tr.sender(from, to, run, pace)
			}
		}
	}
	t.Cleanup(tr.stop)
	return tr
}

// sender sends from from to to until stopped.
func (tr *traffic) sender(from, to *nsNode, run string, pace time.Duration) {
	defer tr.wg.Done()
	for i := 0; ; i++ {
		rec := sendRec{from: from.full, to: to.full, text: fmt.Sprintf("%s to %s #%d run %s", from.name, to.name, i, run), start: time.Now()}
		resp, err := from.send(to.full, rec.text)
		rec.end = time.Now()
		if err != nil {
			rec.err = err.Error()
		} else {
			rec.ok, rec.id = true, resp.ID
		}
		tr.mu.Lock()
		tr.recs = append(tr.recs, rec)
		tr.mu.Unlock()
		select {
		case <-tr.stopCh:
			return
		case <-time.After(pace):
		}
	}
}

// stop ends the traffic and waits for the senders; it is idempotent.
func (tr *traffic) stop() {
	tr.stopOnce.Do(func() { close(tr.stopCh) })
	tr.wg.Wait()
}

// records returns a copy of the sends so far.
func (tr *traffic) records() []sendRec {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.recs)
}

// firstOK returns when the first send from from to to acknowledged ok
// after t0 finished, if one did.
func (tr *traffic) firstOK(from, to string, t0 time.Time) (time.Time, bool) {
	for _, r := range tr.records() {
		if r.from == from && r.to == to && r.ok && !r.end.Before(t0) {
			return r.end, true
		}
	}
	return time.Time{}, false
}

// acksSince counts, for every ordered pair, the sends acknowledged ok that
// started at or after t0, and returns the smallest count.
func (tr *traffic) acksSince(t0 time.Time, nodes []*nsNode) int {
	n := make(map[[2]string]int)
	for _, r := range tr.records() {
		if r.ok && !r.start.Before(t0) {
			n[[2]string{r.from, r.to}]++
		}
	}
	least := -1
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b && (least < 0 || n[[2]string{a.full, b.full}] < least) {
				least = n[[2]string{a.full, b.full}]
			}
		}
	}
	return least
}

func TestFaultPartition(t *testing.T) {
	const (
		tick      = 3 * time.Second
		partition = 30 * time.Second // the partition
		relinkMax = 10 * time.Second // links re-form within this after healing
		pace      = 200 * time.Millisecond
	)
	w := newNetWorld(t)
	c := newCluster(t)
	ah, kh, mh := w.addHost("alex"), w.addHost("kate"), w.addHost("moebi")
	alex, kate, moebi := c.startIn(ah, "alex", tick), c.startIn(kh, "kate", tick), c.startIn(mh, "moebi", tick)
	nodes := []*nsNode{alex, kate, moebi}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				a.mustPong(b.full)
			}
		}
	}

	began := time.Now()
	tr := startTraffic(t, nodes, pace)
	waitFor(t, 30*time.Second, "five acknowledged sends between every pair", func() bool { return tr.acksSince(began, nodes) >= 5 })

	kh.cut()
	cut := time.Now()
	watchPartition(t, cut, tick, alex, kate, moebi)
	if ok := tr.acksSince(cut, []*nsNode{alex, moebi}); ok == 0 {
		t.Errorf("alex and moebi stopped exchanging messages while kate was partitioned away")
	}
	time.Sleep(time.Until(cut.Add(partition))) // the partition lasts its 30 s, whatever the traffic does

	kh.heal()
	healed := time.Now()
	relinked := waitFor(t, 2*relinkMax, "sends to kate to succeed and kate to list both peers again", func() bool {
		_, fromAlex := tr.firstOK(alex.full, kate.full, healed)
		_, fromMoebi := tr.firstOK(moebi.full, kate.full, healed)
		return fromAlex && fromMoebi && kate.linkedTo(alex.full, moebi.full)
	})
	figure(t, "after a %s partition, links re-formed %s after healing (sends from alex and moebi to kate ok, kate lists both; bound %s)",
		partition, relinked.Round(time.Millisecond), relinkMax)
	printRecoveries(t, tr, healed, nodes, kate)
	if relinked > relinkMax {
		t.Errorf("links re-formed %s after healing, want within %s", relinked, relinkMax)
	}
	end := time.Now()
	waitFor(t, 30*time.Second, "five more acknowledged sends between every pair", func() bool { return tr.acksSince(end, nodes) >= 5 })
	tr.stop()
	checkDelivery(t, tr.records(), nodes, kate.full, cut, healed.Add(relinked))
}

// watchPartition waits until both sides of the partition declared the
// other down and prints how long each took.
func watchPartition(t *testing.T, cut time.Time, tick time.Duration, alex, kate, moebi *nsNode) {
	t.Helper()
	for _, n := range []*nsNode{alex, moebi} {
		waitFor(t, 5*tick, n.name+" to declare kate down", func() bool { return n.linkedToNone(kate.full) })
		figure(t, "%s declared kate down %s after the partition began (tick %s)", n.name, time.Since(cut).Round(time.Millisecond), tick)
	}
	waitFor(t, 5*tick, "kate to declare alex and moebi down", func() bool { return kate.linkedToNone(alex.full, moebi.full) })
	figure(t, "kate declared alex and moebi down %s after the partition began", time.Since(cut).Round(time.Millisecond))
	if !alex.linkedTo(moebi.full) || !moebi.linkedTo(alex.full) {
		t.Errorf("the link between alex and moebi, on the same side of the partition, went down: alex %v, moebi %v", alex.links(), moebi.links())
	}
}

// printRecoveries prints, for each direction to and from kate, when the
// first send after healing was acknowledged.
func printRecoveries(t *testing.T, tr *traffic, healed time.Time, nodes []*nsNode, kate *nsNode) {
	t.Helper()
	var parts []string
	for _, n := range nodes {
		if n == kate {
			continue
		}
		for _, d := range [][2]*nsNode{{n, kate}, {kate, n}} {
			at, ok := tr.firstOK(d[0].full, d[1].full, healed)
			s := "not yet"
			if ok {
				s = at.Sub(healed).Round(time.Millisecond).String()
			}
			parts = append(parts, fmt.Sprintf("%s→%s %s", d[0].name, d[1].name, s))
		}
	}
	figure(t, "first acknowledged send after healing: %s", strings.Join(parts, ", "))
}

// sinkKeeps is how many recent messages a node's GET /v1/messages keeps;
// a recipient must receive fewer for the check to see every one.
const sinkKeeps = 1000

// tally counts the partition test's sends against what the recipients'
// sinks hold.
type tally struct {
	sent, acked, failed int
	failedInPartition   int    // failed sends to or from kate while she was cut off or relinking
	delivered, missing  int    // acknowledged sends found, not found, by id
	wrong               int    // acknowledged sends whose id came with another text or sender
	dupIDs, dupTexts    int    // extra copies of one id, or of one send's text
	failedDelivered     int    // failed sends that arrived nevertheless
	strangers           int    // messages no send of the test produced
	example             string // one failed send's error
	perRecipient        []string
}

// checkDelivery checks that every send acknowledged ok is in its
// recipient's sink exactly once, by message id, that none is duplicated,
// and that sends only failed when they involved kate during [cutAt,
// relinkedAt].
func checkDelivery(t *testing.T, recs []sendRec, nodes []*nsNode, kate string, cutAt, relinkedAt time.Time) {
	t.Helper()
	byID := make(map[[2]string][]wire.Message) // (recipient, id) → messages
	byText := make(map[[2]string]int)          // (recipient, text) → copies
	var tl tally
	for _, n := range nodes {
		msgs := n.messages()
		if len(msgs) >= sinkKeeps {
			t.Fatalf("%s received %d messages, as many as its sink keeps (%d): the check cannot see them all", n.full, len(msgs), sinkKeeps)
		}
		tl.perRecipient = append(tl.perRecipient, fmt.Sprintf("%s %d", n.name, len(msgs)))
		for _, m := range msgs {
			byID[[2]string{n.full, m.ID}] = append(byID[[2]string{n.full, m.ID}], m)
			byText[[2]string{n.full, m.Text}]++
		}
	}
	texts := make(map[[2]string]bool)
	for _, r := range recs {
		texts[[2]string{r.to, r.text}] = true
		tl.count(r, byID, byText, kate, cutAt, relinkedAt)
	}
	for _, ms := range byID {
		tl.dupIDs += len(ms) - 1
	}
	for k, copies := range byText {
		tl.dupTexts += copies - 1
		if !texts[k] {
			tl.strangers += copies
		}
	}
	tl.report(t)
}

// count tallies one send.
func (tl *tally) count(r sendRec, byID map[[2]string][]wire.Message, byText map[[2]string]int, kate string, cutAt, relinkedAt time.Time) {
	tl.sent++
	if !r.ok {
		tl.failed++
		if tl.example == "" {
			tl.example = fmt.Sprintf("%s to %s: %s", r.from, r.to, r.err)
		}
		if (r.from == kate || r.to == kate) && !r.end.Before(cutAt) && !r.start.After(relinkedAt) {
			tl.failedInPartition++
		}
		if byText[[2]string{r.to, r.text}] > 0 {
			tl.failedDelivered++
		}
		return
	}
	tl.acked++
	ms := byID[[2]string{r.to, r.id}]
	switch {
	case len(ms) == 0:
		tl.missing++
	case ms[0].Text != r.text || ms[0].From != r.from:
		tl.wrong++
	default:
		tl.delivered++
	}
}

// report prints the tally and fails the test on any loss, duplicate or
// failure outside the partition.
func (tl *tally) report(t *testing.T) {
	t.Helper()
	figure(t, "sent %d, acked %d, failed %d (during the partition %d), delivered %d, duplicates %d by id / %d by text, missing %d",
		tl.sent, tl.acked, tl.failed, tl.failedInPartition, tl.delivered, tl.dupIDs, tl.dupTexts, tl.missing)
	figure(t, "failed sends delivered nevertheless: %d (allowed); messages per recipient: %s",
		tl.failedDelivered, strings.Join(tl.perRecipient, ", "))
	t.Logf("a failed send: %s", tl.example)
	if tl.missing > 0 || tl.wrong > 0 {
		t.Errorf("%d sends acknowledged ok are missing from their recipient's sink and %d came with another text or sender", tl.missing, tl.wrong)
	}
	if tl.dupIDs > 0 || tl.dupTexts > 0 {
		t.Errorf("duplicated deliveries: %d by id, %d by text", tl.dupIDs, tl.dupTexts)
	}
	if tl.strangers > 0 {
		t.Errorf("%d received messages match no send", tl.strangers)
	}
	if out := tl.failed - tl.failedInPartition; out > 0 {
		t.Errorf("%d sends failed outside the partition (or between alex and moebi)", out)
	}
	if tl.acked == 0 || tl.failedInPartition == 0 {
		t.Errorf("the traffic proves nothing: %d acked, %d failed during the partition", tl.acked, tl.failedInPartition)
	}
}
