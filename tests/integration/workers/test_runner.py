"""The worker runtime against a real Postgres: when passes run (start, NOTIFY, reconnect), a
failing pass, graceful and forced shutdown, the health and metrics endpoint over real HTTP."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from luneo.core.db import with_database
from luneo.core.errors import ConfigError
from tests.support.pg import dbname
from tests.support.runner import CHANNEL, Probe, make_runner, notify, running, sql, wait_for


async def test_a_pass_runs_at_start_after_a_notify_and_after_a_reconnect(db_url: str) -> None:
    probe = Probe()
    runner = make_runner(db_url, [probe])
    async with running(runner):
        await wait_for(lambda: probe.passes == 1)
        assert probe.events == ["start"]

        notify(db_url, CHANNEL, "hello")
        await wait_for(lambda: probe.passes == 2)
        assert probe.notes == [(CHANNEL, "hello")]

        assert runner.listener is not None
        dropped = runner.listener.backend_pid
        sql(db_url, "select pg_terminate_backend(%s)", [dropped])
        await wait_for(lambda: probe.passes == 3)  # the claim pass after the reconnection
        assert runner.listener.connections == 2
        assert runner.listener.backend_pid not in (None, dropped)

        notify(db_url, CHANNEL, "after")  # and the new connection listens
        await wait_for(lambda: probe.passes == 4)
        assert probe.notes[-1] == (CHANNEL, "after")
    assert probe.events == ["start", "drain", "stop"]


async def test_nothing_wakes_a_worker_of_another_channel(db_url: str) -> None:
    probe = Probe()
    async with running(make_runner(db_url, [probe])):
        await wait_for(lambda: probe.passes == 1)
        notify(db_url, "luneo_api_key_usage", "00000000-0000-0000-0000-000000000000")
        notify(db_url, CHANNEL, "mine")
        await wait_for(lambda: probe.passes == 2)
        assert probe.notes == [(CHANNEL, "mine")]


async def test_a_failing_pass_is_logged_and_retried_and_the_loop_lives_on(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    probe = Probe(failures=2)
    runner = make_runner(db_url, [probe])
    with caplog.at_level(logging.ERROR, logger="luneo.workers"):
        async with running(runner):
            await wait_for(lambda: probe.passes == 1)
            body, ok = runner.health()
            assert ok
            assert body["workers"]["probe"]["last_error"] is None
            assert runner.metrics.pass_errors.labels(worker="probe")._value.get() == 2
            assert runner.metrics.passes.labels(worker="probe")._value.get() == 1
            notify(db_url, CHANNEL, "still alive")
            await wait_for(lambda: probe.passes == 2)
    failures = [r for r in caplog.records if r.getMessage().startswith("probe: pass failed")]
    assert len(failures) == 2
    assert all((r.worker, r.action) == ("probe", "pass") for r in failures)
    assert "RuntimeError: probe pass failed on purpose" in failures[0].error


async def test_graceful_shutdown_waits_for_the_job_in_flight_then_stops(db_url: str) -> None:
    probe = Probe()
    probe.hold = True
    runner = make_runner(db_url, [probe])
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(probe.in_pass.wait(), 15)
    runner.request_stop()
    await asyncio.sleep(0.3)
    assert not task.done()  # the job in flight holds the shutdown
    assert runner.health()[0]["status"] == "stopping"
    probe.release.set()
    await asyncio.wait_for(task, 15)
    assert probe.events == ["start", "job done", "drain", "stop"]
    assert probe.passes == 1  # nothing more was claimed once stopping


async def test_shutdown_is_forced_after_the_timeout_and_stop_still_runs(db_url: str) -> None:
    probe = Probe()
    probe.hold = True
    runner = make_runner(db_url, [probe], shutdown_timeout=0.2)
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(probe.in_pass.wait(), 15)
    runner.request_stop()
    await asyncio.wait_for(task, 15)  # never released: cancelled after 0.2 s
    assert probe.events == ["start", "cancelled", "stop"]


async def test_a_second_stop_request_forces_at_once(db_url: str) -> None:
    probe = Probe()
    probe.hold = True
    runner = make_runner(db_url, [probe], shutdown_timeout=600)
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(probe.in_pass.wait(), 15)
    runner.request_stop()
    await asyncio.sleep(0.1)
    assert not task.done()
    runner.request_stop()  # the second SIGTERM/SIGINT
    await asyncio.wait_for(task, 15)
    assert probe.events == ["start", "cancelled", "stop"]


async def test_health_and_metrics_over_http(db_url: str) -> None:
    probe = Probe()
    runner = make_runner(db_url, [probe])
    async with running(runner), httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.port}") as http:
        await wait_for(lambda: probe.passes == 1)
        await wait_for(lambda: runner.metrics.queue_depth.labels(queue="probe")._value.get() == 3)

        health = await http.get("/health")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "ok"
        assert body["worker_id"] == runner.worker_id
        assert body["version"] == runner.version
        assert body["listen"] == {"connected": True, "connections": 1, "channels": [CHANNEL]}
        assert body["workers"]["probe"]["last_error"] is None
        assert body["workers"]["probe"]["last_pass_at"] is not None

        metrics = await http.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
        lines = metrics.text.splitlines()
        for expected in (
            "luneo_worker_up 1.0",
            'luneo_worker_passes_total{worker="probe"} 1.0',
            'luneo_worker_pass_errors_total{worker="probe"} 0.0',
            'luneo_jobs_total{outcome="succeeded",worker="probe"} 0.0',
            'luneo_queue_depth{queue="probe"} 3.0',
            'luneo_queue_oldest_age_seconds{queue="probe"} 1.5',
            "luneo_listen_connected 1.0",
            "luneo_worker_database_ok 1.0",
            "luneo_pool_max 10.0",
        ):
            assert expected in lines, expected
        assert any(
            line.startswith('luneo_job_duration_seconds_bucket{le="0.005",worker="probe"}') for line in lines
        )
        assert any(
            line.startswith('luneo_job_duration_seconds_bucket{le="30.0",worker="probe"}') for line in lines
        )

        assert (await http.get("/nothing")).status_code == 404


async def test_health_is_503_while_the_database_is_unreachable(db_url: str, pg_server: str) -> None:
    probe = Probe()
    runner = make_runner(db_url, [probe])
    name = dbname(db_url)
    admin = with_database(pg_server, "postgres")
    async with running(runner), httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.port}") as http:
        await wait_for(lambda: probe.passes == 1)
        assert runner.listener is not None
        try:
            sql(admin, f'alter database "{name}" with allow_connections false')
            sql(admin, "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", [name])
            await wait_for(lambda: not runner.health()[1])
            response = await http.get("/health")
            assert response.status_code == 503
            assert response.json()["status"] == "degraded"
            await wait_for(lambda: runner.metrics.database_ok._value.get() == 0)  # the heartbeat failed
        finally:
            sql(admin, f'alter database "{name}" with allow_connections true')
        await wait_for(lambda: runner.health()[1], timeout=30)
        assert (await http.get("/health")).status_code == 200
        assert runner.listener.connections >= 2


async def test_a_database_without_the_schema_is_refused_with_advice(empty_db_url: str) -> None:
    runner = make_runner(empty_db_url, [Probe()])
    with pytest.raises(ConfigError, match=r"no private.worker_heartbeat\(\).*apply the schema first"):
        await runner.run()
