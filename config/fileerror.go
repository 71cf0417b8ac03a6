package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// errAt returns an error located at key in the file.
func (l *fileLoader) errAt(key []string, cause error, format string, args ...any) error {
	return &fileError{msg: l.where(key) + ": " + fmt.Sprintf(format, args...), cause: cause}
}

// syntaxErr reports text toml could not parse: the line, then toml's
// description of what it found.
func (l *fileLoader) syntaxErr(err error) error {
	pe, ok := errors.AsType[toml.ParseError](err)
	if !ok {
		return &fileError{msg: fmt.Sprintf("%s: %v", l.file, err), cause: err}
	}
	return &fileError{msg: fmt.Sprintf("%s:%d: %s", l.file, errorLine(l.text, pe.Position), pe.Message), cause: err}
}

// errorLine returns the line of a syntax error: the line holding the byte
// toml points at. When that byte is a newline (a line that ends too
// soon), toml counts the next line; the mistake is on the line the
// newline ends.
func errorLine(text string, pos toml.Position) int {
	if pos.Start < 0 || pos.Start >= len(text) || text[pos.Start] != '\n' {
		return pos.Line
	}
	return strings.Count(text[:pos.Start], "\n") + 1
}

// valueErr reports an error decoding a value: toml wraps the error of a
// value's UnmarshalText (a bad duration) in a ParseError naming the key.
func (l *fileLoader) valueErr(err error) error {
	pe, ok := errors.AsType[toml.ParseError](err)
	if !ok {
		return &fileError{msg: fmt.Sprintf("%s: %v", l.file, err), cause: err}
	}
	if pe.Position.Line > 0 {
		return &fileError{msg: fmt.Sprintf("%s:%d: %s: %s", l.file, pe.Position.Line, pe.LastKey, pe.Message), cause: err}
	}
	return l.errAt(splitKey(pe.LastKey), err, "%s: %s", pe.LastKey, pe.Message)
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
