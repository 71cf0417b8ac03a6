# The lesson's Chat on a BEAM node, for the benchmarks: a Task.Supervisor
# named Chat.TaskSupervisor, receive_message/1 doing IO.puts (the chat path)
# and noop/1 (the no-op path).
#   elixir --sname kate@localhost --cookie COOKIE chat.exs
defmodule Chat do
  def receive_message(message), do: IO.puts(message)
  def noop(x), do: x
end

{:ok, _} = Task.Supervisor.start_link(name: Chat.TaskSupervisor)
IO.puts(:stderr, "ready")
Process.sleep(:infinity)
