"""sqlfluff through ``lint_style``, with the project's own ``.sqlfluff``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from luneo.core.checks import Finding, lint_style
from tests.unit.checks.helpers import ERROR

PROJECT_DIR = Path(__file__).resolve().parents[3]


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


def test_importing_checks_does_not_import_sqlfluff() -> None:
    code = "import sys, luneo.core.checks; sys.exit('sqlfluff' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
