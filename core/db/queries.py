"""Named SQL queries, loaded per package from its `.sql` files.

A file holds sections that each start with a `-- query_name --` line (model: procrastinate's
`sql/queries.sql`). Each package loads its own files, so the migration engine, the checks and
every worker keep their queries apart; a name defined twice in one package is an error, never
a silent override.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from importlib.resources import files
from typing import LiteralString, cast

_SECTION = re.compile(r"^-- (\w+) --[ \t]*\n", flags=re.MULTILINE)


class DuplicateQuery(ValueError):
    """Two sections of one package's SQL files share a name."""


class Queries(Mapping[str, LiteralString]):
    """The named queries of one package: `QUERIES["try_lock"]`."""

    def __init__(self, queries: dict[str, LiteralString], package: str) -> None:
        self._queries = queries
        self.package = package

    @classmethod
    def load(cls, package: str) -> Queries:
        """Every `-- name --` section of the `.sql` files directly in `package`."""
        found: dict[str, LiteralString] = {}
        origin: dict[str, str] = {}
        resources = sorted(
            (r for r in files(package).iterdir() if r.name.endswith(".sql")), key=lambda r: r.name
        )
        for resource in resources:
            for name, body in parse(resource.read_text(encoding="utf-8")):
                where = f"{package}/{resource.name}"
                if name in found:
                    raise DuplicateQuery(f"query {name!r} is defined twice: in {origin[name]} and {where}")
                found[name], origin[name] = body, where
        return cls(found, package)

    def __getitem__(self, name: str) -> LiteralString:
        try:
            return self._queries[name]
        except KeyError:
            raise KeyError(f"no query {name!r} in the .sql files of {self.package}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._queries)

    def __len__(self) -> int:
        return len(self._queries)


def parse(text: str) -> list[tuple[str, LiteralString]]:
    """The `(name, body)` sections of one file, in order; text before the first is ignored."""
    parts = _SECTION.split(text)
    sections = [(name, body.strip()) for name, body in zip(parts[1::2], parts[2::2], strict=True)]
    names = [name for name, _ in sections]
    for name in names:
        if names.count(name) > 1:
            raise DuplicateQuery(f"query {name!r} is defined twice in the same file")
    # the text comes from files shipped with the package, never from a user: a literal in effect
    return [(name, cast(LiteralString, body)) for name, body in sections]
