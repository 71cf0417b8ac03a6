# Measures calls from this BEAM node to others, the way an Elixir program
# makes them:
#   noop  Task.Supervisor.async({Chat.TaskSupervisor, node}, Chat, :noop, [:x]) |> Task.await()
#   puts  the same with Chat.receive_message("hi"): the lesson's chat path
#   erpc  :erpc.call(node, :chatd, :echo, ["x"])
# The peer is a BEAM node running chat.exs, or a chatd node (which serves
# Chat.TaskSupervisor's receive_message and :chatd.echo itself).
#   elixir --sname bench@localhost --cookie COOKIE bench.exs N SECONDS SPEC...
# SPEC is LABEL=NODE:KIND,KIND...:CONCURRENCY,CONCURRENCY..., e.g.
#   beam=beamkate@localhost:noop,puts,erpc:1,8,64 beam_chatd=kate@localhost:puts,erpc:64
# Every spec's round trips are measured first, then every spec's rates.
# Prints "LABEL rtt KIND p50_ns p90_ns p99_ns max_ns" and
# "LABEL tput KIND CONCURRENCY calls_per_second".
defmodule Bench do
  def call(peer, "noop"),
    do: Task.Supervisor.async({Chat.TaskSupervisor, peer}, Chat, :noop, [:x]) |> Task.await()

  def call(peer, "puts"),
    do: Task.Supervisor.async({Chat.TaskSupervisor, peer}, Chat, :receive_message, ["hi"]) |> Task.await()

  def call(peer, "erpc"), do: "x" = :erpc.call(peer, :chatd, :echo, ["x"])

  def loop(peer, kind, deadline, count) do
    if System.monotonic_time(:millisecond) >= deadline do
      count
    else
      call(peer, kind)
      loop(peer, kind, deadline, count + 1)
    end
  end

  def rtt(label, peer, kind, n) do
    for _ <- 1..200, do: call(peer, kind)

    ts =
      for _ <- 1..n do
        t0 = System.monotonic_time(:nanosecond)
        call(peer, kind)
        System.monotonic_time(:nanosecond) - t0
      end
      |> Enum.sort()

    at = fn p -> Enum.at(ts, min(length(ts) - 1, trunc(p * length(ts)))) end
    IO.puts("#{label} rtt #{kind} #{at.(0.5)} #{at.(0.9)} #{at.(0.99)} #{List.last(ts)}")
  end

  def tput(label, peer, kind, c, secs) do
    deadline = System.monotonic_time(:millisecond) + secs * 1000

    total =
      1..c
      |> Enum.map(fn _ -> Task.async(fn -> loop(peer, kind, deadline, 0) end) end)
      |> Task.await_many(:infinity)
      |> Enum.sum()

    IO.puts("#{label} tput #{kind} #{c} #{total / secs}")
  end

  def parse(spec) do
    [label, rest] = String.split(spec, "=", parts: 2)
    [node, kinds, concs] = String.split(rest, ":")
    peer = String.to_atom(node)
    true = Node.connect(peer)
    concs = concs |> String.split(",") |> Enum.map(&String.to_integer/1)
    {label, peer, String.split(kinds, ","), concs}
  end
end

[n, secs | specs] = System.argv()
n = String.to_integer(n)
secs = String.to_integer(secs)
specs = Enum.map(specs, &Bench.parse/1)

for {label, peer, kinds, _} <- specs, kind <- kinds, do: Bench.rtt(label, peer, kind, n)

for {label, peer, kinds, concs} <- specs, kind <- kinds, c <- concs,
    do: Bench.tput(label, peer, kind, c, secs)
