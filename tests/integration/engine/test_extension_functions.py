"""The extension functions Supabase projects call, on any server the stand-in is installed on.

Supabase has pgcrypto and uuid-ossp in `extensions`. Where the server ships them (the machine's
PostgreSQL) the stand-in installs them; where it does not (the embedded server), it defines
`extensions.gen_random_bytes` and `extensions.uuid_generate_v4` on core functions instead.
The same assertions hold on both.
"""

from __future__ import annotations

import psycopg
import pytest


def scalar(url: str, query: str, params: object = None) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
        return row[0] if row else None


def test_uuid_generate_v4_returns_random_version_4_uuids(db_url: str) -> None:
    first = scalar(db_url, "select extensions.uuid_generate_v4()")
    second = scalar(db_url, "select uuid_generate_v4()")  # unqualified: `extensions` is on the path

    assert first != second
    assert {first.version, second.version} == {4}  # type: ignore[union-attr]


@pytest.mark.parametrize("count", [1, 13, 14, 15, 32, 1024])
def test_gen_random_bytes_returns_as_many_bytes_as_asked(db_url: str, count: int) -> None:
    assert scalar(db_url, "select length(extensions.gen_random_bytes(%s))", [count]) == count


def test_gen_random_bytes_differ_and_cover_every_byte_value(db_url: str) -> None:
    distinct = scalar(
        db_url,
        "select count(distinct get_byte(b, i)) from (select gen_random_bytes(1024) as b) as r,"
        " generate_series(0, 1023) as i",
    )
    assert distinct > 200  # 1024 random bytes miss a given value with probability 2%
    assert scalar(db_url, "select gen_random_bytes(16) <> gen_random_bytes(16)") is True


@pytest.mark.parametrize("count", [0, 1025])
def test_gen_random_bytes_refuses_a_length_out_of_range_as_pgcrypto_does(db_url: str, count: int) -> None:
    with pytest.raises(psycopg.errors.ExternalRoutineInvocationException, match="Length not in range"):
        scalar(db_url, "select extensions.gen_random_bytes(%s)", [count])
