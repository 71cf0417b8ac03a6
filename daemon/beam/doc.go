// Package beam is the Erlang distribution protocol as a link protocol of
// chatd, behind the peer seam: real Erlang and Elixir nodes (OTP 25,
// Elixir 1.14: the lesson's `iex --sname kate@localhost -S mix`) and chatd
// nodes call each other with the lesson's own commands, both ways.
//
// The wire layer (handshake bytes, flags, framing, control messages) is
// package chatd/wire/dist, the term codec chatd/wire/etf; docs/ERLANG.md
// says what of the protocol chatd speaks and what it refuses. This package
// holds the connections and the process semantics an Erlang peer relies
// on (BEAM.md §8): chatd pids that link, monitor, exit and have aliases;
// the registered names net_kernel (ping), rex and Chat.TaskSupervisor; the
// lesson's task protocol in both directions; spawn requests; group
// leaders. Every pid chatd hands to a BEAM node exits toward its links and
// monitors, unknown targets answer noproc, a lost connection fires
// noconnection, and normal exits kill no one, so that a real iex shell
// never hangs or dies because of chatd.
//
// Files: manager.go (the protocol: connections by node, dial and accept),
// handshake.go (the version-6 handshake in both roles), conn.go (one
// connection: frames, one writer batching what is queued, corked writes
// while the reader serves frames that came together, ticks, node
// down), procs.go (chatd's processes as the BEAM sees them), signals.go
// (links, monitors, exits), dispatch.go (control messages in), caller.go
// (chatd calling a BEAM node), server.go (a BEAM node calling chatd),
// spawn.go (spawn requests both ways), io.go (the IO protocol of group
// leaders), text.go (terms as chatd's text).
package beam
