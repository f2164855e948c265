"""Migration linter behind ``luneo db lint``.

Two passes share one result type, :class:`Finding`:

* :func:`lint_migration` checks one versioned migration for operations that are unsafe on a
  live database (long locks, failing rewrites, broken clients) and for Luneo's own rules (RLS on
  every exposed table, ``search_path = ''`` on functions). It parses with pglast, the real
  Postgres parser, so a syntax error comes back as a ``syntax-error`` finding, never an
  exception. Rules live in a small registry; :data:`RULES` lists them for docs and ``--help``.
* :func:`lint_style` runs sqlfluff with the project's ``.sqlfluff``.

Anything done to a table created earlier in the same file is considered safe: nobody can
depend on it yet and it holds no rows. Unqualified names are taken to be in ``public``.

Suppression, in migration files (rule ids comma-separated, free text may follow)::

    -- luneo-lint: ignore ban-drop-table, ban-drop-column   superseded by orders_v2
    drop table public.orders_old;

    -- luneo-lint: ignore-file prefer-identity

``ignore`` applies to one statement: the directive sits in the comment lines just above it,
on the line where it starts, or on the line a finding points at. ``ignore-file`` applies to the
whole file wherever it is written. An unknown rule id in a directive is itself reported.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pglast import ast, parse_sql
from pglast.enums import AlterTableType, ConstrType, ObjectType, VariableSetKind
from pglast.parser import ParseError, scan

from luneo.core.sqlfiles import syntax_error_line

if TYPE_CHECKING:
    from sqlfluff.core.errors import SQLBaseError

__all__ = ["ERROR", "RULES", "WARNING", "Finding", "lint_migration", "lint_style"]

ERROR = "error"
WARNING = "warning"

#: Schemas PostgREST exposes: every table created there needs row level security.
EXPOSED_SCHEMAS = frozenset({"public"})
#: Schemas whose functions must use ``set search_path = ''`` (house rule).
HOUSE_FUNCTION_SCHEMAS = frozenset({"public", "private"})
DEFAULT_SCHEMA = "public"


@dataclass(frozen=True)
class Finding:
    """One problem found in one file."""

    path: str  # as given by the caller
    line: int  # 1-based line in the file
    rule: str  # stable id, e.g. "adding-not-null-column"
    severity: str  # "error" or "warning"
    message: str  # one line, says what and how to fix


# --------------------------------------------------------------------------------------------
# Rule registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    """What a check reports; the engine turns it into a Finding."""

    message: str
    location: int | None = None  # character index of the most precise node, when known
    severity: str | None = None  # overrides the rule's default severity


@dataclass
class _Context:
    """What earlier statements of the file tell the checks."""

    created_tables: set[str] = field(default_factory=set)
    rls_tables: frozenset[str] = frozenset()

    def is_new(self, relation: ast.RangeVar) -> bool:
        return _qualified(relation) in self.created_tables


_Check = Callable[[ast.Node, _Context], Iterator[_Hit]]


@dataclass(frozen=True)
class _Rule:
    id: str
    severity: str
    description: str
    check: _Check | None = None


_REGISTRY: dict[str, _Rule] = {}


def _register(rule: _Rule) -> None:
    if rule.id in _REGISTRY:
        raise ValueError(f"duplicate lint rule {rule.id}")
    _REGISTRY[rule.id] = rule


def _rule(rule_id: str, severity: str, description: str) -> Callable[[_Check], _Check]:
    def decorate(check: _Check) -> _Check:
        _register(_Rule(rule_id, severity, description, check))
        return check

    return decorate


SYNTAX_ERROR = "syntax-error"
INVALID_DIRECTIVE = "invalid-lint-directive"


# --------------------------------------------------------------------------------------------
# AST helpers
# --------------------------------------------------------------------------------------------


def _qualified(relation: ast.RangeVar) -> str:
    return f"{relation.schemaname or DEFAULT_SCHEMA}.{relation.relname}"


def _shown(relation: ast.RangeVar) -> str:
    """The relation name as the migration wrote it."""
    if relation.schemaname:
        return f"{relation.schemaname}.{relation.relname}"
    return relation.relname


def _location(node: ast.Node | None) -> int | None:
    location = getattr(node, "location", None)
    return location if isinstance(location, int) and location >= 0 else None


def _names(nodes: Iterable[ast.Node] | None) -> list[str]:
    return [node.sval for node in nodes or () if isinstance(node, ast.String)]


def _table_commands(stmt: ast.Node, *subtypes: AlterTableType) -> Iterator[ast.AlterTableCmd]:
    """The commands of an ``alter table`` with one of the given subtypes."""
    if not isinstance(stmt, ast.AlterTableStmt) or stmt.objtype != ObjectType.OBJECT_TABLE:
        return
    for cmd in stmt.cmds or ():
        if isinstance(cmd, ast.AlterTableCmd) and cmd.subtype in subtypes:
            yield cmd


def _existing_table_commands(
    stmt: ast.Node, ctx: _Context, *subtypes: AlterTableType
) -> Iterator[ast.AlterTableCmd]:
    """Like :func:`_table_commands`, skipping tables created earlier in the file."""
    if isinstance(stmt, ast.AlterTableStmt) and not ctx.is_new(stmt.relation):
        yield from _table_commands(stmt, *subtypes)


def _created_table(stmt: ast.Node) -> ast.RangeVar | None:
    """The table a ``create table`` (or ``create table ... as``) statement creates."""
    if isinstance(stmt, ast.CreateStmt):
        return stmt.relation
    if isinstance(stmt, ast.CreateTableAsStmt) and stmt.objtype == ObjectType.OBJECT_TABLE:
        return stmt.into.rel
    return None


def _column_definitions(stmt: ast.Node) -> Iterator[tuple[str, ast.ColumnDef]]:
    """Every column definition with its name: create table/type, add column, alter type."""
    if isinstance(stmt, ast.CreateStmt):
        for element in stmt.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                yield element.colname, element
    elif isinstance(stmt, ast.CompositeTypeStmt):
        for column in stmt.coldeflist or ():
            yield column.colname, column
    add, alter = AlterTableType.AT_AddColumn, AlterTableType.AT_AlterColumnType
    for cmd in _table_commands(stmt, add, alter):
        yield (cmd.def_.colname if cmd.subtype == add else cmd.name), cmd.def_


def _builtin_type(column: ast.ColumnDef) -> str | None:
    """The name of a column's type when it is a built-in (``pg_catalog``) or unqualified one."""
    names = _names(column.typeName.names if column.typeName else None)
    if len(names) == 1 or (len(names) == 2 and names[0] == "pg_catalog"):
        return names[-1]
    return None


