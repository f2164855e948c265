"""Luneo core: what the CLI and the workers build on.

- `settings`: every component's settings, from one environment reader; `errors`: the errors
  users see and their exit codes; `embedded`: the private Postgres started when no URL is set.
- `db`: the only package that imports psycopg (connections, pool, LISTEN, error map, queries).
- `migrations`: the SQL files, the migration engine and the `luneo db` command API.
- `checks`: `luneo db lint` (migration safety rules, sqlfluff, the security advisor).
- `compat`: the Supabase stand-in for plain Postgres, shipped as package data.

Nothing here imports `luneo.cli` or `luneo.workers`; those layers build on this one
(import-linter contracts in pyproject.toml).
"""
