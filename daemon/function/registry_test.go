package function_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"chatd/daemon/function"
)

func TestLookup(t *testing.T) {
	r := function.Builtins()
	for _, tc := range []struct {
		name    string
		fn      string
		wantErr error
	}{
		{"echo", "echo", nil},
		{"sleep", "sleep", nil},
		{"crash", "crash", nil},
		{"say_name", "say_name", nil},
		{"receive_message", "receive_message", nil},
		{"unknown", "no_such_function", function.ErrUnknown},
		{"empty", "", function.ErrUnknown},
		{"case matters", "Echo", function.ErrUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := r.Lookup(tc.fn)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Lookup(%q): err = %v, want %v", tc.fn, err, tc.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.fn)) || !strings.Contains(err.Error(), "chatctl functions") {
					t.Errorf("error %q should quote the name and point at chatctl functions", err)
				}
				if f.Run != nil {
					t.Errorf("Lookup returned a function with its error")
				}
				return
			}
			if f.Name != tc.fn || f.Run == nil || f.Summary == "" {
				t.Fatalf("Lookup(%q) = %+v", tc.fn, f)
			}
		})
	}
}

func TestList(t *testing.T) {
	got := function.Builtins().List()
	var names []string
	for _, f := range got {
		names = append(names, f.Name)
		if f.Summary == "" {
			t.Errorf("%s has no summary", f.Name)
		}
	}
	want := []string{"crash", "echo", "receive_message", "reply", "say_name", "sleep"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("List names = %v, want %v (sorted)", names, want)
	}
	// Sorted whatever order the registry was built in.
	r := function.NewRegistry(function.Func{Name: "b"}, function.Func{Name: "c"}, function.Func{Name: "a"})
	if l := r.List(); len(l) != 3 || l[0].Name != "a" || l[1].Name != "b" || l[2].Name != "c" {
		t.Fatalf("List = %+v, want a b c", l)
	}
	if l := function.NewRegistry().List(); l == nil || len(l) != 0 {
		t.Fatalf("empty registry List = %#v, want an empty non-nil slice (JSON [])", l)
	}
}

func TestCheckArgs(t *testing.T) {
	r := function.Builtins()
	for _, tc := range []struct {
		name     string
		fn       string
		args     []string
		wantErr  bool
		synopsis string
	}{
		{"echo none", "echo", nil, false, ""},
		{"echo many", "echo", make([]string, 100), false, ""},
		{"sleep none", "sleep", nil, true, "DURATION"},
		{"sleep one", "sleep", []string{"1s"}, false, ""},
		{"sleep two", "sleep", []string{"1s", "2s"}, true, "DURATION"},
		{"crash none", "crash", nil, false, ""},
		{"crash one", "crash", []string{"x"}, true, "no arguments"},
		{"say_name one", "say_name", []string{"x"}, true, "no arguments"},
		{"receive_message none", "receive_message", nil, true, "TEXT"},
		{"receive_message one", "receive_message", []string{"hi"}, false, ""},
		{"receive_message two", "receive_message", []string{"hi", "there"}, true, "TEXT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := r.Lookup(tc.fn)
			if err != nil {
				t.Fatal(err)
			}
			err = f.CheckArgs(tc.args)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("CheckArgs(%d args): %v", len(tc.args), err)
				}
				return
			}
			if !errors.Is(err, function.ErrBadArgs) {
				t.Fatalf("CheckArgs(%d args) = %v, want ErrBadArgs", len(tc.args), err)
			}
			want := fmt.Sprintf("%s takes %s, got %d argument(s)", tc.fn, tc.synopsis, len(tc.args))
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not say %q", err, want)
			}
		})
	}
}

func TestCheckArgsBounds(t *testing.T) {
	f := function.Func{Name: "two_to_three", Args: "A B [C]", MinArgs: 2, MaxArgs: 3}
	for n, wantOK := range []bool{false, false, true, true, false} {
		t.Run(fmt.Sprintf("%d args", n), func(t *testing.T) {
			if err := f.CheckArgs(make([]string, n)); (err == nil) != wantOK {
				t.Fatalf("CheckArgs(%d args) = %v, want ok %v", n, err, wantOK)
			}
		})
	}
}

func TestNewRegistryDuplicatePanics(t *testing.T) {
	defer func() {
		v := recover()
		if v == nil || !strings.Contains(fmt.Sprint(v), "duplicate name echo") {
			t.Fatalf("recover() = %v, want a panic naming echo", v)
		}
	}()
	run := func(context.Context, *function.Env, []string) (string, error) { return "", nil }
	function.NewRegistry(function.Func{Name: "echo", Run: run}, function.Func{Name: "sleep", Run: run}, function.Func{Name: "echo", Run: run})
}

func TestNewMessageID(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := function.NewMessageID()
		if !hexID.MatchString(id) {
			t.Fatalf("NewMessageID() = %q, want 16 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("NewMessageID() repeated %q", id)
		}
		seen[id] = true
	}
}
