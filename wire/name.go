package wire

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultHost is the host part given to a bare node name when no other
// host is configured.
const DefaultHost = "localhost"

// MaxNameLen is the longest name part of a node name.
const MaxNameLen = 64

// MaxHostLen is the longest host part of a node name (a DNS name).
const MaxHostLen = 253

// ErrBadName is wrapped by every node-name validation error.
var ErrBadName = NewError(CodeBadRequest, "bad node name")

// NodeName is a node's full name, name@host, as in Erlang's alex@localhost.
type NodeName struct {
	// Name is the part before the @: [A-Za-z0-9_-]{1,64}.
	Name string
	// Host is the part after the @.
	Host string
}

// String returns name@host.
func (n NodeName) String() string { return n.Name + "@" + n.Host }

// IsZero reports whether n is the zero NodeName.
func (n NodeName) IsZero() bool { return n.Name == "" && n.Host == "" }

// ParseNodeName parses "name" or "name@host". A bare name gets defaultHost
// (DefaultHost when empty). The error says what is wrong and what is
// accepted.
func ParseNodeName(s, defaultHost string) (NodeName, error) {
	if defaultHost == "" {
		defaultHost = DefaultHost
	}
	name, host, found := strings.Cut(s, "@")
	if !found {
		host = defaultHost
	}
	n := NodeName{Name: name, Host: host}
	if err := n.Validate(); err != nil {
		return NodeName{}, err
	}
	return n, nil
}

// Validate checks both parts of n.
func (n NodeName) Validate() error {
	if err := ValidateName(n.Name); err != nil {
		return err
	}
	return ValidateHost(n.Host)
}

// ValidateName checks the name part of a node name.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: the name part is empty (want name@host, name is [A-Za-z0-9_-]{1,%d})", ErrBadName, MaxNameLen)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: name %.20q... is %d bytes long, the limit is %d", ErrBadName, name, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if !isNameByte(name[i]) {
			return fmt.Errorf("%w: %q has %s at offset %d; a name may only hold letters, digits, '_' and '-'", ErrBadName, name, charAt(name, i), i)
		}
	}
	return nil
}

// ValidateHost checks the host part of a node name: a DNS name or an IPv4
// address made of letters, digits, '-', '_' and '.'.
func ValidateHost(host string) error {
	if host == "" {
		return fmt.Errorf("%w: the host part is empty (want name@host)", ErrBadName)
	}
	if len(host) > MaxHostLen {
		return fmt.Errorf("%w: host is %d bytes long, the limit is %d", ErrBadName, len(host), MaxHostLen)
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !isNameByte(c) && c != '.' {
			return fmt.Errorf("%w: host %q has %s at offset %d; a host may only hold letters, digits, '-', '_' and '.'", ErrBadName, host, charAt(host, i), i)
		}
	}
	if host[0] == '.' || host[len(host)-1] == '.' || strings.Contains(host, "..") {
		return fmt.Errorf("%w: host %q has an empty label", ErrBadName, host)
	}
	return nil
}

// charAt quotes the character starting at byte offset i of s: the whole
// rune when s holds valid UTF-8 there ('é', not the 'Ã' of its first byte),
// else the byte in hex.
func charAt(s string, i int) string {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02x", s[i])
	}
	return fmt.Sprintf("%q", r)
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
