// Package calls is the calls stream of chatd's link protocol (wire/SPEC.md,
// "Calls stream"): a caller opens one long-lived calls stream per link and
// multiplexes its calls and pid messages on it by id; the peer runs each
// call as a supervised task of its core and sends the result back, in
// whatever order the tasks finish.
//
// Client is the caller's side, Server the executor's.
package calls
