package wire_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"chatd/wire"
)

// TestResultStatusBytes pins every failure kind's status byte in a Result
// frame: they are wire format.
func TestResultStatusBytes(t *testing.T) {
	want := map[wire.ErrorCode]byte{
		wire.CodeTaskFailed: 1, wire.CodeTimeout: 3, wire.CodeOverloaded: 4, wire.CodeNotFound: 5,
		wire.CodeBadRequest: 7, wire.CodeUnavailable: 8, wire.CodeNoProcess: 9, wire.CodeMailboxFull: 10,
		wire.CodeNoConnection: 11, wire.CodeCookieMismatch: 12, wire.CodeForbidden: 13, wire.CodeInternal: 14,
	}
	if len(wire.Codes()) != len(want) {
		t.Fatalf("%d failure kinds, %d pinned here: pin the new one's status byte", len(wire.Codes()), len(want))
	}
	for _, code := range wire.Codes() {
		b, ok := want[code]
		if !ok {
			t.Errorf("%s: no status byte pinned", code)
			continue
		}
		p := wire.AppendResult(nil, wire.Result{ID: 1, Code: code})
		if p[8] != b {
			t.Errorf("%s: status byte %d, want %d", code, p[8], b)
		}
		r, err := wire.ParseResult(p)
		if err != nil || r.Code != code {
			t.Errorf("%s: ParseResult = %+v, %v", code, r, err)
		}
	}
}

// TestResultLegacyStatuses reads the first release's panic (2) and
// cancelled (6) statuses, and an unknown one, as kinds.
func TestResultLegacyStatuses(t *testing.T) {
	for _, tc := range []struct {
		status byte
		want   wire.ErrorCode
	}{
		{0, ""},
		{2, wire.CodeTaskFailed},
		{6, wire.CodeTimeout},
		{0xee, wire.CodeInternal},
	} {
		r, err := wire.ParseResult([]byte{0, 0, 0, 0, 0, 0, 0, 1, tc.status})
		if err != nil || r.Code != tc.want {
			t.Errorf("status %d: %+v, %v; want code %q", tc.status, r, err, tc.want)
		}
	}
}

func TestFailureTable(t *testing.T) {
	seen := map[wire.ErrorCode]bool{}
	for _, code := range wire.Codes() {
		if seen[code] {
			t.Errorf("%s listed twice", code)
		}
		seen[code] = true
		if !code.Known() || code.Meaning() == "" {
			t.Errorf("%s: known %v, meaning %q", code, code.Known(), code.Meaning())
		}
		if s := code.HTTPStatus(); s < 400 || s > 599 {
			t.Errorf("%s: HTTP status %d", code, s)
		}
	}
	if wire.ErrorCode("no_such_kind").Known() {
		t.Error("an unlisted code is known")
	}
	if got := wire.ErrorCode("no_such_kind").HTTPStatus(); got != http.StatusInternalServerError {
		t.Errorf("unlisted code: HTTP %d", got)
	}
}

func TestCodeOf(t *testing.T) {
	sentinel := wire.NewError(wire.CodeNoProcess, "no such process")
	for _, tc := range []struct {
		name string
		err  error
		want wire.ErrorCode
	}{
		{"nil", nil, ""},
		{"plain", errors.New("boom"), wire.CodeInternal},
		{"deadline", fmt.Errorf("wait: %w", context.DeadlineExceeded), wire.CodeTimeout},
		{"sentinel", sentinel, wire.CodeNoProcess},
		{"wrapped sentinel", fmt.Errorf("send to <a@b.1.2>: %w", sentinel), wire.CodeNoProcess},
		{"outermost wins", wire.Errorf(wire.CodeTaskFailed, "reply failed: %w", sentinel), wire.CodeTaskFailed},
		{"with code", wire.WithCode(wire.CodeBadRequest, errors.New("x")), wire.CodeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := wire.CodeOf(tc.err); got != tc.want {
				t.Errorf("CodeOf(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
	if !errors.Is(wire.Errorf(wire.CodeTaskFailed, "x: %w", sentinel), sentinel) {
		t.Error("Errorf does not wrap")
	}
	if wire.WithCode(wire.CodeInternal, nil) != nil {
		t.Error("WithCode(nil) is not nil")
	}
}
