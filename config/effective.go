package config

import (
	"fmt"
	"reflect"
	"strings"

	"chatd/paths"
)

// Effective renders the effective settings as TOML for `chatd check`,
// with comments naming the node, the file read and where the cookie comes
// from. It never contains the cookie itself. getenv and uid locate the
// cookie as LoadCookie would. Apart from its comments, the text decodes
// back to c (Name and File aside).
func (c Config) Effective(getenv paths.Getenv, uid int) string {
	var b strings.Builder
	node := c.NodeName().String()
	if c.Name == "" {
		node = "(no name)@" + c.Host
	}
	fmt.Fprintf(&b, "# effective configuration of %s\n", node)
	if c.File != "" {
		fmt.Fprintf(&b, "# config file: %s\n", c.File)
	} else {
		b.WriteString("# config file: none (defaults, environment variables and flags only)\n")
	}
	comments := map[string]string{"cookie_file": c.cookieComment(getenv, uid)}
	if c.Responder.Reply == "" {
		comments["responder.reply"] = "empty: the responder is off"
	}
	if c.Tasks.Placement == PlacementLocal {
		comments["tasks.placement"] = "every call and send runs on this node, whatever node it names"
	}
	if c.Metrics.Listen == "" {
		comments["metrics.listen"] = "empty: GET /metrics on the control socket only"
	}
	writeTable(&b, reflect.ValueOf(c), "", comments)
	return b.String()
}

// cookieComment says where LoadCookie would take the cookie from.
func (c Config) cookieComment(getenv paths.Getenv, uid int) string {
	path, kind, err := cookieSource(c, getenv, uid)
	switch {
	case err != nil:
		return err.Error()
	case kind == cookieCredential:
		return "overridden by the systemd credential " + path
	case kind == cookieGenerated:
		return "(generated in " + path + ")"
	}
	return ""
}

// writeTable writes the values of the struct v, then its tables, each
// under a [prefix.name] header. comments are keyed by dotted key.
func writeTable(b *strings.Builder, v reflect.Value, prefix string, comments map[string]string) {
	fields := schemaOf(v.Type())
	for _, f := range fields {
		if f.table != nil {
			continue
		}
		key := joinKey(prefix, f.name)
		line := f.name + " = " + renderValue(fieldByTag(v, f.name))
		if c := comments[key]; c != "" {
			line += "  # " + c
		}
		b.WriteString(line + "\n")
	}
	for _, f := range fields {
		if f.table == nil {
			continue
		}
		key := joinKey(prefix, f.name)
		fmt.Fprintf(b, "\n[%s]\n", key)
		writeTable(b, fieldByTag(v, f.name), key, comments)
	}
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// fieldByTag returns the field of struct v whose toml tag (or name) is name.
func fieldByTag(v reflect.Value, name string) reflect.Value {
	t := v.Type()
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if tag == name || tag == "" && t.Field(i).Name == name {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

// renderValue writes one value as TOML: Durations as strings ("15s").
func renderValue(v reflect.Value) string {
	if d, ok := v.Interface().(Duration); ok {
		return quoteString(d.String())
	}
	switch v.Kind() {
	case reflect.String:
		return quoteString(v.String())
	case reflect.Bool:
		return fmt.Sprint(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprint(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprint(v.Uint())
	case reflect.Float32, reflect.Float64:
		return fmt.Sprint(v.Float())
	}
	return quoteString(fmt.Sprint(v.Interface()))
}
