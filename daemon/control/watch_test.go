package control

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"chatd/wire"

	"chatd/internal/fdgate"
)

// fakeEvents yields its events, then, once the watch's context ends, end
// (as the node's hub does when it closes before the server), and closes.
type fakeEvents struct {
	events []wire.NodeEvent
	end    *wire.NodeEvent
}

func (f fakeEvents) WatchNodes(ctx context.Context) <-chan wire.NodeEvent {
	ch := make(chan wire.NodeEvent, len(f.events)+1)
	for _, ev := range f.events {
		ch <- ev
	}
	if f.end == nil {
		close(ch)
		return ch
	}
	context.AfterFunc(ctx, func() {
		ch <- *f.end
		close(ch)
	})
	return ch
}

// serveBackend serves b on a fresh socket until the test ends.
func serveBackend(t *testing.T, b Backend) (*testServer, *apiClient) {
	t.Helper()
	path := socketPath(t)
	srv, err := Listen(path, selfPolicy(), fdgate.New(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, served: make(chan error, 1)}
	go func() { ts.served <- srv.Serve(b) }()
	t.Cleanup(func() { ts.close(t) })
	return ts, newClient(t, path)
}

var (
	epoch  = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	upKate = wire.NodeEvent{Event: wire.NodeUp, Node: "kate@localhost", Protocol: "chatd", Direction: "out", Time: epoch}
)

func TestWatchNodes(t *testing.T) {
	b := newBackend().backend()
	down := wire.NodeEvent{Event: wire.NodeDown, Node: "kate@localhost", Protocol: "chatd", Reason: wire.ReasonTickTimeout, Time: epoch}
	b.Events = fakeEvents{events: []wire.NodeEvent{upKate, down}}
	_, c := serveBackend(t, b)
	status, ctype, body := c.do(t, http.MethodGet, wire.PathNodes+"?watch=1", "")
	want := `{"event":"up","node":"kate@localhost","protocol":"chatd","direction":"out","time":"2026-12-01T10:00:00Z"}
{"event":"down","node":"kate@localhost","protocol":"chatd","reason":"tick_timeout","time":"2026-12-01T10:00:00Z"}
`
	if status != http.StatusOK || ctype != "application/x-ndjson" || string(body) != want {
		t.Errorf("GET /v1/nodes?watch=1: %d %s\n%s\nwant\n%s", status, ctype, body, want)
	}
}

// TestWatchNodesEndsWithWhy: when the server shuts down, a watch still
// gets the node's last event, which says why the stream ends.
func TestWatchNodesEndsWithWhy(t *testing.T) {
	b := newBackend().backend()
	end := wire.NodeEvent{Event: wire.NodeWatchEnd, Reason: wire.ReasonShutdown, Detail: "chatd alex@localhost is stopping", Time: epoch}
	b.Events = fakeEvents{events: []wire.NodeEvent{upKate}, end: &end}
	ts, c := serveBackend(t, b)
	req, err := http.NewRequest(http.MethodGet, "http://chatd"+wire.PathNodes+"?watch=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var got []wire.NodeEvent
	closed := make(chan struct{}) // closed once the server is, if the test stopped it
	defer func() {
		if len(got) > 0 {
			<-closed
		}
	}()
	for sc.Scan() {
		var ev wire.NodeEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if got = append(got, ev); len(got) == 1 {
			go func() { defer close(closed); ts.close(t) }() // the watch is open: stop the server
		}
	}
	if len(got) != 2 || got[1] != end {
		t.Errorf("events %+v, want up then %+v", got, end)
	}
}

func TestWatchNodesUnavailable(t *testing.T) {
	_, c := serveBackend(t, newBackend().backend())
	status, ctype, body := c.do(t, http.MethodGet, wire.PathNodes+"?watch=1", "")
	wantError(t, status, ctype, body, http.StatusServiceUnavailable, wire.CodeUnavailable)
}

func TestMetricsEndpoint(t *testing.T) {
	_, c := serveBackend(t, newBackend().backend())
	status, ctype, body := c.do(t, http.MethodGet, wire.PathMetrics, "")
	wantError(t, status, ctype, body, http.StatusNotFound, wire.CodeNotFound)

	b := newBackend().backend()
	b.Metrics = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte("chatd_links_up{protocol=\"chatd\"} 1\n"))
	})
	_, c = serveBackend(t, b)
	status, ctype, body = c.do(t, http.MethodGet, wire.PathMetrics, "")
	if status != http.StatusOK || ctype != "text/plain; version=0.0.4" || string(body) != "chatd_links_up{protocol=\"chatd\"} 1\n" {
		t.Errorf("GET /metrics: %d %s %q", status, ctype, body)
	}
}
