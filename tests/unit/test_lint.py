"""Unit tests for luneo.core.lint: migration safety rules, suppression comments, sqlfluff style."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from luneo.core.lint import ERROR, RULES, WARNING, Finding, lint_migration, lint_style

PROJECT_DIR = Path(__file__).resolve().parents[2]


def lint(sql: str) -> list[tuple[str, str, int]]:
    """(rule, severity, line) of every finding, in the order the linter returns them."""
    return [(f.rule, f.severity, f.line) for f in lint_migration("m.sql", sql)]


# --------------------------------------------------------------------------------------------
# One snippet per rule that triggers it, with the exact rule, severity and line.
# --------------------------------------------------------------------------------------------

TRIGGERS = {
    "create-index-without-concurrently": (
        "-- header\ncreate index orders_status_idx\n    on public.orders (status);\n",
        ("require-concurrent-index", WARNING, 2),
    ),
    "drop-index-without-concurrently": (
        "\n\ndrop index public.orders_status_idx;\n",
        ("require-concurrent-index", WARNING, 3),
    ),
    "add-not-null-column-without-default": (
        "alter table public.orders\n    add column currency text not null;\n",
        ("adding-not-null-column", ERROR, 2),
    ),
    "add-primary-key-column-without-default": (
        "alter table public.orders add column code text primary key;\n",
        ("adding-not-null-column", ERROR, 1),
    ),
    "add-foreign-key-without-not-valid": (
        "alter table public.orders\n"
        "    add constraint orders_customer_fk\n"
        "    foreign key (customer_id) references public.customers (id);\n",
        ("adding-required-constraint", WARNING, 2),
    ),
    "add-check-without-not-valid": (
        "alter table orders add constraint orders_total_check check (total >= 0);\n",
        ("adding-required-constraint", WARNING, 1),
    ),
    "add-column-with-inline-foreign-key": (
        "alter table public.orders\n    add column customer_id uuid references public.customers (id);\n",
        ("adding-required-constraint", WARNING, 2),
    ),
    "drop-column": (
        "alter table public.orders drop column legacy_total;\n",
        ("ban-drop-column", WARNING, 1),
    ),
    "drop-table": ("select 1;\ndrop table public.orders_old;\n", ("ban-drop-table", WARNING, 2)),
    "rename-column": (
        "alter table public.orders rename column total to total_amount;\n",
        ("renaming-column", WARNING, 1),
    ),
    "rename-table": (
        "alter table public.orders rename to purchases;\n",
        ("renaming-table", WARNING, 1),
    ),
    "change-column-type": (
        "alter table public.orders\n    alter column total type bigint;\n",
        ("changing-column-type", WARNING, 1),
    ),
    "public-table-without-rls": (
        "-- notes\ncreate table public.notes (id uuid primary key);\n",
        ("table-without-rls", ERROR, 2),
    ),
    "unqualified-table-without-rls": (
        "create table notes (id uuid primary key);\nalter table private.notes enable row level security;\n",
        ("table-without-rls", ERROR, 1),
    ),
    "security-definer-without-search-path": (
        "-- helper\n"
        "create function private.is_member(org uuid)\n"
        "returns boolean\n"
        "language sql\n"
        "security definer\n"
        "as $$ select org is not null $$;\n",
        ("security-definer-search-path", ERROR, 2),
    ),
    "security-definer-procedure-without-search-path": (
        "create procedure extensions.cleanup()\nlanguage sql security definer as $$ select 1 $$;\n",
        ("security-definer-search-path", ERROR, 1),
    ),
    "function-search-path-not-empty": (
        "create function public.answer() returns int\n"
        "language sql set search_path = public as $$ select 42 $$;\n",
        ("security-definer-search-path", WARNING, 1),
    ),
    "function-without-search-path": (
        "create function private.answer() returns int language sql as $$ select 42 $$;\n",
        ("security-definer-search-path", WARNING, 1),
    ),
    "create-table-if-not-exists": (
        "create table if not exists private.jobs (id uuid primary key);\n",
        ("if-not-exists-in-migration", WARNING, 1),
    ),
    "create-index-if-not-exists": (
        "create index concurrently if not exists jobs_id_idx on private.jobs (id);\n",
        ("if-not-exists-in-migration", WARNING, 1),
    ),
    "create-schema-if-not-exists": (
        "create schema if not exists private;\n",
        ("if-not-exists-in-migration", WARNING, 1),
    ),
    "add-column-if-not-exists": (
        "alter table private.jobs\n    add column if not exists note text;\n",
        ("if-not-exists-in-migration", WARNING, 2),
    ),
    "timestamp-column": (
        "create table private.events (\n    id uuid primary key,\n    created_at timestamp not null\n);\n",
        ("prefer-timestamptz", WARNING, 3),
    ),
    "timestamp-added-column": (
        "alter table private.jobs\n    add column run_at timestamp without time zone;\n",
        ("prefer-timestamptz", WARNING, 2),
    ),
    "char-column": (
        "create table private.countries (\n    id uuid primary key,\n    code char(2)\n);\n",
        ("ban-char-type", WARNING, 3),
    ),
    "bigserial-column": (
        "create table private.counters (\n    id bigserial primary key\n);\n",
        ("prefer-identity", WARNING, 2),
    ),
    "serial-added-column": (
        "alter table private.jobs add column seq serial;\n",
        ("prefer-identity", WARNING, 1),
    ),
}


@pytest.mark.parametrize(("sql", "expected"), TRIGGERS.values(), ids=TRIGGERS.keys())
def test_rule_triggers(sql: str, expected: tuple[str, str, int]) -> None:
    assert lint(sql) == [expected]


def test_every_rule_has_a_trigger() -> None:
    triggered = {rule for _, (rule, _, _) in TRIGGERS.values()}
    meta = {"syntax-error", "invalid-lint-directive"}
    assert triggered | meta == set(RULES)


# --------------------------------------------------------------------------------------------
# One safe variant per rule: no finding at all.
# --------------------------------------------------------------------------------------------

SAFE = {
    "create-index-concurrently": ("create index concurrently orders_status_idx on public.orders (status);\n"),
    "create-index-on-table-created-in-file": (
        "create table private.jobs (id uuid primary key, status text);\n"
        "create index jobs_status_idx on private.jobs (status);\n"
    ),
    "drop-index-concurrently": "drop index concurrently public.orders_status_idx;\n",
    "add-not-null-column-with-default": (
        "alter table public.orders add column currency text not null default 'eur';\n"
    ),
    "add-identity-column": ("alter table private.jobs add column seq bigint generated always as identity;\n"),
    "add-nullable-column": "alter table public.orders add column note text;\n",
    "add-foreign-key-not-valid-then-validate": (
        "alter table public.orders\n"
        "    add constraint orders_customer_fk\n"
        "    foreign key (customer_id) references public.customers (id) not valid;\n"
        "alter table public.orders validate constraint orders_customer_fk;\n"
    ),
    "add-check-not-valid": (
        "alter table public.orders add constraint orders_total_check check (total >= 0) not valid;\n"
    ),
    "alterations-of-table-created-in-file": (
        "create table private.scratch (id uuid primary key, a int, b int);\n"
        "alter table private.scratch add column c int not null;\n"
        "alter table private.scratch add constraint c_positive check (c > 0);\n"
        "alter table private.scratch alter column a type bigint;\n"
        "alter table private.scratch drop column b;\n"
        "alter table private.scratch rename column a to d;\n"
        "alter table private.scratch rename to scratchpad;\n"
        "drop table private.scratch;\n"
    ),
    "rename-index": "alter index public.orders_status_idx rename to orders_state_idx;\n",
    "public-table-with-rls": (
        "create table notes (id uuid primary key);\nalter table public.notes enable row level security;\n"
    ),
    "private-table-without-rls": "create table private.jobs (id uuid primary key);\n",
    "temporary-table": "create temporary table scratch (id int);\n",
    "security-definer-with-empty-search-path": (
        "create function private.is_member(org uuid)\n"
        "returns boolean\n"
        "language sql\n"
        "security definer\n"
        "set search_path = ''\n"
        "as $$ select org is not null $$;\n"
    ),
    "invoker-function-with-empty-search-path": (
        "create function public.answer() returns int\n"
        "language sql set search_path to '' as $$ select 42 $$;\n"
    ),
    "invoker-function-outside-house-schemas": (
        "create function extensions.answer() returns int language sql as $$ select 42 $$;\n"
    ),
    "create-without-if-not-exists": "create schema private;\n",
    "create-extension-if-not-exists": "create extension if not exists pgcrypto;\n",
    "good-column-types": (
        "create table private.events (\n"
        "    id bigint generated always as identity primary key,\n"
        "    code text,\n"
        '    flag "char",\n'
        "    created_at timestamptz not null,\n"
        "    happened_at timestamp with time zone\n"
        ");\n"
    ),
    "empty-file": "-- nothing yet\n",
}


@pytest.mark.parametrize("sql", SAFE.values(), ids=SAFE.keys())
def test_safe_variant_has_no_finding(sql: str) -> None:
    assert lint(sql) == []


# --------------------------------------------------------------------------------------------
# Results, positions, syntax errors
# --------------------------------------------------------------------------------------------


def test_finding_carries_path_and_a_one_line_message() -> None:
    findings = lint_migration("supabase/migrations/20240101000000_drop.sql", "drop table a;")
    assert len(findings) == 1
    finding = findings[0]
    assert finding.path == "supabase/migrations/20240101000000_drop.sql"
    assert "\n" not in finding.message
    assert "dropping table a" in finding.message


def test_findings_are_sorted_by_line_across_statements() -> None:
    sql = (
        "create table public.t (\n    id serial primary key,\n    at timestamp\n);\ndrop table public.old;\n"
    )
    assert lint(sql) == [
        ("table-without-rls", ERROR, 1),
        ("prefer-identity", WARNING, 2),
        ("prefer-timestamptz", WARNING, 3),
        ("ban-drop-table", WARNING, 5),
    ]


def test_line_numbers_count_characters_not_utf8_bytes() -> None:
    # 200 two-byte characters on line 1: a byte offset would land several lines too far.
    sql = (
        f"-- {'é' * 200}\n"
        "comment on table public.orders is 'commandes passées';\n"
        "select 'élan';\n"
        "select 1;\n"
        "drop table public.orders_old;\n"
        "select 2;\n"
        "select 3;\n"
    )
    assert lint(sql) == [("ban-drop-table", WARNING, 5)]


def test_statement_line_skips_leading_comments() -> None:
    sql = "select 1;\n/* block\n   comment */\n-- line comment\n\ndrop table a;\n"
    assert lint(sql) == [("ban-drop-table", WARNING, 6)]


def test_syntax_error_is_one_finding_at_the_reported_line() -> None:
    sql = f"-- {'é' * 200}\nselect 1;\n\ncreate tabel notes (id int);\ndrop table a;\n"
    findings = lint_migration("m.sql", sql)
    assert [(f.rule, f.severity, f.line) for f in findings] == [("syntax-error", ERROR, 4)]
    assert 'syntax error at or near "tabel"' in findings[0].message


def test_syntax_error_at_end_of_input_points_at_last_line() -> None:
    assert lint("select 1;\nselect (\n\n\n") == [("syntax-error", ERROR, 2)]


def test_unterminated_string_is_a_syntax_error() -> None:
    assert lint("select 1;\nselect 'oops;\n") == [("syntax-error", ERROR, 2)]


def test_syntax_error_line_after_non_ascii_text() -> None:
    # Postgres reports error positions in characters; they must not be read as UTF-8 bytes.
    accents = "é" * 120
    sql = f"select '{accents}';\nselect 2;\nselect 3;\nselect 'ok' frm t;\n"
    assert lint(sql) == [("syntax-error", ERROR, 4)]
    assert lint(f"-- {accents}\nselect 1;\n\nselect 'unterminated;\n") == [("syntax-error", ERROR, 4)]
    assert lint(f"-- {accents}\nselect 1;\nselect (\n\n") == [("syntax-error", ERROR, 3)]


def test_syntax_error_message_keeps_the_original_text() -> None:
    findings = lint_migration("m.sql", f"-- {'é' * 50}\ncreate tablé notes (id int);\n")
    assert [(f.rule, f.line) for f in findings] == [("syntax-error", 2)]
    assert '"tablé"' in findings[0].message


def test_rules_describe_every_rule_on_one_line() -> None:
    assert "table-without-rls" in RULES
    for rule_id, description in RULES.items():
        assert rule_id == rule_id.lower()
        assert description
        assert "\n" not in description


def test_finding_is_frozen() -> None:
    finding = Finding("a.sql", 1, "ban-drop-table", WARNING, "x")
    with pytest.raises(AttributeError):
        finding.line = 2  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Suppression comments
# --------------------------------------------------------------------------------------------


def test_ignore_on_the_line_above_silences_that_statement() -> None:
    assert lint("-- luneo-lint: ignore ban-drop-table\ndrop table public.old;\n") == []


def test_ignore_in_a_comment_block_above_with_a_reason() -> None:
    sql = (
        "-- luneo-lint: ignore ban-drop-table  superseded by orders_v2\n"
        "-- (data copied in 20240101000000_copy_orders.sql)\n"
        "drop table public.old;\n"
    )
    assert lint(sql) == []


def test_ignore_on_the_same_line_as_the_statement_start() -> None:
    assert lint("drop table public.old; -- luneo-lint: ignore ban-drop-table\n") == []


def test_ignore_on_the_line_of_the_finding() -> None:
    sql = (
        "create table private.t (\n"
        "    id serial primary key, -- luneo-lint: ignore prefer-identity\n"
        "    at timestamp\n"
        ");\n"
    )
    assert lint(sql) == [("prefer-timestamptz", WARNING, 3)]


def test_ignore_lists_several_rules() -> None:
    sql = (
        "-- luneo-lint: ignore table-without-rls, prefer-identity\n"
        "create table public.t (id serial primary key);\n"
    )
    assert lint(sql) == []


def test_ignore_silences_only_the_named_rules() -> None:
    sql = "-- luneo-lint: ignore prefer-identity\ncreate table public.t (id serial primary key);\n"
    assert lint(sql) == [("table-without-rls", ERROR, 2)]


def test_ignore_does_not_reach_the_next_statement() -> None:
    sql = (
        "-- luneo-lint: ignore ban-drop-table\n"
        "drop table public.a;\n"
        "drop table public.b;\n"
        "drop table public.c; -- luneo-lint: ignore ban-drop-table\n"
        "drop table public.d;\n"
    )
    assert lint(sql) == [("ban-drop-table", WARNING, 3), ("ban-drop-table", WARNING, 5)]


def test_ignore_separated_by_a_blank_line_does_not_apply() -> None:
    sql = "-- luneo-lint: ignore ban-drop-table\n\ndrop table public.a;\n"
    assert lint(sql) == [("ban-drop-table", WARNING, 3)]


def test_ignore_file_silences_a_rule_everywhere() -> None:
    sql = (
        "drop table public.a;\n"
        "alter table public.b drop column c;\n"
        "drop table public.d;\n"
        "-- luneo-lint: ignore-file ban-drop-table\n"
    )
    assert lint(sql) == [("ban-drop-column", WARNING, 2)]


def test_directive_inside_a_string_is_not_a_directive() -> None:
    sql = (
        "select '-- luneo-lint: ignore-file ban-drop-table';\n"
        "create function private.f() returns int language sql set search_path = '' as $$\n"
        "    -- luneo-lint: ignore-file ban-drop-table\n"
        "    select 1\n"
        "$$;\n"
        "drop table public.a;\n"
    )
    assert lint(sql) == [("ban-drop-table", WARNING, 6)]


def test_unknown_rule_in_directive_is_reported() -> None:
    sql = "-- luneo-lint: ignore ban-drop-tables\ndrop table public.a;\n"
    findings = lint_migration("m.sql", sql)
    assert [(f.rule, f.severity, f.line) for f in findings] == [
        ("invalid-lint-directive", WARNING, 1),
        ("ban-drop-table", WARNING, 2),
    ]
    assert "ban-drop-tables" in findings[0].message


def test_malformed_directive_is_reported() -> None:
    sql = "select 1;\n-- luneo-lint: ignroe ban-drop-table\ndrop table public.a;\n"
    assert lint(sql) == [("invalid-lint-directive", WARNING, 2), ("ban-drop-table", WARNING, 3)]


# --------------------------------------------------------------------------------------------
# Style (sqlfluff)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def style_project(tmp_path: Path) -> Path:
    shutil.copy(PROJECT_DIR / ".sqlfluff", tmp_path / ".sqlfluff")
    return tmp_path


def test_style_reports_uppercase_keywords(style_project: Path) -> None:
    bad = style_project / "supabase" / "migrations" / "20240101000000_bad.sql"
    bad.parent.mkdir(parents=True)
    bad.write_text("select id\nFROM public.orders;\n", encoding="utf-8")
    findings = lint_style(style_project, [bad])
    assert (
        Finding(
            path="supabase/migrations/20240101000000_bad.sql",
            line=2,
            rule="sqlfluff:CP01",
            severity=ERROR,
            message="Keywords must be lower case. (sqlfluff fix can correct it)",
        )
        in findings
    )


def test_style_clean_file_has_no_findings(style_project: Path) -> None:
    clean = style_project / "clean.sql"
    clean.write_text("select id from public.orders;\n", encoding="utf-8")
    assert lint_style(style_project, [clean]) == []


def test_style_reports_unparsable_sections(style_project: Path) -> None:
    broken = style_project / "broken.sql"
    broken.write_text("select id from public.orders;\nselect id from where;\n", encoding="utf-8")
    findings = lint_style(style_project, [broken])
    parse_errors = [f for f in findings if f.rule == "sqlfluff:PRS"]
    assert parse_errors
    assert {(f.path, f.line, f.severity) for f in parse_errors} == {("broken.sql", 2, ERROR)}
    assert all(not f.message.startswith("Line ") for f in parse_errors)


def test_importing_lint_does_not_import_sqlfluff() -> None:
    code = "import sys, luneo.core.lint; sys.exit('sqlfluff' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
