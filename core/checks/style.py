"""sqlfluff behind ``luneo db lint``, its violations turned into findings.

The configuration is the project's own (``.sqlfluff`` or any file sqlfluff reads), or, when it
sets no dialect, ``default.sqlfluff`` shipped here underneath it. Rule codes become ``sqlfluff:<code>``
(``sqlfluff:PRS`` for unparsable sections); rules listed under ``warnings`` there come back as
warnings, every other violation as an error.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from luneo.core.checks.findings import Finding, Severity

if TYPE_CHECKING:
    from sqlfluff.core import FluffConfig
    from sqlfluff.core.errors import SQLBaseError

__all__ = ["lint_style"]

log = logging.getLogger(__name__)
_SQLFLUFF_POSITION = re.compile(r"^Line \d+, Position \d+: ")
DEFAULT_CONFIG = Path(__file__).with_name("default.sqlfluff")


def _config(project_dir: Path) -> FluffConfig:
    """The project's sqlfluff configuration; the shipped default where it sets no dialect."""
    from sqlfluff.core import FluffConfig
    from sqlfluff.core.config.loader import load_config_file, load_config_up_to_path
    from sqlfluff.core.helpers.dict import nested_combine

    own = load_config_up_to_path(str(project_dir))
    if own.get("core", {}).get("dialect"):  # type: ignore[union-attr]
        return FluffConfig(configs=own)
    default = load_config_file(str(DEFAULT_CONFIG.parent), DEFAULT_CONFIG.name)
    return FluffConfig(configs=nested_combine(default, own))


def lint_style(project_dir: Path, paths: list[Path]) -> list[Finding]:
    """Run sqlfluff over ``paths`` with the configuration found in ``project_dir``.

    Parse errors (unparsable sections) come back as ``sqlfluff:PRS`` findings. Rules the
    configuration lists under ``warnings`` come back with severity ``warning``; ``-- noqa``
    comments are honoured. Paths in findings are relative to ``project_dir`` when inside it.
    """
    # Imported here: sqlfluff takes a noticeable time to import and only this command needs it.
    from sqlfluff.core import Linter

    linter = Linter(config=_config(project_dir))
    findings: list[Finding] = []
    for number, path in enumerate(paths, 1):
        display = _display_path(project_dir, path)
        log.info("sqlfluff %d/%d %s", number, len(paths), display, extra={"action": "lint", "path": display})
        linted = linter.lint_string(path.read_text(encoding="utf-8"), fname=str(path))
        findings.extend(
            _style_finding(display, violation) for violation in linted.get_violations(filter_warning=False)
        )
    return sorted(findings, key=lambda finding: (finding.path, finding.line))


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
        severity=Severity.WARNING if violation.warning else Severity.ERROR,
        message=message,
    )
