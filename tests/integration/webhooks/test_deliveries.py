"""The workers' side of webhook deliveries, in SQL: claims with skip locked and a lease, the
retry schedule, Retry-After, dead deliveries, 410 and five days of failures disabling the
endpoint, stale attempts after a lost lease, release on shutdown, replay by the operator.

Real Postgres and real concurrent connections; the functions are called as the workers call
them (superuser connection standing in for the worker's role).
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tests.support.team import Team

URL = "https://hooks.example.com/luneo"


def endpoint(team: Team, **values: Any) -> dict:
    row = {"organization_id": team.org_id, "url": URL} | values
    (created,) = team.superuser(
        "insert into public.webhook_endpoints (organization_id, url) values (%s, %s) returning *",
        [row["organization_id"], row["url"]],
    )
    team.superuser(
        "insert into private.webhook_endpoint_secrets (endpoint_id, secret) values (%s, %s)",
        [created["id"], "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )
    return created


def emit(team: Team, event_type: str = "order.created", data: dict | None = None) -> str:
    (row,) = team.superuser(
        "select private.emit_event(%s, %s, %s)::text as id", [event_type, team.org_id, json.dumps(data or {})]
    )
    return row["id"]


def claim(team: Team, worker: str = "w1", max_deliveries: int = 10, lease: int = 60) -> list[dict]:
    return team.superuser(
        "select * from private.claim_webhook_deliveries(%s, %s, %s)", [worker, max_deliveries, lease]
    )


def record(team: Team, claimed: dict, worker: str = "w1", status: int | None = 500, **extra: Any) -> str:
    (row,) = team.superuser(
        "select private.record_webhook_attempt(%s, %s, %s, %s, %s, %s, %s, %s) as outcome",
        [
            claimed["delivery_id"],
            worker,
            claimed["attempt"],
            status,
            extra.get("body", "nope"),
            12,
            extra.get("error"),
            extra.get("retry_after"),
        ],
    )
    return row["outcome"]


def delivery(team: Team, delivery_id: Any) -> dict:
    (row,) = team.superuser(
        "select *, extract(epoch from next_attempt_at - now()) as due_in from public.webhook_deliveries"
        " where id = %s",
        [delivery_id],
    )
    return row


def make_due(team: Team, delivery_id: Any) -> None:
    team.superuser(
        "update public.webhook_deliveries set next_attempt_at = now() where id = %s", [delivery_id]
    )


# =============================================================================================
# claiming
# =============================================================================================


def test_a_claim_returns_what_signing_needs_and_leases_the_delivery(team: Team) -> None:
    hook = endpoint(team)
    event = emit(team, "order.paid", {"order": {"id": "o1", "total_amount": 4200}})

    (claimed,) = claim(team, lease=30)
    assert claimed["attempt"] == 1
    assert claimed["url"] == URL
    assert claimed["secrets"] == ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    assert str(claimed["endpoint_id"]) == str(hook["id"])
    body = json.loads(claimed["payload"])
    assert body["id"] == event
    assert body["type"] == "order.paid"
    assert body["organization_id"] == str(team.org_id)
    assert body["data"] == {"order": {"id": "o1", "total_amount": 4200}}
    assert body["timestamp"].endswith("+00:00")

    leased = delivery(team, claimed["delivery_id"])
    assert leased["leased_by"] == "w1"
    assert 25 < leased["due_in"] <= 30
    assert claim(team) == []  # leased: not due


def test_concurrent_claims_never_take_the_same_delivery(team: Team) -> None:
    endpoint(team)
    for _ in range(60):
        emit(team)
    taken: dict[str, list[str]] = {}
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        with psycopg.connect(team.url, autocommit=True, row_factory=dict_row) as conn:
            barrier.wait()
            got: list[str] = []
            while rows := conn.execute(
                "select delivery_id::text from private.claim_webhook_deliveries(%s, 7, 60)", [name]
            ).fetchall():
                got += [r["delivery_id"] for r in rows]
            taken[name] = got

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [d for got in taken.values() for d in got]
    assert len(every) == 60
    assert len(set(every)) == 60


def test_a_lease_that_runs_out_makes_the_delivery_due_again_and_the_late_attempt_stale(team: Team) -> None:
    endpoint(team)
    emit(team)
    (first,) = claim(team, "crashed", lease=60)
    make_due(team, first["delivery_id"])  # the lease ran out: the worker died mid-delivery

    (second,) = claim(team, "w2")
    assert second["delivery_id"] == first["delivery_id"]
    assert second["attempt"] == 2
    assert record(team, first, "crashed", 200) == "stale"
    assert delivery(team, first["delivery_id"])["status"] == "pending"
    assert record(team, second, "w2", 204) == "succeeded"
    done = delivery(team, first["delivery_id"])
    assert (done["status"], done["next_attempt_at"], done["leased_by"]) == ("succeeded", None, None)
    attempts = team.superuser(
        "select attempt, status_code, worker_id from public.webhook_history where delivery_id = %s order by id",
        [first["delivery_id"]],
    )
    assert attempts == [
        {"attempt": 1, "status_code": 200, "worker_id": "crashed"},
        {"attempt": 2, "status_code": 204, "worker_id": "w2"},
    ]


def test_release_gives_leased_deliveries_back_at_once_without_counting_an_attempt(team: Team) -> None:
    endpoint(team)
    emit(team)
    emit(team)
    claimed = claim(team, "stopping")
    assert len(claimed) == 2
    (released,) = team.superuser("select private.release_webhook_deliveries('stopping') as n")
    assert released["n"] == 2
    again = claim(team, "w2")
    assert sorted(c["delivery_id"] for c in again) == sorted(c["delivery_id"] for c in claimed)
    assert {c["attempt"] for c in again} == {1}


def test_a_batch_of_attempts_is_recorded_in_one_call_with_each_outcome(team: Team) -> None:
    endpoint(team)
    for _ in range(3):
        emit(team)
    ok, failing, lost = claim(team, "w1")
    make_due(team, lost["delivery_id"])
    (taken_over,) = claim(team, "w2")  # lost's lease ran out: w1's attempt at it is stale
    assert taken_over["delivery_id"] == lost["delivery_id"]
    unknown = str(uuid.uuid4())

    def attempt(claimed: dict, status: int | None, error: str | None = None) -> dict:
        return {
            "delivery_id": str(claimed["delivery_id"]), "worker_id": "w1", "attempt": claimed["attempt"],
            "status_code": status, "response_body": "", "duration_ms": 3, "error": error,
            "retry_after_seconds": None,
        }  # fmt: skip

    batch = [attempt(ok, 204), attempt(failing, None, "timeout: read"), attempt(lost, 200)]
    batch.append(attempt({"delivery_id": unknown, "attempt": 1}, 200))
    rows = team.superuser("select * from private.record_webhook_attempts(%s::jsonb)", [json.dumps(batch)])
    assert {str(r["delivery_id"]): r["outcome"] for r in rows} == {
        str(ok["delivery_id"]): "succeeded",
        str(failing["delivery_id"]): "retry",
        str(lost["delivery_id"]): "stale",
        unknown: "stale",
    }
    assert delivery(team, ok["delivery_id"])["status"] == "succeeded"
    retried = delivery(team, failing["delivery_id"])
    assert (retried["status"], retried["last_error"]) == ("pending", "timeout: read")
    assert 4 < retried["due_in"] <= 6
    assert delivery(team, lost["delivery_id"])["leased_by"] == "w2"  # the state stays the new holder's
    history = team.superuser("select count(*) as n from public.webhook_history where worker_id = 'w1'")
    assert history == [{"n": 3}]


# =============================================================================================
# the schedule
# =============================================================================================


def test_failures_follow_the_schedule_then_the_delivery_is_dead(team: Team) -> None:
    endpoint(team)
    emit(team)
    expected = [5, 300, 1800, 7200, 18000, 36000, 36000]
    for attempt, wait in enumerate(expected, start=1):
        (claimed,) = claim(team)
        assert claimed["attempt"] == attempt
        assert record(team, claimed, status=500) == "retry"
        state = delivery(team, claimed["delivery_id"])
        assert state["status"] == "pending"
        assert wait * 0.89 <= state["due_in"] <= wait * 1.11, (attempt, state["due_in"])
        make_due(team, claimed["delivery_id"])
    (last,) = claim(team)
    assert last["attempt"] == 8
    assert record(team, last, status=None, error="timeout: no answer in 15 s") == "dead"
    dead = delivery(team, last["delivery_id"])
    assert (dead["status"], dead["next_attempt_at"], dead["last_error"]) == (
        "dead",
        None,
        "timeout: no answer in 15 s",
    )
    assert claim(team) == []


def test_retry_after_on_429_and_503_is_a_minimum_within_ten_hours(team: Team) -> None:
    endpoint(team)
    emit(team)
    (claimed,) = claim(team)
    assert record(team, claimed, status=429, retry_after=120) == "retry"
    assert 119 <= delivery(team, claimed["delivery_id"])["due_in"] <= 121
    make_due(team, claimed["delivery_id"])
    (claimed,) = claim(team)
    assert record(team, claimed, status=503, retry_after=10**9) == "retry"
    assert 35990 <= delivery(team, claimed["delivery_id"])["due_in"] <= 36001
    make_due(team, claimed["delivery_id"])
    (claimed,) = claim(team)
    # shorter than the schedule's wait (30 min at attempt 3): the schedule wins
    assert record(team, claimed, status=429, retry_after=1) == "retry"
    assert delivery(team, claimed["delivery_id"])["due_in"] > 1500
    make_due(team, claimed["delivery_id"])
    (claimed,) = claim(team)
    # a 500's Retry-After is not a rate limit: ignored
    assert record(team, claimed, status=500, retry_after=30000) == "retry"
    assert delivery(team, claimed["delivery_id"])["due_in"] < 7200 * 1.11


def test_a_response_body_is_kept_up_to_20_kb(team: Team) -> None:
    endpoint(team)
    emit(team)
    (claimed,) = claim(team)
    record(team, claimed, status=500, body="é" * 15000)
    (attempt,) = team.superuser(
        "select octet_length(response_body) as n from public.webhook_history where delivery_id = %s",
        [claimed["delivery_id"]],
    )
    assert attempt["n"] == 20480


def test_410_disables_the_endpoint_and_emits_webhook_endpoint_disabled(team: Team) -> None:
    hook = endpoint(team)
    watcher = endpoint(team)
    team.superuser(
        "update public.webhook_endpoints set event_types = '{webhook_endpoint.*}' where id = %s",
        [watcher["id"]],
    )
    emit(team)
    emit(team)
    (first, second) = claim(team, max_deliveries=1) + claim(team, max_deliveries=1, worker="w1")
    assert record(team, first, status=410) == "disabled"
    state = team.superuser(
        "select active, disabled_reason from public.webhook_endpoints where id = %s", [hook["id"]]
    )
    assert state == [{"active": False, "disabled_reason": "gone"}]
    assert delivery(team, first["delivery_id"])["status"] == "dead"
    assert delivery(team, second["delivery_id"])["status"] == "dead"  # abandoned with the endpoint
    (event,) = team.superuser(
        "select data from private.events where type = 'webhook_endpoint.disabled' and organization_id = %s",
        [team.org_id],
    )
    assert event["data"]["reason"] == "gone"
    assert event["data"]["webhook_endpoint"]["id"] == str(hook["id"])
    assert team.superuser(
        "select count(*) as n from public.webhook_deliveries where endpoint_id = %s", [watcher["id"]]
    ) == [{"n": 1}]


def test_five_days_of_failures_without_a_success_disable_the_endpoint(team: Team) -> None:
    hook = endpoint(team)
    emit(team)
    (claimed,) = claim(team)
    assert record(team, claimed, status=500) == "retry"
    (state,) = team.superuser(
        "select failing_since from public.webhook_endpoints where id = %s", [hook["id"]]
    )
    assert state["failing_since"] is not None
    team.superuser(
        "update public.webhook_endpoints set failing_since = now() - interval '5 days 1 minute' where id = %s",
        [hook["id"]],
    )
    make_due(team, claimed["delivery_id"])
    (claimed,) = claim(team)
    assert record(team, claimed, status=502) == "disabled"
    assert team.superuser(
        "select disabled_reason from public.webhook_endpoints where id = %s", [hook["id"]]
    ) == [{"disabled_reason": "failing"}]


def test_a_success_clears_the_failure_clock(team: Team) -> None:
    hook = endpoint(team)
    emit(team)
    emit(team)
    first, second = claim(team)
    record(team, first, status=500)
    record(team, second, status=200)
    assert team.superuser(
        "select failing_since from public.webhook_endpoints where id = %s", [hook["id"]]
    ) == [{"failing_since": None}]


def test_the_operator_replays_dead_deliveries_of_active_endpoints(team: Team) -> None:
    live, paused = endpoint(team), endpoint(team)
    emit(team)
    team.superuser(
        "update public.webhook_deliveries set status = 'dead', next_attempt_at = null, completed_at = now()"
    )
    team.superuser("update public.webhook_endpoints set active = false where id = %s", [paused["id"]])
    (replayed,) = team.superuser("select private.replay_dead_webhook_deliveries(%s) as n", [team.org_id])
    assert replayed["n"] == 1
    (claimed,) = claim(team)
    assert str(claimed["endpoint_id"]) == str(live["id"])
    assert claimed["attempt"] == 1


def test_pruning_keeps_pending_deliveries_and_recent_events(team: Team) -> None:
    endpoint(team)
    old_done, old_pending, recent = emit(team), emit(team), emit(team)
    team.superuser(
        "update public.webhook_deliveries set status = 'succeeded', next_attempt_at = null,"
        " completed_at = now() - interval '40 days' where event_id = %s",
        [old_done],
    )
    team.superuser(
        "update private.events set created_at = now() - interval '40 days' where id = any(%s::uuid[])",
        [[old_done, old_pending]],
    )
    (pruned,) = team.superuser("select private.prune_events(interval '30 days', 1000) as n")
    assert pruned["n"] == 2  # the finished delivery, then its event
    left = {
        r["id"]
        for r in team.superuser(
            "select id::text from private.events where organization_id = %s", [team.org_id]
        )
    }
    assert old_done not in left
    assert {old_pending, recent} <= left
    assert uuid.UUID(old_pending)
