"""The Supabase stand-in for plain Postgres, shipped with the tool (package data).

`luneo db apply` installs these files, in name order and in one transaction, into a database
that has no `auth` schema, so that migrations written for Supabase (grants to `authenticated`,
policies calling `auth.uid()`, triggers on `auth.users`, storage buckets, the realtime
publication) apply unchanged on any Postgres. A real Supabase project always has `auth`, so
the stand-in never touches one. docs/stand-in.md says what it provides.

Each file is recorded in the ledger under the stable key `luneo:compat/<name>`, whatever the
project or the install location.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

LEDGER_PREFIX = "luneo:compat/"
MARK = "luneo compat stand-in"
"""The comment on the stand-in's `auth` schema starts with this: how `reset` tells it from Supabase's."""

SUPABASE_SCHEMAS = (
    "supabase_migrations",
    "auth",
    "storage",
    "realtime",
    "_realtime",
    "extensions",
    "graphql",
    "graphql_public",
    "vault",
    "pgsodium",
    "pgsodium_masks",
    "net",
    "supabase_functions",
    "cron",
    "pgbouncer",
    "_analytics",
    "pgtle",
    "supabase_admin",
)
"""Schemas the platform owns: never fingerprinted, never checked, never dropped on a real project."""


@dataclass(frozen=True)
class CompatFile:
    name: str
    text: str

    @property
    def key(self) -> str:
        """The file's ledger key."""
        return LEDGER_PREFIX + self.name


def compat_files() -> list[CompatFile]:
    """The stand-in's SQL files, in the order they are installed."""
    resources = sorted(
        (r for r in files(__name__).iterdir() if r.name.endswith(".sql")), key=lambda r: r.name
    )
    return [CompatFile(r.name, r.read_text(encoding="utf-8")) for r in resources]
