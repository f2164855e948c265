"""docs/checks.md documents every rule the code has, and no other.

The migration rules table must match ``luneo.core.checks`` (ids, order, default severities,
descriptions); the advisor table must match ``luneo.core.checks.advisor.RULES`` and the level
each advisor query returns.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from luneo.core.checks import RULES, SEVERITIES, Severity, advisor

DOC = Path(__file__).resolve().parents[3] / "docs" / "checks.md"
MIGRATION_HEADING = "## Migration safety rules"
ADVISOR_HEADING = "## Security advisor (`luneo db lint --database`)"


def table_after(text: str, heading: str) -> list[dict[str, str]]:
    """The rows of the first Markdown table of the section under ``heading``, by column name."""
    lines = text.splitlines()
    start = lines.index(heading)
    section = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        section.append(line)
    rows = [line for line in section if line.startswith("|")]
    first = section.index(rows[0])
    assert section[first : first + len(rows)] == rows, f"the table under {heading} must be one block"
    header, separator, *body = ([cell.strip() for cell in row.strip("|").split("|")] for row in rows)
    assert set("".join(separator)) <= set("-:"), f"no separator row under {heading}"
    assert all(len(cells) == len(header) for cells in body), f"a row of the table under {heading} is ragged"
    return [dict(zip(header, cells, strict=True)) for cells in body]


def plain(cell: str) -> str:
    """A table cell without its Markdown code spans."""
    return cell.replace("`", "")


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def migration_rows(doc: str) -> list[dict[str, str]]:
    return table_after(doc, MIGRATION_HEADING)


@pytest.fixture(scope="module")
def advisor_rows(doc: str) -> list[dict[str, str]]:
    return table_after(doc, ADVISOR_HEADING)


def test_the_tables_are_parsed(
    migration_rows: list[dict[str, str]], advisor_rows: list[dict[str, str]]
) -> None:
    assert list(migration_rows[0]) == ["rule", "severity", "flags", "how to fix"]
    assert migration_rows[0]["rule"] == "`require-concurrent-index`"
    assert list(advisor_rows[0]) == ["rule", "level", "flags"]
    assert advisor_rows[0]["rule"] == "`rls_disabled_in_public`"


def test_every_migration_rule_is_documented_once_in_registry_order(
    migration_rows: list[dict[str, str]],
) -> None:
    assert [plain(row["rule"]) for row in migration_rows] == list(RULES)


def test_migration_rule_severities_are_the_defaults(migration_rows: list[dict[str, str]]) -> None:
    assert {plain(row["rule"]): row["severity"] for row in migration_rows} == dict(SEVERITIES)


def test_migration_rule_descriptions_are_the_registry_ones(migration_rows: list[dict[str, str]]) -> None:
    assert {plain(row["rule"]): plain(row["flags"]) for row in migration_rows} == dict(RULES)


def test_every_migration_rule_says_how_to_fix_it(migration_rows: list[dict[str, str]]) -> None:
    assert [plain(row["rule"]) for row in migration_rows if not row["how to fix"]] == []


def test_every_advisor_rule_is_documented_once(advisor_rows: list[dict[str, str]]) -> None:
    documented = [plain(row["rule"]) for row in advisor_rows]
    assert sorted(documented) == sorted(advisor.RULES)
    assert all(row["flags"] for row in advisor_rows)


def advisor_query_levels() -> dict[str, str]:
    """The level each ``-- advisor_<rule> --`` query of core/checks/advisor.sql returns."""
    levels = {}
    for rule in advisor.RULES:
        found = set(re.findall(r"'(\w+)' as level", advisor.QUERIES[f"advisor_{rule}"]))
        assert len(found) == 1, f"advisor_{rule} returns several levels, or none: {found}"
        levels[rule] = Severity(found.pop()).value
    return levels


def test_advisor_levels_are_those_the_queries_return(advisor_rows: list[dict[str, str]]) -> None:
    assert {plain(row["rule"]): row["level"] for row in advisor_rows} == advisor_query_levels()
