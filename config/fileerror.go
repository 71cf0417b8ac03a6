package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// errAt returns an error located at key in the file.
func (l *fileLoader) errAt(key []string, cause error, format string, args ...any) error {
	return &fileError{msg: l.where(key) + ": " + fmt.Sprintf(format, args...), cause: cause}
}

// mdErr matches the plain errors toml's decoder returns for type
// mismatches: toml: line 3 (last key "link.max_frame"): incompatible ...
var mdErr = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key ("(?:[^"\\]|\\.)*")\): (.*)$`)

// decodeErr turns an error of toml's decoder into one that names the file,
// the line and the key.
func (l *fileLoader) decodeErr(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		if len(l.md.Keys()) == 0 { // the text did not parse: a syntax error
			line := pe.Position.Line
			if strings.HasSuffix(pe.Message, `got '\n' instead`) && line > 1 {
				line-- // toml reports an unexpected end of line on the next line
			}
			return &fileError{msg: fmt.Sprintf("%s:%d: %s", l.file, line, pe.Message), cause: err}
		}
		key := splitKey(pe.LastKey)
		if pe.Position.Line > 0 {
			return &fileError{msg: fmt.Sprintf("%s:%d: %s: %s", l.file, pe.Position.Line, pe.LastKey, pe.Message), cause: err}
		}
		return l.errAt(key, err, "%s: %s", pe.LastKey, pe.Message)
	}
	if m := mdErr.FindStringSubmatch(err.Error()); m != nil {
		last, uerr := strconv.Unquote(m[2])
		if uerr == nil {
			msg := typeMsg(m[3])
			if m[1] != "" {
				return &fileError{msg: fmt.Sprintf("%s:%s: %s: %s", l.file, m[1], last, msg), cause: err}
			}
			return l.errAt(splitKey(last), err, "%s: %s", last, msg)
		}
	}
	return &fileError{msg: fmt.Sprintf("%s: %s", l.file, strings.TrimPrefix(err.Error(), "toml: ")), cause: err}
}

// Type mismatches as toml's decoder words them.
var (
	incompatibleType = regexp.MustCompile(`^incompatible types: TOML value has type (.+); destination has type (.+)$`)
	notATable        = regexp.MustCompile(`^type mismatch for .+: expected table but found (.+)$`)
)

// typeMsg rewords a type mismatch reported by toml's decoder as
// "want an integer, not a string".
func typeMsg(msg string) string {
	if m := incompatibleType.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("want %s, not %s", typeName(m[2]), typeName(m[1]))
	}
	if m := notATable.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("want a table, not %s", typeName(m[1]))
	}
	return msg
}

// typeName names a TOML or Go type the way a user would.
func typeName(t string) string {
	switch t {
	case "integer", "int64":
		return "an integer"
	case "float", "float64":
		return "a float"
	case "string", "primitive (string-like)":
		return "a string"
	case "boolean", "bool":
		return "a boolean"
	case "time.Time":
		return "a date"
	case "map":
		return "a table"
	}
	switch {
	case strings.HasPrefix(t, "map["):
		return "a table"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	}
	return t
}

// splitKey splits toml's dotted rendering of a key back into pieces.
func splitKey(s string) []string {
	key, rest, ok := parseKey(s)
	if !ok || rest != "" {
		return strings.Split(s, ".")
	}
	return key
}

// fileError is an error in the config file; its text starts with
// "file:line: ".
type fileError struct {
	msg   string
	cause error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.cause }
