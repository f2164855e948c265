"""The heartbeat row of a worker process: private.worker_heartbeat / worker_stopped /
prune_worker_heartbeats, who may call them, and the runner writing and deleting its row."""

from __future__ import annotations

import os
import socket

import pytest

from tests.support.pg import Superuser, create_user
from tests.support.postgrest import PostgREST, fails
from tests.support.runner import Probe, make_runner, running, wait_for

BEAT = "select private.worker_heartbeat(%s, %s, %s, %s, %s)"


def rows(su: Superuser) -> list[dict]:
    return su("select * from private.worker_heartbeats order by worker_id")


def test_a_heartbeat_inserts_then_moves_beat_at_and_keeps_started_at(db_url: str) -> None:
    with Superuser(db_url) as su:
        su(BEAT, ["h:1:aa", "h", 1, ["maintenance"], "0.1.0"])
        (first,) = rows(su)
        assert (first["hostname"], first["pid"], first["workers"], first["version"]) == (
            "h",
            1,
            ["maintenance"],
            "0.1.0",
        )
        moved = su.scalar(
            "update private.worker_heartbeats set beat_at = beat_at - interval '1 minute' returning beat_at"
        )
        su(BEAT, ["h:1:aa", "h", 1, ["maintenance", "webhooks"], "0.2.0"])
        (second,) = rows(su)
        assert second["started_at"] == first["started_at"]
        assert second["beat_at"] > moved
        assert second["beat_at"] >= second["started_at"]
        assert (second["workers"], second["version"]) == (["maintenance", "webhooks"], "0.2.0")

        assert su.scalar("select private.worker_stopped('h:1:aa')") is True
        assert su.scalar("select private.worker_stopped('h:1:aa')") is False
        assert rows(su) == []


def test_prune_forgets_only_processes_that_stopped_beating(db_url: str) -> None:
    with Superuser(db_url) as su:
        su(BEAT, ["dead:1:aa", "dead", 1, ["maintenance"], "0.1.0"])
        su(BEAT, ["live:2:bb", "live", 2, ["maintenance"], "0.1.0"])
        su(
            "update private.worker_heartbeats set beat_at = now() - interval '2 hours' where hostname = 'dead'"
        )
        assert su.scalar("select private.prune_worker_heartbeats()") == 1
        assert [r["worker_id"] for r in rows(su)] == ["live:2:bb"]
        assert su.scalar("select private.prune_worker_heartbeats(interval '0 seconds')") == 1


def test_a_row_needs_a_name_a_pid_and_workers(db_url: str) -> None:
    with Superuser(db_url) as su:
        for args in (["", "h", 1, ["m"], "v"], ["x", "h", 0, ["m"], "v"], ["x", "h", 1, [], "v"]):
            with pytest.raises(Exception, match="violates check constraint"):
                su(BEAT, args)


@pytest.mark.parametrize(
    "call",
    [
        "select private.worker_heartbeat('x:1:aa', 'x', 1, '{m}', 'v')",
        "select private.worker_stopped('x:1:aa')",
        "select private.prune_worker_heartbeats()",
        "select private.oldest_live_worker('maintenance', interval '30 seconds')",
    ],
)
def test_only_service_role_runs_the_heartbeat_functions(db_url: str, call: str) -> None:
    api = PostgREST(db_url)
    user = create_user(db_url, "someone@example.com")
    fails("42501", api.anon().sql, call, method="POST")
    fails("42501", api.user(user).sql, call, method="POST")
    fails("42501", api.anon().sql, "select * from private.worker_heartbeats")
    fails("42501", api.service_role().sql, "select * from private.worker_heartbeats")
    api.service_role().sql(call, method="POST")


async def test_the_runner_beats_while_it_runs_and_deletes_its_row_when_it_stops(db_url: str) -> None:
    runner = make_runner(db_url, [Probe()], heartbeat_interval=0.1)
    with Superuser(db_url) as su:
        async with running(runner):
            (row,) = rows(su)
            assert row["worker_id"] == runner.worker_id
            assert runner.worker_id.startswith(f"{socket.gethostname()}:{os.getpid()}:")
            assert (row["hostname"], row["pid"], row["workers"]) == (
                socket.gethostname(),
                os.getpid(),
                ["probe"],
            )
            assert row["version"] == runner.version
            first_beat = row["beat_at"]
            await wait_for(lambda: rows(su)[0]["beat_at"] > first_beat)
        assert rows(su) == []
