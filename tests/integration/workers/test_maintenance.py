"""The maintenance worker against a real Postgres: API-key usage counted from real
`luneo_api_key_usage` notifications, kept when recording fails, and its periodic tasks."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator

import pytest

from luneo.core.db import Pool, QueryFailed
from luneo.workers.base import Context
from luneo.workers.maintenance import TASKS, Maintenance, MaintenanceFailed
from luneo.workers.metrics import Metrics
from tests.support.pg import Superuser, create_user
from tests.support.runner import make_runner, notify, running, settings, sql, wait_for
from tests.support.team import Team

CHANNEL = "luneo_api_key_usage"


def new_key(team: Team) -> uuid.UUID:
    (row,) = team.superuser(
        "insert into public.api_keys (organization_id, name, key_prefix) values (%s, 'worker test', %s) returning id",
        [team.org_id, "luneo_" + uuid.uuid4().hex[:8]],
    )
    return row["id"]


def usage(url: str, key: uuid.UUID) -> int:
    (row,) = sql(
        url, "select coalesce(sum(calls), 0)::int from private.api_key_usage where api_key_id = %s", [key]
    )
    return row[0]


@pytest.fixture
async def ctx(db_url: str) -> AsyncIterator[Context]:
    """What the runner gives a worker, without the runner."""
    sql(db_url, "select private.worker_heartbeat('test:1:00000000', 'test', 1, '{maintenance}', 'v')")
    async with Pool(db_url, min_size=1, max_size=2) as pool:
        yield Context(
            pool=pool,
            worker_id="test:1:00000000",
            settings=settings(),
            stopping=asyncio.Event(),
            limiter=asyncio.Semaphore(4),
            metrics=Metrics(),
        )


async def test_read_only_calls_announced_by_notify_are_counted(
    team: Team, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = new_key(team), new_key(team)
    maintenance = Maintenance()
    runner = make_runner(db_url, [maintenance])
    with caplog.at_level(logging.WARNING, logger="luneo.workers"):
        async with running(runner):
            for key in (first, first, second, first):
                notify(db_url, CHANNEL, str(key))
            notify(db_url, CHANNEL, "not-a-uuid")
            await wait_for(lambda: usage(db_url, first) == 3 and usage(db_url, second) == 1)
            assert maintenance.pending_usage == {}
    (last_used,) = sql(db_url, "select last_used_at is not null from public.api_keys where id = %s", [first])
    assert last_used == (True,)
    junk = [r for r in caplog.records if "not an API key id" in r.getMessage()]
    assert len(junk) == 1
    assert (junk[0].worker, junk[0].action) == ("maintenance", "count_api_key_usage")
    assert runner.metrics.jobs.labels(worker="maintenance", outcome="succeeded")._value.get() >= 1


async def test_counts_that_cannot_be_recorded_are_kept_for_the_next_flush(team: Team, ctx: Context) -> None:
    key = new_key(team)
    maintenance = Maintenance(tasks=())
    for _ in range(3):
        maintenance.on_notification(CHANNEL, str(key))
    team.superuser(
        "alter function private.record_api_key_usage(uuid, integer) rename to record_api_key_usage_away"
    )
    try:
        with pytest.raises(
            MaintenanceFailed, match="count_api_key_usage: function private.record_api_key_usage"
        ):
            await maintenance.run_pass(ctx)
        maintenance.on_notification(CHANNEL, str(key))  # arrives meanwhile
        assert maintenance.pending_usage == {key: 4}
        depth, age = (await maintenance.queue_stats(ctx))["api_key_usage"]
        assert depth == 4
        assert age > 0
    finally:
        team.superuser(
            "alter function private.record_api_key_usage_away(uuid, integer) rename to record_api_key_usage"
        )
    assert await maintenance.run_pass(ctx) == 1
    assert usage(ctx.pool.url, key) == 4
    assert maintenance.pending_usage == {}
    assert await maintenance.queue_stats(ctx) == {"api_key_usage": (0, 0.0)}
    assert ctx.metrics.jobs.labels(worker="maintenance", outcome="failed")._value.get() == 1


async def test_calls_of_a_deleted_key_are_dropped_and_the_others_recorded(team: Team, ctx: Context) -> None:
    kept, deleted = new_key(team), new_key(team)
    maintenance = Maintenance(tasks=())
    maintenance.on_notification(CHANNEL, str(deleted))
    maintenance.on_notification(CHANNEL, str(kept))
    team.superuser("delete from public.api_keys where id = %s", [deleted])
    assert await maintenance.flush_usage(ctx) == 1
    assert usage(ctx.pool.url, kept) == 1
    assert maintenance.pending_usage == {}


async def test_stop_records_what_was_counted_since_the_last_pass(team: Team, ctx: Context) -> None:
    key = new_key(team)
    maintenance = Maintenance(tasks=())
    maintenance.on_notification(CHANNEL, f" {key} ")
    await maintenance.stop(ctx)
    assert usage(ctx.pool.url, key) == 1


async def test_each_task_runs_at_the_first_pass_then_waits_for_its_interval(
    db_url: str, ctx: Context
) -> None:
    with Superuser(db_url) as su:
        user = create_user(db_url, "idle@example.com")
        su(
            "update public.profiles set status = 'online', last_activity_at = now() - interval '1 hour' where id = %s",
            [user],
        )
        su("select private.worker_heartbeat('gone:1:aa', 'gone', 1, '{maintenance}', 'v')")
        su("update private.worker_heartbeats set beat_at = now() - interval '2 hours'")
        maintenance = Maintenance()
        assert await maintenance.run_pass(ctx) == len(TASKS)
        assert su.scalar("select status::text from public.profiles where id = %s", [user]) == "offline"
        assert su.scalar("select count(*) from private.worker_heartbeats") == 0

        su("update public.profiles set status = 'online' where id = %s", [user])
        assert await maintenance.run_pass(ctx) == 0  # nothing due before its interval
        assert su.scalar("select status::text from public.profiles where id = %s", [user]) == "online"
    assert ctx.metrics.jobs.labels(worker="maintenance", outcome="succeeded")._value.get() == len(TASKS)


async def test_a_task_another_process_is_running_is_skipped(db_url: str, ctx: Context) -> None:
    (task,) = [t for t in TASKS if t.name == "expire_invitations"]
    maintenance = Maintenance(tasks=(task,))
    with Superuser(db_url) as su:
        su("begin")
        su(
            "select pg_advisory_xact_lock(hashtext('luneo.workers.maintenance'), hashtext(%s))",
            [task.name],
        )
        assert await maintenance.run_task(ctx, task) is None
        su("commit")
    assert await maintenance.run_task(ctx, task) == 0


async def test_a_failing_task_does_not_keep_the_others_from_running(db_url: str, ctx: Context) -> None:
    with Superuser(db_url) as su:
        su("select private.worker_heartbeat('gone:1:aa', 'gone', 1, '{maintenance}', 'v')")
        su("update private.worker_heartbeats set beat_at = now() - interval '2 hours'")
        su("alter function private.expire_invitations() rename to expire_invitations_away")
        try:
            with pytest.raises(MaintenanceFailed, match="1 maintenance task"):
                await Maintenance().run_pass(ctx)
        finally:
            su("alter function private.expire_invitations_away() rename to expire_invitations")
        assert su.scalar("select count(*) from private.worker_heartbeats") == 0
    with pytest.raises(QueryFailed):  # the error was the missing function, as the log said
        async with ctx.pool.connection() as conn:
            await conn.execute("select private.expire_invitations_away()")


async def test_only_the_oldest_live_maintenance_process_records_what_every_listener_hears(
    team: Team, ctx: Context
) -> None:
    key = new_key(team)
    younger_ctx = dataclasses.replace(ctx, worker_id="test:2:00000000")
    first, second = Maintenance(tasks=()), Maintenance(tasks=())
    # the second process starts after the first: the first is the counter
    sql(ctx.pool.url, "select private.worker_heartbeat('test:2:00000000', 'test', 2, '{maintenance}', 'v')")
    sql(
        ctx.pool.url,
        "update private.worker_heartbeats set started_at = now() + interval '1 second' where pid = 2",
    )
    for worker in (first, second):  # both receive the same two notifications
        worker.on_notification(CHANNEL, str(key))
        worker.on_notification(CHANNEL, str(key))
    assert await second.flush_usage(younger_ctx) == 0
    assert await first.flush_usage(ctx) == 2
    assert usage(ctx.pool.url, key) == 2
    assert second.pending_usage == {}

    # the first stops beating: the second takes over
    sql(
        ctx.pool.url, "update private.worker_heartbeats set beat_at = now() - interval '1 hour' where pid = 1"
    )
    first.on_notification(CHANNEL, str(key))
    second.on_notification(CHANNEL, str(key))
    assert await first.flush_usage(ctx) == 0
    assert await second.flush_usage(younger_ctx) == 1
    assert usage(ctx.pool.url, key) == 3