def _column_location(column: ast.ColumnDef) -> int | None:
    location = _location(column)
    return _location(column.typeName) if location is None else location


def _rls_enabled_tables(statements: Sequence[ast.RawStmt]) -> frozenset[str]:
    enable = AlterTableType.AT_EnableRowSecurity
    return frozenset(
        _qualified(raw.stmt.relation)
        for raw in statements
        if any(True for _ in _table_commands(raw.stmt, enable))
    )


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


@_rule(
    "require-concurrent-index",
    WARNING,
    "create/drop index on an existing table without concurrently blocks writes",
)
def _require_concurrent_index(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    if isinstance(stmt, ast.IndexStmt) and not stmt.concurrent and not ctx.is_new(stmt.relation):
        yield _Hit(
            f"create index on existing table {_shown(stmt.relation)} blocks writes while it "
            "builds; use create index concurrently (it cannot run inside a transaction block)"
        )
    elif (
        isinstance(stmt, ast.DropStmt) and stmt.removeType == ObjectType.OBJECT_INDEX and not stmt.concurrent
    ):
        names = ", ".join(".".join(_names(name)) for name in stmt.objects or ())
        yield _Hit(
            f"drop index {names} takes an access exclusive lock on its table; use drop index "
            "concurrently (it cannot run inside a transaction block)"
        )


_DEFAULTS = {ConstrType.CONSTR_DEFAULT, ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED}
_NOT_NULL = {ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY}


@_rule(
    "adding-not-null-column",
    ERROR,
    "add column ... not null without a default fails on a table that has rows",
)
def _adding_not_null_column(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    for cmd in _existing_table_commands(stmt, ctx, AlterTableType.AT_AddColumn):
        column: ast.ColumnDef = cmd.def_
        kinds = {constraint.contype for constraint in column.constraints or ()}
        if (column.is_not_null or kinds & _NOT_NULL) and not kinds & _DEFAULTS:
            yield _Hit(
                f"column {column.colname} is added not null without a default, which fails on "
                "a table with rows; give it a default, or add it nullable and backfill first",
                _column_location(column),
            )


_VALIDATED = {ConstrType.CONSTR_FOREIGN: "foreign key", ConstrType.CONSTR_CHECK: "check"}


@_rule(
    "adding-required-constraint",
    WARNING,
    "adding a foreign key or check to an existing table without not valid locks it while "
    "every row is checked",
)
def _adding_required_constraint(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    table = stmt.relation if isinstance(stmt, ast.AlterTableStmt) else None
    add_constraint, add_column = AlterTableType.AT_AddConstraint, AlterTableType.AT_AddColumn
    for cmd in _existing_table_commands(stmt, ctx, add_constraint, add_column):
        inline = cmd.subtype == add_column
        constraints = (cmd.def_.constraints or ()) if inline else (cmd.def_,)
        for constraint in constraints:
            kind = _VALIDATED.get(constraint.contype)
            if kind is None or constraint.skip_validation:
                continue
            fix = (
                "declare the column without it, then add the constraint not valid"
                if inline
                else "add it not valid"
            )
            yield _Hit(
                f"adding a {kind} constraint to existing table {_shown(table)} checks every "
                f"row under lock; {fix} and validate constraint in a later migration",
                _location(constraint),
            )


@_rule("ban-drop-column", WARNING, "dropping a column breaks clients that still read it")
def _ban_drop_column(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    for cmd in _existing_table_commands(stmt, ctx, AlterTableType.AT_DropColumn):
        yield _Hit(
            f"dropping column {cmd.name} of {_shown(stmt.relation)} breaks clients and "
            "deployed code that still use it; stop using it first, drop it in a later release"
        )


@_rule("ban-drop-table", WARNING, "dropping a table breaks clients and loses its data")
def _ban_drop_table(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    if not isinstance(stmt, ast.DropStmt) or stmt.removeType != ObjectType.OBJECT_TABLE:
        return
    names = [".".join(_names(name)) for name in stmt.objects or ()]
    dropped = [name if "." in name else f"{DEFAULT_SCHEMA}.{name}" for name in names]
    if all(name in ctx.created_tables for name in dropped):
        return
    yield _Hit(
        f"dropping table {', '.join(names)} loses its data and breaks clients that use it; "
        "stop using it first, then drop it in a later release"
    )


@_rule("renaming-column", WARNING, "renaming a column breaks clients that use the old name")
def _renaming_column(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    if (
        isinstance(stmt, ast.RenameStmt)
        and stmt.renameType == ObjectType.OBJECT_COLUMN
        and not ctx.is_new(stmt.relation)
    ):
        yield _Hit(
            f"renaming column {stmt.subname} of {_shown(stmt.relation)} to {stmt.newname} "
            "breaks clients using the old name; add the new column, migrate, then drop the old"
        )


@_rule("renaming-table", WARNING, "renaming a table breaks clients that use the old name")
def _renaming_table(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    if (
        isinstance(stmt, ast.RenameStmt)
        and stmt.renameType == ObjectType.OBJECT_TABLE
        and not ctx.is_new(stmt.relation)
    ):
        yield _Hit(
            f"renaming table {_shown(stmt.relation)} to {stmt.newname} breaks clients using "
            "the old name; create the new table (or a view under the old name) and migrate"
        )


@_rule(
    "changing-column-type",
    WARNING,
    "alter column ... type on an existing table rewrites it under an exclusive lock",
)
def _changing_column_type(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    for cmd in _existing_table_commands(stmt, ctx, AlterTableType.AT_AlterColumnType):
        yield _Hit(
            f"changing the type of column {cmd.name} of {_shown(stmt.relation)} can rewrite "
            "the table under an access exclusive lock and break clients; add a new column, "
            "backfill it and switch over"
        )


@_rule(
    "table-without-rls",
    ERROR,
    "a table created in an exposed schema has no enable row level security in the same file",
)
def _table_without_rls(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    table = _created_table(stmt)
    if table is None or table.relpersistence == "t":
        return
    if (table.schemaname or DEFAULT_SCHEMA) not in EXPOSED_SCHEMAS:
        return
    if _qualified(table) not in ctx.rls_tables:
        yield _Hit(
            f"table {_shown(table)} is exposed through the API without row level security; "
            f"add alter table {_shown(table)} enable row level security in this migration"
        )


def _search_path_settings(stmt: ast.CreateFunctionStmt) -> list[ast.VariableSetStmt]:
    return [
        option.arg
        for option in stmt.options or ()
        if option.defname == "set"
        and isinstance(option.arg, ast.VariableSetStmt)
        and option.arg.name == "search_path"
    ]


def _is_security_definer(stmt: ast.CreateFunctionStmt) -> bool:
    return any(
        option.defname == "security" and isinstance(option.arg, ast.Boolean) and option.arg.boolval
        for option in stmt.options or ()
    )


def _is_empty_search_path(setting: ast.VariableSetStmt) -> bool:
    args = setting.args or ()
    return (
        setting.kind == VariableSetKind.VAR_SET_VALUE
        and len(args) == 1
        and isinstance(args[0], ast.A_Const)
        and isinstance(args[0].val, ast.String)
        and args[0].val.sval == ""
    )


@_rule(
    "security-definer-search-path",
    ERROR,
    "security definer without set search_path (error); public/private functions without "
    "set search_path = '' (warning)",
)
def _security_definer_search_path(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    if not isinstance(stmt, ast.CreateFunctionStmt):
        return
    names = _names(stmt.funcname)
    schema = names[0] if len(names) > 1 else DEFAULT_SCHEMA
    kind = "procedure" if stmt.is_procedure else "function"
    settings = _search_path_settings(stmt)
    if _is_security_definer(stmt) and not settings:
        yield _Hit(
            f"security definer {kind} {'.'.join(names)} has no set search_path, so callers "
            "can hijack the names it uses; add set search_path = '' and qualify every name",
            severity=ERROR,
        )
    elif schema in HOUSE_FUNCTION_SCHEMAS and not (settings and _is_empty_search_path(settings[-1])):
        yield _Hit(
            f"{kind} {'.'.join(names)} must use set search_path = '' (house rule) with fully qualified names",
            severity=WARNING,
        )


_CREATE_COMMANDS: dict[type[ast.Node], str] = {
    ast.CreateStmt: "create table",
    ast.CreateTableAsStmt: "create table as",
    ast.IndexStmt: "create index",
    ast.CreateSchemaStmt: "create schema",
    ast.CreateSeqStmt: "create sequence",
}


@_rule(
    "if-not-exists-in-migration",
    WARNING,
    "create ... if not exists in a versioned migration papers over schema drift",
)
def _if_not_exists_in_migration(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    # Extensions are the exception: Supabase may have installed them already.
    if isinstance(stmt, ast.CreateExtensionStmt):
        return
    fix = "drop it so a drifted database fails loudly instead of being silently skipped"
    if getattr(stmt, "if_not_exists", False):
        command = _CREATE_COMMANDS.get(type(stmt), "create")
        yield _Hit(f"{command} if not exists papers over drift in a versioned migration; {fix}")
    for cmd in _table_commands(stmt, AlterTableType.AT_AddColumn):
        if cmd.missing_ok:
            yield _Hit(
                f"add column if not exists papers over drift in a versioned migration; {fix}",
                _column_location(cmd.def_),
            )


@_rule("prefer-timestamptz", WARNING, "timestamp without time zone column")
def _prefer_timestamptz(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    for name, column in _column_definitions(stmt):
        if _builtin_type(column) == "timestamp":
            yield _Hit(
                f"column {name} is timestamp without time zone; use timestamptz",
                _column_location(column),
            )


@_rule("ban-char-type", WARNING, "char(n) column")
def _ban_char_type(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    for name, column in _column_definitions(stmt):
        if _builtin_type(column) == "bpchar":
            yield _Hit(
                f"column {name} is char(n), which pads with blanks; use text (with a check "
                "constraint on length if needed)",
                _column_location(column),
            )


_SERIALS = frozenset(
    {"smallserial", "serial", "bigserial", "serial2", "serial4", "serial8"},
)


@_rule("prefer-identity", WARNING, "serial/bigserial column")
def _prefer_identity(stmt: ast.Node, ctx: _Context) -> Iterator[_Hit]:
    for name, column in _column_definitions(stmt):
        type_name = _builtin_type(column)
        if type_name in _SERIALS:
            yield _Hit(
                f"column {name} is {type_name}; use bigint generated always as identity (or a uuid id)",
                _column_location(column),
            )


_register(_Rule(SYNTAX_ERROR, ERROR, "the file does not parse; nothing else was checked"))
_register(_Rule(INVALID_DIRECTIVE, WARNING, "a luneo-lint comment is malformed or names an unknown rule"))

RULES: dict[str, str] = {rule.id: rule.description for rule in _REGISTRY.values()}
"""Every rule id of :func:`lint_migration` with a one-line description."""


# --------------------------------------------------------------------------------------------
# Source positions and suppression comments
# --------------------------------------------------------------------------------------------

_DIRECTIVE = re.compile(r"--\s*luneo-lint:(?P<body>.*)")
_DIRECTIVE_BODY = re.compile(
    r"\s*(?P<scope>ignore-file|ignore)\s+(?P<rules>[\w:-]+(?:\s*,\s*[\w:-]+)*)(?:\s.*)?"
)


@dataclass
class _Source:
    """Line numbers, statement starts and luneo-lint directives of one migration."""

    sql: str
    line_starts: list[int] = field(default_factory=list)
    code_starts: list[int] = field(default_factory=list)  # start of every non-comment token
    comment_only_lines: set[int] = field(default_factory=set)
    statement_ignores: dict[int, set[str]] = field(default_factory=dict)  # by line
    file_ignores: set[str] = field(default_factory=set)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message)

    @classmethod
    def read(cls, sql: str) -> _Source:
        source = cls(sql, [0, *(i + 1 for i, char in enumerate(sql) if char == "\n")])
        for token in scan(sql):
            if token.name == "SQL_COMMENT":
                source._comment(token.start, sql[token.start : token.end + 1])
            elif token.name != "C_COMMENT":
                source.code_starts.append(token.start)
        return source

    def line(self, index: int) -> int:
        return bisect.bisect_right(self.line_starts, index)

    def statement_line(self, location: int) -> int:
        """The line of a statement's first token (its location may include comments)."""
        position = bisect.bisect_left(self.code_starts, location)
        if position < len(self.code_starts):
            return self.line(self.code_starts[position])
        return self.line(location)

    def suppressed(self, rule: str, statement_line: int, finding_line: int) -> bool:
        if rule in self.file_ignores:
            return True
        lines = {statement_line, finding_line}
        above = statement_line - 1
        while above in self.comment_only_lines:
            lines.add(above)
            above -= 1
        return any(rule in self.statement_ignores.get(line, ()) for line in lines)

    def _comment(self, start: int, text: str) -> None:
        line = self.line(start)
        if not self.sql[self.line_starts[line - 1] : start].strip():
            self.comment_only_lines.add(line)
        directive = _DIRECTIVE.match(text)
        if directive is None:
            return
        body = _DIRECTIVE_BODY.fullmatch(directive["body"])
        if body is None:
            self.problems.append(
                (line, "malformed luneo-lint comment; write -- luneo-lint: ignore <rule>[, ...]")
            )
            return
        rules = {rule.strip() for rule in body["rules"].split(",")}
        for unknown in sorted(rules - _REGISTRY.keys()):
            self.problems.append((line, f"unknown rule {unknown} in luneo-lint comment"))
        if body["scope"] == "ignore-file":
            self.file_ignores |= rules
        else:
            self.statement_ignores.setdefault(line, set()).update(rules)


# --------------------------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------------------------


def _syntax_error(path: str, sql: str, error: ParseError) -> Finding:
    message = str(error.args[0]) if error.args else "syntax error"
    line = syntax_error_line(sql, error)
    return Finding(
        path, line, SYNTAX_ERROR, ERROR, f"{message}; fix it, nothing else in this file was checked"
    )


def _record(stmt: ast.Node, ctx: _Context) -> None:
    table = _created_table(stmt)
    if table is not None:
        ctx.created_tables.add(_qualified(table))


def _statement_findings(path: str, raw: ast.RawStmt, source: _Source, ctx: _Context) -> Iterator[Finding]:
    start = source.statement_line(raw.stmt_location)
    for rule in _REGISTRY.values():
        if rule.check is None:
            continue
        for hit in rule.check(raw.stmt, ctx):
            line = start if hit.location is None else source.line(hit.location)
            if not source.suppressed(rule.id, start, line):
                yield Finding(path, line, rule.id, hit.severity or rule.severity, hit.message)


def lint_migration(path: str, sql: str) -> list[Finding]:
    """Check one versioned migration; ``path`` is only copied into the findings.

    Findings come sorted by line. A file that does not parse yields exactly one
    ``syntax-error`` finding.
    """
    try:
        statements = parse_sql(sql)
        source = _Source.read(sql)
    except ParseError as error:
        return [_syntax_error(path, sql, error)]
    ctx = _Context(rls_tables=_rls_enabled_tables(statements))
    findings = [Finding(path, line, INVALID_DIRECTIVE, WARNING, message) for line, message in source.problems]
    for raw in statements:
        findings.extend(_statement_findings(path, raw, source, ctx))
        _record(raw.stmt, ctx)
    return sorted(findings, key=lambda finding: finding.line)


# --------------------------------------------------------------------------------------------
# Style (sqlfluff)
# --------------------------------------------------------------------------------------------

_SQLFLUFF_POSITION = re.compile(r"^Line \d+, Position \d+: ")


def _display_path(project_dir: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def _style_finding(display: str, violation: SQLBaseError) -> Finding:
    message = _SQLFLUFF_POSITION.sub("", " ".join(violation.desc().split()))
    if violation.fixable:
        message += " (sqlfluff fix can correct it)"
    return Finding(
        path=display,
        line=max(violation.line_no or 1, 1),
        rule=f"sqlfluff:{violation.rule_code()}",
        severity=WARNING if violation.warning else ERROR,
        message=message,
    )


def lint_style(project_dir: Path, paths: list[Path]) -> list[Finding]:
    """Run sqlfluff over ``paths`` with the configuration found in ``project_dir``.

    Parse errors (unparsable sections) come back as ``sqlfluff:PRS`` findings. Rules the
    configuration lists under ``warnings`` come back with severity ``warning``; ``-- noqa``
    comments are honoured. Paths in findings are relative to ``project_dir`` when inside it.
    """
    # Imported here: sqlfluff takes a noticeable time to import and only this command needs it.
    from sqlfluff.core import FluffConfig, Linter

    linter = Linter(config=FluffConfig.from_path(str(project_dir)))
    findings: list[Finding] = []
    for path in paths:
        linted = linter.lint_string(path.read_text(encoding="utf-8"), fname=str(path))
        display = _display_path(project_dir, path)
        findings.extend(
            _style_finding(display, violation) for violation in linted.get_violations(filter_warning=False)
        )
    return sorted(findings, key=lambda finding: (finding.path, finding.line))
