package control

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"chatd/internal/testlog"
	"chatd/wire"
)

// fuzzPaths are the endpoints whose request bodies a client controls.
var fuzzPaths = []string{
	wire.PathPing, wire.PathConnect, wire.PathDisconnect,
	wire.PathSend, wire.PathCall, wire.PathSpawn, wire.PathFlush,
}

// FuzzControlRequest sends arbitrary bodies to every POST endpoint: each
// answer is a well-formed response (JSON, or a stream of JSON lines) with
// a status the API documents, and nothing panics or blocks.
func FuzzControlRequest(f *testing.F) {
	for i, body := range []string{
		`{"node": "kate"}`, `{"node": "kate@localhost"}`, `{"to": "kate", "text": "hi"}`,
		`{"to": "<kate@localhost.2.5>", "text": "hi"}`,
		`{"node": "kate", "function": "echo", "args": ["a"], "timeout": "2s"}`,
		`{"node": "kate", "function": "say_name", "detach": true}`, `{}`, `{"node": 1}`,
		`{"node": "kate"} trailing`, `[`, ``, `{"timeout": "-1s", "node": "k", "function": "sleep"}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	h := newHandler(newBackend().backend(), nil, testlog.New(f))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := fuzzPaths[int(which)%len(fuzzPaths)]
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge,
			http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusConflict:
		default:
			t.Fatalf("POST %s %q: status %d: %s", path, body, rec.Code, rec.Body)
		}
		dec := json.NewDecoder(rec.Body)
		for dec.More() {
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("POST %s %q: answer is not JSON: %v: %s", path, body, err, rec.Body)
			}
		}
	})
}
