"""What ``lint_migration`` returns: paths, messages, line numbers, order, syntax errors."""

from __future__ import annotations

from luneo.core.checks import lint_migration
from tests.unit.checks.helpers import ERROR, WARNING, lint


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


def test_findings_of_one_statement_follow_the_registry_order() -> None:
    sql = "alter table public.orders add column if not exists created timestamp not null;\n"
    assert lint(sql) == [
        ("adding-not-null-column", ERROR, 1),
        ("if-not-exists-in-migration", WARNING, 1),
        ("prefer-timestamptz", WARNING, 1),
    ]
