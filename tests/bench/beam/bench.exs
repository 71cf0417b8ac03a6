# Measures the lesson's path from a caller BEAM node to the Chat node:
# Task.Supervisor.async({Chat.TaskSupervisor, node}, ...) |> Task.await().
#   elixir --sname bench@localhost --cookie COOKIE bench.exs PEER N CONCURRENCIES SECONDS
# Prints lines "rtt KIND p50_ns p90_ns p99_ns max_ns" and
# "tput KIND CONCURRENCY calls_per_second".
defmodule Bench do
  def call(peer, "noop"),
    do: Task.Supervisor.async({Chat.TaskSupervisor, peer}, Chat, :noop, [:x]) |> Task.await()

  def call(peer, "puts"),
    do: Task.Supervisor.async({Chat.TaskSupervisor, peer}, Chat, :receive_message, ["hi"]) |> Task.await()

  def loop(peer, kind, deadline, count) do
    if System.monotonic_time(:millisecond) >= deadline do
      count
    else
      call(peer, kind)
      loop(peer, kind, deadline, count + 1)
    end
  end

  def rtt(peer, kind, n) do
    for _ <- 1..200, do: call(peer, kind)

    ts =
      for _ <- 1..n do
        t0 = System.monotonic_time(:nanosecond)
        call(peer, kind)
        System.monotonic_time(:nanosecond) - t0
      end
      |> Enum.sort()

    at = fn p -> Enum.at(ts, min(length(ts) - 1, trunc(p * length(ts)))) end
    IO.puts("rtt #{kind} #{at.(0.5)} #{at.(0.9)} #{at.(0.99)} #{List.last(ts)}")
  end

  def tput(peer, kind, c, secs) do
    deadline = System.monotonic_time(:millisecond) + secs * 1000

    total =
      1..c
      |> Enum.map(fn _ -> Task.async(fn -> loop(peer, kind, deadline, 0) end) end)
      |> Task.await_many(:infinity)
      |> Enum.sum()

    IO.puts("tput #{kind} #{c} #{total / secs}")
  end
end

[peer, n, concs, secs] = System.argv()
peer = String.to_atom(peer)
true = Node.connect(peer)
n = String.to_integer(n)
secs = String.to_integer(secs)
concs = concs |> String.split(",") |> Enum.map(&String.to_integer/1)

for kind <- ["noop", "puts"], do: Bench.rtt(peer, kind, n)
for kind <- ["noop", "puts"], c <- concs, do: Bench.tput(peer, kind, c, secs)
