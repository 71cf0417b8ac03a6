# The lesson's Chat on a BEAM node, for the benchmarks: a Task.Supervisor
# named Chat.TaskSupervisor, receive_message/1 doing IO.puts (the chat path)
# and noop/1 (the no-op path); and :chatd.echo/1, named as chatd's echo
# builtin is to BEAM nodes, so that one erpc call measures either kind of
# node.
#   elixir --sname beamkate@localhost --cookie COOKIE chat.exs
defmodule Chat do
  def receive_message(message), do: IO.puts(message)
  def noop(x), do: x
end

defmodule :chatd do
  def echo(x), do: x
end

{:ok, _} = Task.Supervisor.start_link(name: Chat.TaskSupervisor)
IO.puts(:stderr, "ready")
Process.sleep(:infinity)
