"""The one result type of every check, and the one severity vocabulary.

A :class:`Finding` is the same whatever produced it: a migration safety rule, sqlfluff, or the
security advisor. For a file, ``path`` is the file and ``line`` a 1-based line in it; for a
database object, ``path`` is the object's name (``public.items``) and ``line`` is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Finding", "Severity"]


class Severity(StrEnum):
    """How serious a finding is. Members are strings: JSON shows ``"error"``, ``"warning"``..."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def fails_lint(self) -> bool:
        """Whether ``luneo db lint`` exits 1 for it: errors and warnings do, info does not."""
        return self is not Severity.INFO


@dataclass(frozen=True)
class Finding:
    """One problem found in one file, or on one database object."""

    path: str  # the file as given by the caller, or an object name such as "public.items"
    line: int  # 1-based line in the file; 0 when the finding is about a database object
    rule: str  # stable id: "adding-not-null-column", "sqlfluff:CP01", "advisor:rls_disabled_in_public"
    severity: Severity
    message: str  # one line: what is wrong and how to fix it

    def __post_init__(self) -> None:
        # Accept the plain strings too ("warning"), and refuse anything outside the vocabulary.
        object.__setattr__(self, "severity", Severity(self.severity))
