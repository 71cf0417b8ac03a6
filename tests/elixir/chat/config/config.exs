use Mix.Config
import_config "#{Mix.env()}.exs"
