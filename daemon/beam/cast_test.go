package beam

import (
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// TestServeCast: :rpc.cast and :erpc.cast spawn erpc:execute_cast(M, F,
// A) with no monitor (BEAM.md §6); chatd runs what it allows, as for
// execute_call, and answers nothing but the spawn reply.
func TestServeCast(t *testing.T) {
	n := startNode(t)
	f := mustConnect(t, n)
	C := f.pid(160)
	f.send(dist.SpawnRequest{ReqID: f.ref(1), From: C, GroupLeader: f.pid(60), Module: "erpc", Function: "execute_cast", Arity: 3},
		etf.List{etf.Atom("Elixir.Chat"), etf.Atom("receive_message"), etf.List{etf.Binary("by cast")}})
	ctl, _ := f.expect(dist.OpSpawnReply)
	if r := ctl.(dist.SpawnReply); r.Err != "" || r.ReqID != f.ref(1) {
		t.Fatalf("spawn reply %s, want a pid", etf.Inspect(ctl.Tuple()))
	}
	testkit.WaitFor(t, testkit.Wait, "alex to run the cast", func() bool {
		calls, callers, _ := n.local.recorded()
		return len(calls) == 1 && calls[0].Function == "receive_message" && calls[0].Args[0] == "by cast" && callers[0] == "kate@localhost"
	})
}
