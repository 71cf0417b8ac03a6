// Package wire holds everything that crosses a process boundary in chatd:
// node names and pids, the peer handshake, the frame codec used on yamux
// streams, EPMD port-mapper packets and the control API's request and
// response types.
//
// The byte layouts are written down in SPEC.md beside this file so that a
// second implementation could interoperate. Every decoder of untrusted bytes
// checks lengths against a limit before it allocates.
//
// wire imports neither daemon/ nor config/; a test keeps it so.
package wire
