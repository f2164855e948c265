"""The SQLSTATE -> error map and what may be retried (no database; the integration tests in
tests/integration/db provoke each case on a real server)."""

from __future__ import annotations

import pytest

from luneo.core.db import errors


@pytest.mark.parametrize(
    ("sqlstate", "cls"),
    [
        ("40001", errors.SerializationFailure),
        ("40P01", errors.DeadlockDetected),
        ("55P03", errors.LockNotAvailable),
        ("08000", errors.ConnectionLost),
        ("08006", errors.ConnectionLost),
        ("08P01", errors.ConnectionLost),
        ("57P01", errors.ConnectionLost),
        ("", errors.ConnectionLost),
    ],
)
def test_retryable_states(sqlstate: str, cls: type[errors.QueryFailed]) -> None:
    assert errors.error_class(sqlstate) is cls
    assert errors.is_retryable(sqlstate)


@pytest.mark.parametrize(
    "sqlstate", ["23505", "23502", "42501", "42P01", "22023", "P0001", "LU001", "PT429", "40002"]
)
def test_everything_else_is_not_retryable(sqlstate: str) -> None:
    assert errors.error_class(sqlstate) is errors.QueryFailed
    assert not errors.is_retryable(sqlstate)


def test_the_message_names_the_sqlstate() -> None:
    error = errors.LockNotAvailable(errors.PgError("55P03", "canceling statement due to lock timeout"))
    assert error.message == "canceling statement due to lock timeout (SQLSTATE 55P03)"
    assert error.sqlstate == "55P03"
    assert error.retryable
