"""The project's SQL files: discovery, checksums, headers and parsing with pglast.

Layout, relative to the project directory (the Supabase stand-in is not here: it ships with
the tool, see `luneo.core.compat`):

    supabase/migrations/<digits>_<name>.sql   versioned, applied once, immutable (the
                                              Supabase CLI's names and order)
    supabase/functions/**/*.sql               repeatable, re-applied when their checksum changes
    supabase/policies/**/*.sql                repeatable and declarative
    supabase/seed.sql, supabase/seeds/...     demo data: which files, in which order, is
                                              `[db.seed] sql_paths` of supabase/config.toml
                                              (see `seeds.py`)
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from luneo.core.errors import MissingExtra, SqlSyntaxError, TransactionControl, UsageError

log = logging.getLogger(__name__)

Kind = Literal["compat", "versioned", "repeatable", "seed"]

VERSIONED_NAME = re.compile(r"(?P<version>[0-9]+)_(?P<name>.*)\.sql\Z")
"""The Supabase CLI's rule (`^([0-9]+)_(.*)\\.sql$` in its pkg/migration/file.go): any number of
digits, an underscore, then any name. `luneo db new` writes `<14-digit UTC timestamp>_<slug>.sql`."""
_LEGACY_INIT = re.compile(r"([0-9]{14})_init\.sql")
NO_TRANSACTION_MARKER = re.compile(r"^\s*--\s*luneo:\s*no-transaction\b", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    text: str
    line: int
    """1-based line of the statement's first character in its file."""
    node: object = field(repr=False, compare=False)


@dataclass(frozen=True)
class SqlFile:
    kind: Kind
    rel: str
    """The ledger key: the path relative to the project directory, with forward slashes
    (`luneo:compat/<name>` for the stand-in's files)."""
    text: str
    version: str | None = None
    name: str | None = None

    @cached_property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @cached_property
    def header(self) -> list[str]:
        """The comment lines at the top of the file."""
        lines = []
        for line in self.text.splitlines():
            if line.strip().startswith("--"):
                lines.append(line)
            elif line.strip():
                break
        return lines

    @property
    def opts_out_of_transaction(self) -> bool:
        return any(NO_TRANSACTION_MARKER.match(line) for line in self.header)

    @cached_property
    def statements(self) -> list[Statement]:
        """The file's statements, without a whole-file `begin; ... commit;` wrapper."""
        return without_transaction_wrapper(parse(self.text, self.rel), self.rel)


@dataclass(frozen=True)
class Project:
    root: Path
    versioned: list[SqlFile]
    repeatable: list[SqlFile]
    warnings: list[str] = field(default_factory=list)
    """Entries of supabase/migrations that are not migrations, skipped as the Supabase CLI does."""


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _pglast() -> Any:
    try:
        import pglast
    except ImportError:
        raise MissingExtra("reading SQL files (the Postgres parser)", "migrations") from None
    return pglast


def syntax_error_line(text: str, error: Exception) -> int:
    """The 1-based line of a pglast ParseError.

    Postgres reports error positions in characters and pglast converts them as if they were
    UTF-8 byte offsets, which is wrong past any non-ASCII character. The scanner treats every
    byte >= 0x80 as an identifier character, so a copy with each non-ASCII character replaced
    by one ASCII letter tokenizes the same; its error position is the right one.
    """
    pglast = _pglast()
    from pglast.parser import ParseError

    location = error.args[1] if len(error.args) > 1 else None
    if not text.isascii():
        try:
            pglast.parse_sql(_NON_ASCII.sub("x", text))
            location = None
        except ParseError as shadow:
            location = shadow.args[1] if len(shadow.args) > 1 else None
    if location is None:  # "at end of input": point at the last line with text
        location = len(text.rstrip()) - 1
    return text.count("\n", 0, max(location, 0)) + 1


def parse(text: str, rel: str) -> list[Statement]:
    """Split a file into statements with their line numbers; syntax errors name the line."""
    pglast = _pglast()
    from pglast.parser import ParseError

    try:
        raw = pglast.parse_sql(text)
    except ParseError as exc:
        raise SqlSyntaxError(f"{rel}:{syntax_error_line(text, exc)}: {exc.args[0]}") from None
    statements = []
    for stmt in raw:
        start = stmt.stmt_location or 0
        end = start + stmt.stmt_len if stmt.stmt_len else len(text)
        statements.append(
            Statement(text=text[start:end].strip(), line=text.count("\n", 0, start) + 1, node=stmt.stmt)
        )
    return statements


def _read(kind: Kind, path: Path, root: Path, **extra: str) -> SqlFile:
    return read_sql_file(kind, path, path.relative_to(root).as_posix(), **extra)


