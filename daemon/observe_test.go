package daemon

import (
	"context"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"chatd/internal/testkit"
	"chatd/wire"
)

// scrape GETs /metrics from the node's control socket, or from addr over
// TCP when addr is set, and parses it with Prometheus' text parser.
func scrape(t *testing.T, n *testNode, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		if addr != "" {
			return d.DialContext(ctx, "tcp", addr)
		}
		return d.DialContext(ctx, "unix", n.ctl.Path())
	}}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(testkit.Ctx(t, testkit.Wait), http.MethodGet, "http://chatd"+wire.PathMetrics, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s, %s: %s", resp.Status, resp.Header.Get("Content-Type"), b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// sample returns the value of the sample of family name whose labels are
// exactly labels ("k=v,k=v", sorted by key; "" for none): a counter's or
// gauge's value, a histogram's count. ok is false when there is none.
func sample(fams map[string]*dto.MetricFamily, name, labels string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		var ls []string
		for _, l := range m.Label {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(ls)
		if strings.Join(ls, ",") != labels {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// checkSamples compares samples with what the test wants, "name{labels}"
// to value; a negative want means "present, at least 1".
func checkSamples(t *testing.T, node string, fams map[string]*dto.MetricFamily, want map[string]float64) {
	t.Helper()
	for key, w := range want {
		name, labels, _ := strings.Cut(strings.TrimSuffix(key, "}"), "{")
		got, ok := sample(fams, name, labels)
		switch {
		case !ok:
			t.Errorf("%s: no sample %s", node, key)
		case w < 0 && got < 1, w >= 0 && got != w:
			t.Errorf("%s: %s = %v, want %v", node, key, got, w)
		}
	}
}

// TestMetrics drives calls, chat messages and a responder's reply, then
// scrapes each node and checks that the counters moved.
func TestMetrics(t *testing.T) {
	c := newCluster(t, "[nodes.moebi]\nresponder.reply = \"chicken?\"\nmetrics.listen = \"127.0.0.1:0\"\n")
	a, k, m := c.start("alex"), c.start("kate"), c.start("moebi")
	ctx := testkit.Ctx(t, testkit.Wait)
	nobody := wire.NodeName{Name: "nobody", Host: "localhost"}
	if _, err := a.Core().SendMessage(ctx, kate, "hi"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Core().SendMessage(ctx, moebi, "hi"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Core().SendMessage(ctx, nobody, "hi"); wire.CodeOf(err) != wire.CodeNoConnection {
		t.Fatalf("send to nobody: %v", err)
	}
	for _, call := range []wire.Call{{Function: "echo", Args: []string{"x"}}, {Function: "echo"}, {Function: "crash"}} {
		_, _ = a.Core().Call(ctx, kate, call)
	}

	checkSamples(t, "alex", scrape(t, a, ""), map[string]float64{
		"chatd_calls_total{direction=out,function=echo,result=ok}":                       2,
		"chatd_calls_total{direction=out,function=crash,result=task_failed}":             1,
		"chatd_calls_total{direction=out,function=receive_message,result=ok}":            2,
		"chatd_calls_total{direction=out,function=receive_message,result=no_connection}": 1,
		"chatd_call_duration_seconds{direction=out,function=echo}":                       2,
		"chatd_calls_total{direction=in,function=receive_message,result=ok}":             1, // moebi's reply
		"chatd_messages_sent_total{result=ok}":                                           2,
		"chatd_messages_sent_total{result=no_connection}":                                1,
		"chatd_messages_received_total":                                                  1,
		"chatd_links_up{protocol=chatd}":                                                 2,
		"chatd_links_up{protocol=erlang}":                                                0,
		"chatd_handshakes_total{direction=out,protocol=chatd,result=ok}":                 2,
		"chatd_handshakes_total{direction=in,protocol=chatd,result=cookie_mismatch}":     0,
		"chatd_tasks_running":              0,
		"chatd_processes":                  1, // the shell
		"chatd_mailbox_messages":           0,
		"chatd_mapper_registrations_total": 1,
		"chatd_mapper_embedded":            1, // alex started first
		"chatd_build_info{version=test}":   1,
		"go_goroutines":                    -1,
		"process_resident_memory_bytes":    -1,
	})
	checkSamples(t, "kate", scrape(t, k, ""), map[string]float64{
		"chatd_calls_total{direction=in,function=receive_message,result=ok}": 1,
		"chatd_calls_total{direction=in,function=echo,result=ok}":            2,
		"chatd_calls_total{direction=in,function=crash,result=task_failed}":  1,
		"chatd_messages_received_total":                                      1,
		"chatd_handshakes_total{direction=in,protocol=chatd,result=ok}":      1,
		"chatd_mapper_embedded":                                              0,
	})
	// moebi serves the same over TCP ([metrics] listen).
	checkSamples(t, "moebi", scrape(t, m, m.scrapes.Addr().String()), map[string]float64{
		"chatd_responder_replies_total{result=ok}":                            1,
		"chatd_calls_total{direction=out,function=receive_message,result=ok}": 1,
		"chatd_messages_sent_total{result=ok}":                                0,
		"chatd_messages_received_total":                                       1,
	})
}

// TestMetricsDown: a link that goes down is counted by reason.
func TestMetricsDown(t *testing.T) {
	c := newCluster(t, "")
	a, k := c.start("alex"), c.start("kate")
	if _, err := a.Core().SendMessage(testkit.Ctx(t, testkit.Wait), kate, "hi"); err != nil {
		t.Fatal(err)
	}
	if err := k.Stop(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, testkit.Wait, "alex to count kate's link down", func() bool {
		v, _ := sample(scrape(t, a, ""), "chatd_link_downs_total", "protocol=chatd,reason=closed")
		return v == 1
	})
	if v, _ := sample(scrape(t, a, ""), "chatd_links_up", "protocol=chatd"); v != 0 {
		t.Errorf("chatd_links_up = %v after kate stopped", v)
	}
}

// TestNodeEvents: alex's watch sees kate up, kate's clean stop as down
// (closed), and ends (shutdown) when alex stops.
func TestNodeEvents(t *testing.T) {
	c := newCluster(t, "")
	a, k := c.start("alex"), c.start("kate")
	events := a.events.WatchNodes(testkit.Ctx(t, testkit.Wait))
	if _, err := a.Core().SendMessage(testkit.Ctx(t, testkit.Wait), kate, "hi"); err != nil {
		t.Fatal(err)
	}
	if err := k.Stop(); err != nil {
		t.Fatal(err)
	}
	next := func() wire.NodeEvent {
		t.Helper()
		ev, ok := <-events
		if !ok {
			t.Fatal("the watch ended early")
		}
		return ev
	}
	if ev := next(); ev.Event != wire.NodeUp || ev.Node != "kate@localhost" || ev.Protocol != "chatd" || ev.Direction != "out" || ev.Time.IsZero() {
		t.Errorf("first event %+v, want kate up", ev)
	}
	if ev := next(); ev.Event != wire.NodeDown || ev.Node != "kate@localhost" || ev.Reason != wire.ReasonClosed {
		t.Errorf("second event %+v, want kate down (closed)", ev)
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	ev := next()
	if ev.Event != wire.NodeWatchEnd || ev.Reason != wire.ReasonShutdown || ev.Detail != "chatd alex@localhost is stopping" {
		t.Errorf("last event %+v, want end (shutdown)", ev)
	}
	if ev, ok := <-events; ok {
		t.Errorf("an event after the end: %+v", ev)
	}
}
