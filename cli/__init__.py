"""The `luneo` command line: Typer, one module per command group, thin over the core API."""
