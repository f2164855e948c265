"""``-- luneo-lint:`` directives: what they silence, and how bad ones are reported."""

from __future__ import annotations

from luneo.core.checks import lint_migration
from tests.unit.checks.helpers import ERROR, WARNING, lint


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


def test_unknown_rule_does_not_cancel_the_known_ones() -> None:
    sql = "-- luneo-lint: ignore ban-drop-tables, ban-drop-table\ndrop table public.a;\n"
    assert lint(sql) == [("invalid-lint-directive", WARNING, 1)]
