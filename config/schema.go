package config

import (
	"fmt"
	"reflect"
	"strings"

	"chatd/wire"
)

// Section roots of the config file besides its top level.
const (
	sectionEnvironments = "environments"
	sectionNodes        = "nodes"
)

// field is one key of the file's schema.
type field struct {
	name  string
	kind  valueKind // what the key holds; kindTable when table is set
	table []field   // the keys of a table; nil for a value
}

// schemaOf lists the TOML keys of the struct type t in field order,
// following the toml tags; a nested struct is a table unless it decodes
// itself from text.
func schemaOf(t reflect.Type) []field {
	var fields []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := field{name: name, kind: kindOf(sf.Type)}
		if f.kind == kindTable {
			f.table = schemaOf(sf.Type)
		}
		fields = append(fields, f)
	}
	return fields
}

// keyError is a problem with one key of the file. The key is the full
// dotted path as written in the file.
type keyError struct {
	key []string
	msg string
}

// checkKey checks that a key the file defines is part of the schema:
// settings at the top level, in [environments.<env>] and in
// [nodes.<name>]. Keys that continue below a value are left to the decoder,
// which reports the type mismatch.
func checkKey(schema []field, key []string) *keyError {
	root := key[0]
	if root != sectionEnvironments && root != sectionNodes {
		return checkSetting(schema, key, 0, "")
	}
	if len(key) < 2 {
		return nil
	}
	section := fmt.Sprintf("[%s.%s]", root, quoteKeyPiece(key[1]))
	if err := checkSectionName(root, key[1]); err != "" {
		return &keyError{key: key[:2], msg: fmt.Sprintf("bad section %s: %s", section, err)}
	}
	if len(key) < 3 {
		return nil
	}
	switch key[2] {
	case "environment", "version":
		return &keyError{key: key[:3], msg: fmt.Sprintf("%q cannot be set in %s, only at the top level of the file", key[2], section)}
	}
	return checkSetting(schema, key, 2, section)
}

// checkSectionName checks the name of an [environments.X] or [nodes.X]
// section and returns what is wrong with it, or "".
func checkSectionName(root, name string) string {
	if root == sectionEnvironments {
		if !isEnvironment(name) {
			return fmt.Sprintf("%q is not an environment: want %s, %s or %s", name, EnvDev, EnvTest, EnvProd)
		}
		return ""
	}
	if err := wire.ValidateName(name); err != nil {
		return err.Error()
	}
	return ""
}

// checkSetting walks key[from:] down schema. section names the enclosing
// [environments.X] or [nodes.X] section, "" at the top level.
func checkSetting(schema []field, key []string, from int, section string) *keyError {
	fields := schema
	for i := from; i < len(key); i++ {
		f, ok := findField(fields, key[i])
		if !ok {
			return &keyError{key: key[:i+1], msg: unknownKeyMsg(fields, key, from, i, section)}
		}
		if f.table == nil {
			return nil
		}
		fields = f.table
	}
	return nil
}

func findField(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// unknownKeyMsg explains that key[i] is unknown and lists the keys that
// are known at that place.
func unknownKeyMsg(fields []field, key []string, from, i int, section string) string {
	shown := strings.Join(quoteKey(key[:i+1]), ".")
	if i == from && key[i] == "name" {
		return fmt.Sprintf("unknown key %q: the node name comes from --name or CHATD_NAME, not from the file", shown)
	}
	var values, tables []string
	for _, f := range fields {
		if i == from && section != "" && (f.name == "environment" || f.name == "version") {
			continue // top level only
		}
		if f.table == nil {
			values = append(values, f.name)
		} else {
			tables = append(tables, "["+f.name+"]")
		}
	}
	where := "[" + strings.Join(quoteKey(key[from:i]), ".") + "]"
	if i == from {
		where = "at the top level"
		if section != "" {
			where = "in " + section
		}
		if section == "" {
			tables = append(tables, "[environments.<env>]", "[nodes.<name>]")
		}
		return fmt.Sprintf("unknown key %q (known keys %s: %s; tables: %s)",
			shown, where, strings.Join(values, ", "), strings.Join(tables, ", "))
	}
	return fmt.Sprintf("unknown key %q (known keys in %s: %s)", shown, where, strings.Join(values, ", "))
}

// quoteKey returns the pieces of key, each quoted when TOML requires it.
func quoteKey(key []string) []string {
	out := make([]string, len(key))
	for i, p := range key {
		out[i] = quoteKeyPiece(p)
	}
	return out
}

func quoteKeyPiece(p string) string {
	if p == "" {
		return `""`
	}
	for i := 0; i < len(p); i++ {
		if !isBareKeyByte(p[i]) {
			return quoteString(p)
		}
	}
	return p
}

// quoteString writes s as a TOML basic string.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func isEnvironment(env string) bool {
	return env == EnvDev || env == EnvTest || env == EnvProd
}
