// Package testkit holds the helpers every test of chatd shares: the
// goroutine-leak check of a package's tests, waiting for a condition with a
// bound (never a fixed sleep), contexts bounded to a test, node names, the
// test cookie and hex test vectors.
package testkit

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"chatd/wire"

	"go.uber.org/goleak"
)

// Main is a package's TestMain: it runs the tests, then fails them if a
// goroutine they started is still running.
func Main(m *testing.M) { goleak.VerifyTestMain(m) }

// Wait bounds every wait in unit tests; it is a guard, never a clock.
const Wait = 10 * time.Second

// Cookie is the cookie test nodes share.
const Cookie = "secret-cookie-0123456789"

// poll is how often a condition is checked.
const poll = 5 * time.Millisecond

// WaitFor polls cond until it holds, failing the test after d; it returns
// how long that took.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(poll)
	}
	return time.Since(start)
}

// WaitForNil polls cond until it returns nil, failing the test with its
// last error after d.
func WaitForNil(t testing.TB, d time.Duration, what string, cond func() error) {
	t.Helper()
	start := time.Now()
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v: %v", what, d, err)
		}
		time.Sleep(poll)
	}
}

// Ctx returns a context that ends after d or when the test ends.
func Ctx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Name parses a full node name, failing the test when it is not one.
func Name(t testing.TB, s string) wire.NodeName {
	t.Helper()
	n, err := wire.ParseNodeName(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Unhex turns a test vector written as spaced hex, such as "77 02 6f6b",
// into bytes. A vector is a literal of the test, so bad hex panics.
func Unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(fmt.Sprintf("test vector %q: %v", s, err))
	}
	return b
}
