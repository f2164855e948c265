"""``-- luneo-lint:`` directives, and the line positions of one migration.

Suppression, in migration files (rule ids comma-separated, free text may follow)::

    -- luneo-lint: ignore ban-drop-table, ban-drop-column   superseded by orders_v2
    drop table public.orders_old;

    -- luneo-lint: ignore-file prefer-identity

``ignore`` applies to one statement: the directive sits in the comment lines just above it,
on the line where it starts, or on the line a finding points at. ``ignore-file`` applies to the
whole file wherever it is written. Only ``--`` comments are read (never text inside strings,
dollar quotes or ``/* */`` comments). A malformed directive, or an unknown rule id in one, is a
problem the engine reports as an ``invalid-lint-directive`` finding.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from pglast.parser import scan

__all__ = ["Source"]

_DIRECTIVE = re.compile(r"--\s*luneo-lint:(?P<body>.*)")
_DIRECTIVE_BODY = re.compile(
    r"\s*(?P<scope>ignore-file|ignore)\s+(?P<rules>[\w:-]+(?:\s*,\s*[\w:-]+)*)(?:\s.*)?"
)


@dataclass
class Source:
    """Line numbers, statement starts and luneo-lint directives of one migration."""

    sql: str
    known_rules: Collection[str]
    line_starts: list[int] = field(default_factory=list)
    code_starts: list[int] = field(default_factory=list)  # start of every non-comment token
    comment_only_lines: set[int] = field(default_factory=set)
    statement_ignores: dict[int, set[str]] = field(default_factory=dict)  # by line
    file_ignores: set[str] = field(default_factory=set)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message)

    @classmethod
    def read(cls, sql: str, known_rules: Collection[str]) -> Source:
        """Scan ``sql``; rule ids outside ``known_rules`` are problems.

        Raises pglast's ``ParseError`` on text the scanner cannot tokenise.
        """
        line_starts = [0, *(i + 1 for i, char in enumerate(sql) if char == "\n")]
        source = cls(sql, known_rules, line_starts)
        for token in scan(sql):
            if token.name == "SQL_COMMENT":
                source._comment(token.start, sql[token.start : token.end + 1])
            elif token.name != "C_COMMENT":
                source.code_starts.append(token.start)
        return source

    def line(self, index: int) -> int:
        """The 1-based line of a character index."""
        return bisect.bisect_right(self.line_starts, index)

    def statement_line(self, location: int) -> int:
        """The line of a statement's first token (its location may include comments)."""
        position = bisect.bisect_left(self.code_starts, location)
        if position < len(self.code_starts):
            return self.line(self.code_starts[position])
        return self.line(location)

    def suppressed(self, rule: str, statement_line: int, finding_line: int) -> bool:
        """Whether a directive silences ``rule`` for a finding of the statement at that line."""
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
        for unknown in sorted(rules - set(self.known_rules)):
            self.problems.append((line, f"unknown rule {unknown} in luneo-lint comment"))
        if body["scope"] == "ignore-file":
            self.file_ignores |= rules
        else:
            self.statement_ignores.setdefault(line, set()).update(rules)
