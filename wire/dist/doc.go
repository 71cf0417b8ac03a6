// Package dist is the wire layer of the Erlang distribution protocol, the
// one BEAM nodes speak to each other, as chatd speaks it to unmodified OTP
// 25 and Elixir 1.14 nodes: bytes and typed messages only, no goroutines,
// no connection state. The reference is OTP's erl_dist_protocol document
// (erts/doc, "Distribution Protocol") with the corrections and captures of
// BEAM.md; terms are encoded by package chatd/wire/etf.
//
// # Handshake (BEAM.md §1)
//
// Version 6, five messages of [Len:2][payload]: SendName, Status (and the
// initiator's StatusTrue/StatusFalse after StatusAlive), Challenge,
// ChallengeReply, ChallengeAck. Write them with WriteHandshake; read each
// with its ReadX function, which reads exactly one message and refuses a
// length over MaxHandshakeLen before reading the body. Digest answers a
// challenge (MD5 of the cookie, then the decimal challenge). LooksLikeErlang
// tells a BEAM handshake from chatd's own on a shared listener.
//
// # Flags (BEAM.md §1.2)
//
// Flags holds the DFLAG_* bits. chatd sends PublishedFlags or HiddenFlags:
// no atom cache and no fragments, so that every frame is a plain 112
// pass-through frame. CheckMandatory refuses a peer the way OTP 25 does.
// Negotiate gives the flags a connection may use.
//
// # Frames (BEAM.md §2, §3)
//
// After the handshake every frame is [Len:4][body]; Len 0 is a tick, which
// either side sends when idle (WriteTick). ReadFrame reads one frame
// within a size cap. ParseFrame reads a body, 112 then the control term and
// an optional message term each with its own 131 byte: it decodes and types
// the control tuple (Link, Send, RegSend, MonitorP, AliasSend, SpawnRequest
// and the rest of §3) and keeps the message encoded, to be decoded on demand
// with Frame.Message. AppendFrame encodes a frame.
//
// Errors fall in two classes. Any error from ReadFrame, ReadHandshake or
// the handshake parsers means the connection is lost or must be closed. An
// error from ParseFrame or Frame.Message wraps ErrBadFrame: that frame is
// dropped and the connection kept, so a term chatd cannot decode costs one
// message, not the link.
package dist
