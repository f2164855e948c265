"""The pauses between retries of work that hit the lock timeout (no database)."""

from __future__ import annotations

from luneo.core.migrations.waits import BACKOFF_CAP, BACKOFF_FIRST, backoff
from luneo.core.settings import MigrationSettings, duration_seconds


def test_pauses_double_up_to_a_cap_with_jitter_in_the_upper_half() -> None:
    for attempt in range(12):
        ceiling = min(BACKOFF_CAP, BACKOFF_FIRST * 2**attempt)
        pauses = [backoff(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= p <= ceiling for p in pauses), (attempt, min(pauses), max(pauses))
        assert len(set(pauses)) > 1, "no jitter"
    assert backoff(30) <= BACKOFF_CAP


def test_default_retries_give_up_within_the_migration_lock_wait() -> None:
    # worst case: every attempt waits the whole lock timeout, every pause is its ceiling
    s = MigrationSettings()
    waits = (s.ddl_retries + 1) * duration_seconds(s.ddl_lock_timeout)
    pauses = sum(min(BACKOFF_CAP, BACKOFF_FIRST * 2**a) for a in range(s.ddl_retries))
    assert waits + pauses < s.lock_wait_seconds
