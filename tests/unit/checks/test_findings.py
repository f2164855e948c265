"""The one result type and its severity vocabulary."""

from __future__ import annotations

import json

import pytest

from luneo.core.checks import Finding, Severity
from tests.unit.checks.helpers import WARNING


def test_finding_is_frozen() -> None:
    finding = Finding("a.sql", 1, "ban-drop-table", WARNING, "x")
    with pytest.raises(AttributeError):
        finding.line = 2  # type: ignore[misc]


def test_severity_vocabulary() -> None:
    assert [(s.name, s.value) for s in Severity] == [
        ("ERROR", "error"),
        ("WARNING", "warning"),
        ("INFO", "info"),
    ]


def test_severity_prints_and_serialises_as_before() -> None:
    # `luneo db lint --json` prints [vars(f) for f in findings] with json.dumps(default=str).
    finding = Finding("supabase/migrations/20240101000000_a.sql", 3, "ban-drop-table", Severity.WARNING, "x")
    assert json.dumps(vars(finding), default=str) == (
        '{"path": "supabase/migrations/20240101000000_a.sql", "line": 3, "rule": "ban-drop-table", '
        '"severity": "warning", "message": "x"}'
    )
    assert json.dumps([Severity.ERROR, Severity.INFO]) == '["error", "info"]'
    assert f"{Severity.ERROR}" == "error"
    assert Severity.ERROR == "error"


def test_an_advisor_finding_names_the_object_on_line_0() -> None:
    finding = Finding(
        "public.items", 0, "advisor:rls_disabled_in_public", Severity.ERROR, "enable row level security"
    )
    assert json.loads(json.dumps([vars(finding)], default=str)) == [
        {
            "path": "public.items",
            "line": 0,
            "rule": "advisor:rls_disabled_in_public",
            "severity": "error",
            "message": "enable row level security",
        }
    ]


def test_plain_string_severities_become_members() -> None:
    finding = Finding("a.sql", 1, "sqlfluff:CP01", "warning", "x")  # type: ignore[arg-type]
    assert finding.severity is Severity.WARNING
    assert finding == Finding("a.sql", 1, "sqlfluff:CP01", Severity.WARNING, "x")


@pytest.mark.parametrize("severity", ["WARN", "fatal", ""])
def test_severities_outside_the_vocabulary_are_refused(severity: str) -> None:
    with pytest.raises(ValueError, match="is not a valid Severity"):
        Finding("a.sql", 1, "x", severity, "x")  # type: ignore[arg-type]


def test_errors_and_warnings_fail_the_lint_info_does_not() -> None:
    assert {s: s.fails_lint for s in Severity} == {
        Severity.ERROR: True,
        Severity.WARNING: True,
        Severity.INFO: False,
    }
