package control

import (
	"bytes"
	"net/http"
	"testing"

	"chatd/wire"
)

func TestDebugProfiles(t *testing.T) {
	_, c := newAPI(t)
	for _, tc := range []struct {
		name, path string
		prefix     []byte // how a good answer starts
	}{
		{"cpu profile (gzipped protobuf)", wire.PathDebugPprof + "profile?seconds=1", []byte{0x1f, 0x8b}},
		{"execution trace", wire.PathDebugPprof + "trace?seconds=1", []byte("go 1.")},
		{"goroutine profile", wire.PathDebugPprof + "goroutine", []byte{0x1f, 0x8b}},
		{"goroutine profile as text", wire.PathDebugPprof + "goroutine?debug=1", []byte("goroutine profile: total ")},
		{"allocations", wire.PathDebugPprof + "allocs", []byte{0x1f, 0x8b}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := c.do(t, "GET", tc.path, "")
			if status != http.StatusOK || !bytes.HasPrefix(body, tc.prefix) {
				t.Errorf("GET %s = %d, %q..., want 200 and %q...", tc.path, status, body[:min(len(body), 40)], tc.prefix)
			}
		})
	}
	for _, tc := range []struct {
		name, path string
		status     int
		code       wire.ErrorCode
	}{
		{"seconds not a number", wire.PathDebugPprof + "trace?seconds=x", http.StatusBadRequest, wire.CodeBadRequest},
		{"seconds over the bound", wire.PathDebugPprof + "profile?seconds=61", http.StatusBadRequest, wire.CodeBadRequest},
		{"no such profile", wire.PathDebugPprof + "nosuch", http.StatusNotFound, wire.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := c.do(t, "GET", tc.path, "")
			wantError(t, status, ctype, body, tc.status, tc.code)
		})
	}
}
