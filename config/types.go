package config

import (
	"encoding"
	"fmt"
	"reflect"
	"time"

	"github.com/BurntSushi/toml"
)

// valueKind is what a key of the schema holds, in terms of TOML's types.
type valueKind int

const (
	// kindUnsupported is a Go type the checks below do not know; the
	// schema has none (TestSchemaKinds), so adding one fails a test.
	kindUnsupported valueKind = iota
	kindTable                 // a struct: a [table] or an inline table
	kindInteger               // an int of any size
	kindFloat                 // a float, or an integer
	kindString                // a string
	kindBool                  // a boolean
	kindText                  // a type that decodes itself from text, like Duration
)

// kindOf returns the kind of the Go type t as toml's decoder fills it.
func kindOf(t reflect.Type) valueKind {
	if t == reflect.TypeFor[time.Duration]() {
		return kindUnsupported // toml takes a string or an integer for it
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return kindText
	}
	switch t.Kind() {
	case reflect.Struct:
		return kindTable
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kindInteger
	case reflect.Float32, reflect.Float64:
		return kindFloat
	case reflect.String:
		return kindString
	case reflect.Bool:
		return kindBool
	}
	return kindUnsupported
}

// The TOML types as toml.MetaData.Type names them (TestTOMLTypeNames pins
// the names the library uses).
const (
	tomlInteger       = "Integer"
	tomlFloat         = "Float"
	tomlDatetime      = "Datetime"
	tomlString        = "String"
	tomlBool          = "Bool"
	tomlArray         = "Array"
	tomlTable         = "Hash"
	tomlArrayOfTables = "ArrayHash"
)

// accepts reports whether toml's decoder stores a value of the TOML type
// t into a key of kind k.
func (k valueKind) accepts(t string) bool {
	switch k {
	case kindTable:
		return t == tomlTable
	case kindInteger:
		return t == tomlInteger
	case kindFloat:
		return t == tomlFloat || t == tomlInteger
	case kindString:
		return t == tomlString
	case kindBool:
		return t == tomlBool
	case kindText:
		return t == tomlString || t == tomlInteger || t == tomlFloat || t == tomlBool || t == tomlDatetime
	}
	return true // unknown to these checks: left to the decoder
}

// want names what a key of kind k takes, as a user would say it.
func (k valueKind) want() string {
	switch k {
	case kindTable:
		return "a table"
	case kindInteger:
		return "an integer"
	case kindFloat:
		return "a float"
	case kindBool:
		return "a boolean"
	}
	return "a string"
}

// typeName names the TOML type t as a user would say it.
func typeName(t string) string {
	switch t {
	case tomlInteger:
		return "an integer"
	case tomlFloat:
		return "a float"
	case tomlDatetime:
		return "a date"
	case tomlString:
		return "a string"
	case tomlBool:
		return "a boolean"
	case tomlArray, tomlArrayOfTables:
		return "an array"
	case tomlTable:
		return "a table"
	}
	return t
}

// checkTypes returns an error for the first key of the file, in file
// order, whose value has a TOML type its place in the schema cannot hold:
// "link.max_frame: want an integer, not a string". Keys the schema does
// not know are left to checkKey.
func (l *fileLoader) checkTypes() error {
	for _, key := range l.md.Keys() {
		if at, msg := typeMismatch(l.schema, key, l.md.Type); msg != "" {
			return l.errAt(at, nil, "%s: %s", toml.Key(at).String(), msg)
		}
	}
	return nil
}

// typeMismatch walks key down schema, checking the TOML type of every
// place on the way; typeOf names a place's type ("" for a table that only
// a dotted key below it creates). It returns the first place of the wrong
// type and what is wrong, or a nil place when every type fits.
func typeMismatch(schema []field, key []string, typeOf func(key ...string) string) (at []string, msg string) {
	fields := schema
	for i, piece := range key {
		at = key[:i+1]
		t := typeOf(at...)
		if t == "" {
			t = tomlTable
		}
		if i < 2 && (key[0] == sectionEnvironments || key[0] == sectionNodes) {
			switch {
			case t == tomlTable:
			case i == 0:
				return at, fmt.Sprintf("want a table of sections like [%s.%s]", key[0], exampleSection(key[0]))
			default:
				return at, "want a table, not " + typeName(t)
			}
			continue
		}
		f, ok := findField(fields, piece)
		if !ok {
			return nil, ""
		}
		if !f.kind.accepts(t) {
			return at, fmt.Sprintf("want %s, not %s", f.kind.want(), typeName(t))
		}
		if f.table == nil {
			return nil, ""
		}
		fields = f.table
	}
	return nil, ""
}

// exampleSection names a section of root for a message.
func exampleSection(root string) string {
	if root == sectionEnvironments {
		return EnvTest
	}
	return "alex"
}
