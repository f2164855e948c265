"""Synchronous connections against a real Postgres: each retryable case provoked for real."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from luneo.core import db
from luneo.core.errors import ConnectionFailed


@pytest.fixture
def conn(db_url: str) -> Iterator[db.Connection]:
    with db.connect(db_url, application_name="luneo test") as connection:
        connection.execute("create table public.counters (id int primary key, n int not null)")
        connection.execute("insert into public.counters values (1, 0), (2, 0)")
        yield connection


def test_rows_come_back_as_tuples_and_dicts_go_in_as_jsonb(conn: db.Connection) -> None:
    assert conn.execute("select id, n from public.counters order by id") == [(1, 0), (2, 0)]
    assert conn.one("select id from public.counters where id = %s", [3]) is None
    assert conn.scalar(
        "select pg_typeof(%s)::text || ':' || (%s::jsonb ->> 'a')", [{"a": 1}, {"a": "x"}]
    ) == ("jsonb:x")


def test_a_failed_statement_keeps_its_diagnostics_and_is_not_retryable(conn: db.Connection) -> None:
    with pytest.raises(db.QueryFailed) as info:
        conn.execute("insert into public.counters values (1, 5)")
    assert type(info.value) is db.QueryFailed
    assert info.value.sqlstate == "23505"
    assert info.value.error.detail == "Key (id)=(1) already exists."
    assert not info.value.retryable


def test_force_rollback_leaves_nothing(conn: db.Connection) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute("update public.counters set n = 9")
        assert conn.in_transaction
    assert not conn.in_transaction
    assert conn.scalar("select sum(n) from public.counters") == 0


def test_lock_timeout_is_lock_not_available(conn: db.Connection, db_url: str) -> None:
    conn.execute("set lock_timeout = '50ms'")
    with psycopg.connect(db_url) as holder:
        holder.execute("select * from public.counters where id = 1 for update")
        with pytest.raises(db.LockNotAvailable) as info:
            conn.execute("update public.counters set n = 1 where id = 1")
    assert info.value.retryable
    assert info.value.sqlstate == "55P03"


def test_concurrent_update_under_repeatable_read_is_a_serialization_failure(
    conn: db.Connection, db_url: str
) -> None:
    def lost_update() -> None:
        with conn.transaction():
            conn.execute("set transaction isolation level repeatable read")
            conn.execute("select n from public.counters where id = 1")  # takes the snapshot
            with psycopg.connect(db_url, autocommit=True) as other:
                other.execute("update public.counters set n = n + 1 where id = 1")
            conn.execute("update public.counters set n = n + 1 where id = 1")

    with pytest.raises(db.SerializationFailure) as info:
        lost_update()
    assert info.value.retryable


def test_a_deadlock_victim_gets_deadlock_detected(db_url: str) -> None:
    first, second = db.connect(db_url), db.connect(db_url)
    first.execute("create table public.pair (id int primary key)")
    first.execute("insert into public.pair values (1), (2)")
    barrier = threading.Barrier(2)
    outcomes: list[BaseException | None] = []

    def cross(conn: db.Connection, mine: int, theirs: int) -> None:
        try:
            with conn.transaction():
                conn.execute("update public.pair set id = id where id = %s", [mine])
                barrier.wait()
                conn.execute("update public.pair set id = id where id = %s", [theirs])
            outcomes.append(None)
        except db.QueryFailed as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=cross, args=a) for a in ((first, 1, 2), (second, 2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first.close()
    second.close()
    victims = [o for o in outcomes if o is not None]
    assert len(victims) == 1
    assert isinstance(victims[0], db.DeadlockDetected)
    assert victims[0].retryable


def test_a_terminated_backend_is_connection_lost(conn: db.Connection, db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(%s)", [conn.backend_pid])
    with pytest.raises(db.ConnectionLost) as info:
        conn.execute("select 1")
    assert info.value.retryable


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    with pytest.raises(ConnectionFailed) as info:
        db.connect("postgresql://luneo:s3cret@127.0.0.1:1/nowhere")
    assert info.value.message.startswith("cannot connect to luneo@127.0.0.1:1/nowhere: ")
    assert "s3cret" not in info.value.message
