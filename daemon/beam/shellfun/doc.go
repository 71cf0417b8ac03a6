// Package shellfun runs, safely, the anonymous functions an iex or erl
// shell sends to chatd in a SPAWN_REQUEST {erlang, apply, 2} with ArgList
// [Fun, []] (BEAM.md §5.1), so that the lesson's
//
//	Node.spawn_link(:alex@localhost, fn -> IO.puts "hi" end)
//	pid = Node.spawn_link(:alex@localhost, fn -> receive do {:hi, p} -> send p, :sup? end end)
//
// work on a node that cannot run BEAM code: this is choice (c) of
// BEAM.md §5.2. A fun compiled into a module carries no code and is
// refused; so is anything outside a small whitelist. The caller answers a
// refused spawn with notsup, as a BEAM without SPAWN would, and logs the
// error, which names what was refused (§5.2a).
//
// # What a shell fun is
//
// A fun typed in a shell is a closure of erl_eval, OTP's interpreter: a
// NEW_FUN_EXT of module erl_eval whose single free variable is the
// environment erl_eval built in expr/6 for {'fun', Anno, {clauses, Cs}}
// (OTP's lib/stdlib/src/erl_eval.erl, read back by its fun_data/1). Parse
// reads three layouts (BEAM.md §5.2c):
//
//	{Anno, Bindings, LocalH, ExtH, FUVs, Clauses}  OTP 25 and later (the captures: Elixir 1.14, OTP 25.2.3)
//	{Bindings, LocalH, ExtH, FUVs, Clauses}        OTP's master between PR 5496 and PR 5631 (January 2022)
//	{Bindings, LocalH, ExtH, Clauses}              OTP 24 and earlier
//
// The first is verified against real nodes (the captures and the tests'
// elixir); the others are read from OTP's sources, and the middle one
// probably never shipped in a release, but costs one case to accept.
// Bindings are a map or an orddict of the variables the fun captured
// (Elixir names them like _x@1). Clauses are abstract code, as erl_parse
// writes it; Elixir's iex compiles to the same forms. The handlers LocalH
// and ExtH (none from iex, the shell's own funs from erl) and the fun used
// vars FUVs are ignored: the whitelist stands in their place. A named fun
// (fun F() -> ... end, one more element: its Name) is refused.
//
// # The whitelist
//
// Expressions: literals (atom, integer, float, char, string, [], a sign on
// a number), variables, tuples, lists (cons and nil), binaries whose
// segments have the default size and the type integer or binary (Elixir's
// "hi" and <<1, x::binary>>), = with a pattern, begin/end blocks, receive
// with an optional after, and calls of exactly these: 'Elixir.IO':puts/1
// (through Env.Puts), erlang:send/2 and the ! operator (Env.Send),
// erlang:self/0, erlang:node/0 and 'Elixir.Node':self/0, also as erl's
// local self() and node(). Patterns: literals, variables (_ is anonymous),
// tuples, lists and Pattern = Pattern.
//
// Everything else is refused by Parse, before anything runs: any other
// call (File.rm/1, :os.cmd/1, a local function of the shell, a call of a
// fun value or a computed module), fun definitions, operators (arithmetic
// included), case, if, try, comprehensions, maps, records, binary
// patterns, sized binary segments, string interpolation (it calls
// String.Chars) and guards. The reason is safety: a BEAM peer's cookie
// grants it remote code execution on another BEAM, but on chatd it must
// never run anything beyond this whitelist and chatd's own builtins. The
// whitelist is also what makes a run easy to bound: no call can recurse,
// so Parse's Limits.Depth bounds the evaluator's recursion, and Run stops
// a fun at Limits.Steps, Limits.TermSize and Limits.Mailbox, and never
// waits beyond its context.
//
// # Semantics
//
// Evaluation follows erl_eval: a body's expressions in order, a tuple's
// and a call's arguments left to right, a variable bound once (a second
// match compares), a receive that scans the messages in arrival order and
// leaves those matching no clause in place for the next receive (Run
// keeps them, so the Env's mailbox stays a plain queue), after N (in
// milliseconds, or infinity) taking its body once N passes. IO.puts prints
// chardata, atoms and numbers as Elixir does. The value of a run is the
// value of the fun's last expression; a failure is an *Exit whose Signal
// is the reason for the EXIT signals of the process that ran the fun (see
// Exit for the reasons).
package shellfun
