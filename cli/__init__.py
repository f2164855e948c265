"""The `luneo` command line: Typer commands, thin over `luneo.core.commands`."""