def read_sql_file(kind: Kind, path: Path, rel: str, **extra: str) -> SqlFile:
    """The file at `path`, keyed `rel` (its path relative to the project directory)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{rel} is not UTF-8 text") from None
    return SqlFile(kind=kind, rel=rel, text=text, **extra)


def _sql_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.sql") if p.is_file()) if directory.is_dir() else []


def version_key(version: str) -> str:
    """The order of versions: the Supabase CLI's, which applies files in file-name order.

    Byte order of `<version>_<name>.sql` compares versions as strings, except that a version
    sorts after any longer one it begins (`_` sorts after the digits): `10_a.sql`, then
    `1_b.sql`, then `9_c.sql`. No two files share a version, so `<version>_` decides.
    """
    return version + "_"


def _versioned(root: Path, directory: Path) -> tuple[list[SqlFile], list[str]]:
    """The migrations of `directory` in the order the Supabase CLI applies them, and warnings
    for the entries it skips (hidden files are skipped silently)."""
    versioned: list[SqlFile] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    entries = sorted(directory.iterdir(), key=lambda p: p.name) if directory.is_dir() else []
    for index, path in enumerate(entries):
        if path.name.startswith("."):
            continue
        rel = f"supabase/migrations/{path.name}"
        match = VERSIONED_NAME.match(path.name)
        if path.is_dir():
            warnings.append(f"skipping {rel}: migrations are not read from subdirectories")
        elif index == 0 and (legacy := _LEGACY_INIT.search(path.name)) and legacy[1] < "20211209000000":
            warnings.append(f"skipping {rel}: the Supabase CLI skips an initial schema dump named like this")
        elif not match:
            warnings.append(f"skipping {rel}: a migration is named <digits>_<name>.sql")
        elif (version := match["version"]) in seen:
            raise UsageError(f"version {version} is used twice: {seen[version]} and {path.name}")
        else:
            seen[version] = path.name
            versioned.append(_read("versioned", path, root, version=version, name=match["name"]))
    for warning in warnings:
        log.warning("%s", warning, extra={"action": "discover"})
    return versioned, warnings


def discover(root: Path) -> Project:
    """Read every SQL file of the project; refuse duplicate versions, skip what is not a migration."""
    supabase = root / "supabase"
    if not supabase.is_dir():
        raise UsageError(f"{root} has no supabase/ directory (use --dir to point at the project)")
    versioned, warnings = _versioned(root, supabase / "migrations")
    repeatable = [
        _read("repeatable", p, root) for sub in ("functions", "policies") for p in _sql_files(supabase / sub)
    ]
    return Project(root=root, versioned=versioned, repeatable=repeatable, warnings=warnings)


# --- what the parser tells us ------------------------------------------------------------


def _transaction_kind(stmt: Statement) -> str | None:
    """`begin`, `commit`, ... for a transaction-control statement, else None."""
    from pglast import ast
    from pglast.enums import TransactionStmtKind as K

    node = stmt.node
    if not isinstance(node, ast.TransactionStmt):
        return None
    if node.kind in (K.TRANS_STMT_BEGIN, K.TRANS_STMT_START):
        return "begin-with-options" if node.options else "begin"
    if node.kind == K.TRANS_STMT_COMMIT:
        return "commit-and-chain" if node.chain else "commit"
    return "other"


def without_transaction_wrapper(statements: list[Statement], rel: str) -> list[Statement]:
    """Drop a whole-file `begin; ... commit;` wrapper; refuse any other transaction control.

    The engine runs each file in its own transaction (and a dry run in one that is rolled
    back), so a file must not end, open or split transactions itself: a `commit` halfway
    would keep half a migration, and would make a dry run change the database.
    """
    kinds = [_transaction_kind(s) for s in statements]
    if len(statements) >= 2 and kinds[0] == "begin" and kinds[-1] == "commit":
        statements, kinds = statements[1:-1], kinds[1:-1]
    for stmt, kind in zip(statements, kinds, strict=True):
        if kind is not None:
            raise TransactionControl(
                f"{rel}:{stmt.line}: `{stmt.text}` controls the transaction, which luneo does: each "
                "file runs in its own transaction. Remove it (a plain `begin;` first and `commit;` "
                "last around the whole file is accepted)"
            )
    return statements


def runs_concurrently(stmt: Statement) -> bool:
    """`create index`, `drop index`, `reindex` and `detach partition` with `concurrently`: they
    wait for other transactions to end, without blocking writers while they wait."""
    from pglast import ast

    node = stmt.node
    if isinstance(node, ast.IndexStmt | ast.DropStmt):
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any(getattr(p, "defname", None) == "concurrently" for p in node.params or ())
    if isinstance(node, ast.AlterTableStmt):
        return any(
            isinstance(getattr(cmd, "def_", None), ast.PartitionCmd) and cmd.def_.concurrent
            for cmd in node.cmds or ()
        )
    return False


def cannot_run_in_transaction(stmt: Statement) -> bool:
    """Statements Postgres refuses inside a transaction block."""
    from pglast import ast

    if runs_concurrently(stmt):
        return True
    node = stmt.node
    if isinstance(node, ast.VacuumStmt):
        return bool(node.is_vacuumcmd)
    return isinstance(
        node,
        ast.CreatedbStmt
        | ast.DropdbStmt
        | ast.AlterSystemStmt
        | ast.CreateTableSpaceStmt
        | ast.DropTableSpaceStmt,
    )


def policy_tables(statements: list[Statement]) -> set[str]:
    """Tables (`schema.table`) on which a policies file declares policies."""
    from pglast import ast

    tables = set()
    for stmt in statements:
        if isinstance(stmt.node, ast.CreatePolicyStmt | ast.AlterPolicyStmt):
            table = stmt.node.table
            tables.add(f"{table.schemaname or 'public'}.{table.relname}")
    return tables
