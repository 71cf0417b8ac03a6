package config

import (
	"strings"
)

// locateKey returns the 1-based line of text on which key is defined, or 0
// when it cannot tell. BurntSushi/toml keeps key positions private, so this
// re-scans the text, which is enough for error messages.
//
// A key is found when it is written out in full: under a [table] or
// [[array]] header, as a dotted key (tasks.placement = ...), or as a header
// itself ([environments.test]). Failing that, the first line that defines
// a key under it ([linkk] for "linkk.x", linkk.x = 1 for "linkk") or a
// value holding it (link = { tick = "1s" } for "link.tick") is returned.
func locateKey(text string, key []string) int {
	if len(key) == 0 {
		return 0
	}
	var (
		table     []string // the current [table] header
		multiline string   // the closing delimiter of an open multi-line string
		fallback  int
	)
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		if multiline != "" {
			if strings.Contains(line, multiline) {
				multiline = ""
			}
			continue
		}
		s := strings.TrimLeft(line, " \t")
		if s == "" || s[0] == '#' {
			continue
		}
		if s[0] == '[' {
			s = strings.TrimPrefix(s[1:], "[")
			path, _, ok := parseKey(s)
			if !ok {
				continue
			}
			table = path
			if equalKey(path, key) {
				return n
			}
			if fallback == 0 && hasPrefix(path, key) {
				fallback = n
			}
			continue
		}
		path, rest, ok := parseKey(s)
		if !ok {
			continue
		}
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		full := append(append([]string(nil), table...), path...)
		switch {
		case equalKey(full, key):
			return n
		case fallback == 0 && (hasPrefix(full, key) || hasPrefix(key, full)):
			fallback = n
		}
		multiline = openMultiline(strings.TrimLeft(rest[1:], " \t"))
	}
	return fallback
}

// parseKey reads a possibly dotted, possibly quoted TOML key from the start
// of s. It returns the key's pieces and the text after it.
func parseKey(s string) (key []string, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return nil, "", false
		}
		var piece string
		switch s[0] {
		case '"':
			piece, s, ok = parseBasicString(s[1:])
		case '\'':
			end := strings.IndexByte(s[1:], '\'')
			if ok = end >= 0; ok {
				piece, s = s[1:1+end], s[2+end:]
			}
		default:
			end := 0
			for end < len(s) && isBareKeyByte(s[end]) {
				end++
			}
			if ok = end > 0; ok {
				piece, s = s[:end], s[end:]
			}
		}
		if !ok {
			return nil, "", false
		}
		key = append(key, piece)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return key, s, true
		}
		s = s[1:]
	}
}

// parseBasicString reads the rest of a "..." string whose opening quote is
// already consumed, resolving the common escapes.
func parseBasicString(s string) (str, rest string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			if i+1 == len(s) {
				return "", "", false
			}
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e) // \" \\ and, approximately, the rest
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// openMultiline returns the closing delimiter when value opens a multi-line
// string that does not end on the same line, else "".
func openMultiline(value string) string {
	for _, delim := range []string{`"""`, `'''`} {
		if strings.HasPrefix(value, delim) && !strings.Contains(value[3:], delim) {
			return delim
		}
	}
	return ""
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func equalKey(a, b []string) bool {
	return len(a) == len(b) && hasPrefix(a, b)
}

// hasPrefix reports whether prefix is a leading part of key (or all of it).
func hasPrefix(key, prefix []string) bool {
	if len(prefix) > len(key) {
		return false
	}
	for i := range prefix {
		if key[i] != prefix[i] {
			return false
		}
	}
	return true
}
