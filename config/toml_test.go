package config

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// The tests in this file run BurntSushi/toml itself and pin what config
// relies on beyond its documented API: the type names MetaData.Type
// returns, where a ParseError points, and the texts of the syntax errors
// users see. When one fails after a library upgrade, the failure says
// what to update.

// TestTOMLTypeNames pins the names MetaData.Type gives each TOML type;
// checkTypes compares them with the toml* constants in types.go.
func TestTOMLTypeNames(t *testing.T) {
	const text = `i = 1
f = 1.5
d = 1979-05-27
s = "x"
b = true
a = [1]
[h]
[[ah]]
`
	var raw map[string]any
	md, err := toml.Decode(text, &raw)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"i": tomlInteger, "f": tomlFloat, "d": tomlDatetime, "s": tomlString,
		"b": tomlBool, "a": tomlArray, "h": tomlTable, "ah": tomlArrayOfTables}
	for key, name := range want {
		if got := md.Type(key); got != name {
			t.Errorf("toml now names the type of %q %q, not %q: update the toml* constants in types.go", key, got, name)
		}
	}
	if v, ok := raw["i"].(int64); !ok || v != 1 {
		t.Errorf("toml decoded the integer 1 into an any as %T %v, not int64: update the version check in decodeTop", raw["i"], raw["i"])
	}
}

// TestTOMLSyntaxErrors pins the messages and positions of toml's syntax
// errors that TestLoadErrors shows to users; errorLine relies on the
// position of a line that ends too soon being its newline.
func TestTOMLSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, text string
		msg        string
		start      int // the byte the error points at
	}{
		{"unterminated table header", "host = \"a\"\n\n[link\ntick = 1\n",
			`expected '.' or ']' to end table name, but got '\n' instead`, 17},
		{"duplicate key", "host = \"a\"\nhost = \"b\"\n",
			`Key 'host' has already been defined.`, 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var raw map[string]any
			_, err := toml.Decode(tc.text, &raw)
			pe, ok := errors.AsType[toml.ParseError](err)
			if !ok {
				t.Fatalf("toml.Decode returned %T %v, want a toml.ParseError: update syntaxErr", err, err)
			}
			if pe.Message != tc.msg {
				t.Errorf("toml rewords the error:\ngot  %s\nwant %s\nupdate this test and the same case in TestLoadErrors", pe.Message, tc.msg)
			}
			if pe.Position.Start != tc.start {
				t.Errorf("toml points the error at byte %d (line %d), not %d: check errorLine", pe.Position.Start, pe.Position.Line, tc.start)
			}
		})
	}
}

// TestTOMLValueErrors pins that toml passes a value's UnmarshalText error
// on in a ParseError with the key and its line, which valueErr reports.
func TestTOMLValueErrors(t *testing.T) {
	var c Config
	_, err := toml.Decode("\n[link]\ntick = \"fast\"\n", &c)
	pe, ok := errors.AsType[toml.ParseError](err)
	if !ok {
		t.Fatalf("toml.Decode returned %T %v, want a toml.ParseError: update valueErr", err, err)
	}
	var d Duration
	wantMsg, wantKey, wantLine := d.UnmarshalText([]byte("fast")).Error(), "link.tick", 3
	if pe.Message != wantMsg || pe.LastKey != wantKey || pe.Position.Line != wantLine {
		t.Errorf("toml reports the bad duration as message %q, key %q, line %d; want %q, %q, %d: update valueErr",
			pe.Message, pe.LastKey, pe.Position.Line, wantMsg, wantKey, wantLine)
	}
}

// TestSchemaKinds checks that checkTypes knows the kind of every key of
// the schema; a new Go type in Config needs a case in kindOf.
func TestSchemaKinds(t *testing.T) {
	var walk func(fields []field, prefix string)
	walk = func(fields []field, prefix string) {
		for _, f := range fields {
			if f.kind == kindUnsupported {
				t.Errorf("%s%s: kindOf does not know its Go type; add it to kindOf and valueKind.accepts", prefix, f.name)
			}
			walk(f.table, prefix+f.name+".")
		}
	}
	walk(schemaOf(reflect.TypeFor[Config]()), "")
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		want valueKind
	}{
		{"struct", reflect.TypeFor[Link](), kindTable},
		{"int", reflect.TypeFor[int](), kindInteger},
		{"uint16", reflect.TypeFor[uint16](), kindInteger},
		{"float64", reflect.TypeFor[float64](), kindFloat},
		{"string", reflect.TypeFor[string](), kindString},
		{"bool", reflect.TypeFor[bool](), kindBool},
		{"Duration", reflect.TypeFor[Duration](), kindText},
		{"time.Duration", reflect.TypeFor[time.Duration](), kindUnsupported},
		{"slice", reflect.TypeFor[[]string](), kindUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := kindOf(tc.typ); got != tc.want {
				t.Errorf("kindOf(%s) = %d, want %d", tc.typ, got, tc.want)
			}
		})
	}
}
