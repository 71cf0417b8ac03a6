// Package spawn is the spawn stream of chatd's link protocol (wire/SPEC.md,
// "Spawn stream"): one stream per spawned process, the lesson's
// Node.spawn_link. The caller sends Spawn; the executor starts an
// unsupervised process linked to the caller's shell and answers Spawned
// with its pid, then relays what it prints (Output) and how it ended
// (Exit). The stream is the link: when it ends, the process is killed, and
// the caller sees noconnection.
//
// Start and Remote are the caller's side, Serve the executor's.
package spawn
