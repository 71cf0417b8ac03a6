package main

import (
	"testing"
	"time"

	"chatd/wire"
)

func TestChatText(t *testing.T) {
	for _, tc := range []struct {
		line, text string
		isText     bool
	}{
		{"hi", "hi", true},
		{"/quit", "", false},
		{"/who", "", false},
		{"//etc/motd", "/etc/motd", true},
		{" /not a command", " /not a command", true},
	} {
		text, isText := chatText(tc.line)
		if isText != tc.isText || (isText && text != tc.text) {
			t.Errorf("chatText(%q) = %q, %v; want %q, %v", tc.line, text, isText, tc.text, tc.isText)
		}
	}
}

func TestChatLines(t *testing.T) {
	s := &chatSession{self: "alex@localhost", peer: "kate@localhost"}
	at := time.Date(2026, 12, 1, 15, 4, 7, 0, time.Local)
	for _, tc := range []struct {
		name string
		m    wire.Message
		pal  palette
		want string
	}{
		{"the peer", wire.Message{From: "kate@localhost", Text: "hello alex", Time: at}, false, "15:04:07 kate@localhost: hello alex"},
		{"someone else, marked", wire.Message{From: "moebi@localhost", Text: "chicken?", Time: at}, false, "15:04:07 [moebi@localhost] chicken?"},
		{"coloured", wire.Message{From: "moebi@localhost", Text: "chicken?", Time: at}, true, "15:04:07 \x1b[33m[moebi@localhost]\x1b[0m chicken?"},
		{"a terminal escape is quoted", wire.Message{From: "kate@localhost", Text: "\x1b[2J", Time: at}, false, `15:04:07 kate@localhost: "\x1b[2J"`},
	} {
		if got := s.incoming(tc.m, tc.pal); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if p := s.prompt(); p != "kate> " {
		t.Errorf("prompt %q", p)
	}
	if p := (&chatSession{self: "alex@localhost", peer: "kate@example.net"}).prompt(); p != "kate@example.net> " {
		t.Errorf("prompt for another host %q", p)
	}
}

func TestNodeEventLine(t *testing.T) {
	at := time.Date(2026, 12, 1, 15, 4, 5, 0, time.Local)
	for _, tc := range []struct {
		ev   wire.NodeEvent
		want string
	}{
		{wire.NodeEvent{Event: wire.NodeUp, Node: "kate@localhost", Protocol: "chatd", Direction: "out", Address: "127.0.0.1:41235", Time: at},
			"15:04:05 up   kate@localhost (chatd, out, 127.0.0.1:41235)"},
		{wire.NodeEvent{Event: wire.NodeDown, Node: "kate@localhost", Reason: wire.ReasonTickTimeout, Detail: "no keepalive reply within the tick", Time: at},
			"15:04:05 down kate@localhost: tick_timeout (no keepalive reply within the tick)"},
		{wire.NodeEvent{Event: wire.NodeDown, Node: "moebi@localhost", Reason: wire.ReasonRefused, Time: at},
			"15:04:05 down moebi@localhost: refused"},
	} {
		if got := nodeEventLine(tc.ev); got != tc.want {
			t.Errorf("nodeEventLine = %q, want %q", got, tc.want)
		}
	}
}
