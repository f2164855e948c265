"""The webhooks worker in the runtime, against real receivers on loopback: signed deliveries that
the reference library verifies, retries until a success with the same webhook-id, SSRF refusals
recorded, leases given back on shutdown.

Real Postgres, a real HTTP server (pytest-httpserver) and the runner in the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from werkzeug import Request, Response

from luneo.core.db import Pool, QueryFailed
from luneo.workers.base import Context
from luneo.workers.metrics import Metrics
from luneo.workers.webhooks.recorder import Recorder
from luneo.workers.webhooks.worker import WebhooksWorker
from tests.support.runner import make_runner, running, settings, sql, wait_for
from tests.support.webhooks import SECRET, endpoint, organisation


def emit(url: str, org: uuid.UUID, data: dict[str, Any]) -> uuid.UUID:
    ((event_id,),) = sql(url, "select private.emit_event('order.created', %s, %s)", [org, json.dumps(data)])
    return event_id


def delivery(url: str, event_id: uuid.UUID) -> tuple[Any, ...]:
    ((row,),) = [
        sql(
            url,
            "select status::text, attempts, last_status_code from public.webhook_deliveries where event_id = %s",
            [event_id],
        )
    ]
    return row


def attempts(url: str, event_id: uuid.UUID) -> list[tuple[Any, ...]]:
    return sql(
        url,
        "select h.attempt, h.status_code, h.error from public.webhook_history as h"
        " join public.webhook_deliveries as d on d.id = h.delivery_id where d.event_id = %s order by h.attempt",
        [event_id],
    )


async def test_a_receiver_failing_three_times_then_succeeding_gets_one_success_with_one_id(
    db_url: str, httpserver: HTTPServer
) -> None:
    received: list[Request] = []
    answers = iter([500, 503, 502, 204])

    def handler(request: Request) -> Response:
        received.append(request)
        return Response(status=next(answers))

    httpserver.expect_request("/hooks", method="POST").respond_with_handler(handler)
    org = organisation(db_url)
    endpoint(db_url, org, httpserver.url_for("/hooks"))
    event = emit(db_url, org, {"order": {"id": "o-1"}})

    runner = make_runner(db_url, [WebhooksWorker()], webhooks_allow_http_loopback=True, poll_interval=0.2)
    async with running(runner):
        for expected in (1, 2, 3):
            await wait_for(lambda n=expected: len(received) >= n)
            await wait_for(lambda n=expected: len(attempts(db_url, event)) >= n)
            # skip the schedule's wait (5 s, 5 min, 30 min): the retry is due now
            sql(
                db_url,
                "update public.webhook_deliveries set next_attempt_at = now() where event_id = %s and status = 'pending'",
                [event],
            )
        await wait_for(lambda: delivery(db_url, event)[0] == "succeeded")
        await asyncio.sleep(0.5)  # nothing more comes

    assert len(received) == 4
    ids = {r.headers["webhook-id"] for r in received}
    assert len(ids) == 1
    assert ids.pop().startswith("msg_")
    for request in received:
        payload = Webhook(SECRET).verify(request.get_data(), dict(request.headers))
        assert payload["id"] == str(event)
        assert payload["type"] == "order.created"
        assert payload["data"] == {"order": {"id": "o-1"}}
    assert [a[:2] for a in attempts(db_url, event)] == [(1, 500), (2, 503), (3, 502), (4, 204)]
    assert delivery(db_url, event) == ("succeeded", 4, 204)


async def test_addresses_the_ssrf_guard_refuses_are_recorded_and_never_reached(db_url: str) -> None:
    org = organisation(db_url)
    targets = [
        "https://127.0.0.1/x",
        "https://10.0.0.1/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "http://hooks.example.com/x",
    ]
    for target in targets:
        endpoint(db_url, org, target)
    event = emit(db_url, org, {})

    runner = make_runner(db_url, [WebhooksWorker()], poll_interval=0.2)
    async with running(runner):
        await wait_for(
            lambda: (
                sql(db_url, "select count(*) from public.webhook_history where organization_id = %s", [org])[
                    0
                ][0]
                == len(targets)
            )
        )
    errors = sql(
        db_url,
        "select h.error, h.status_code from public.webhook_history as h where h.organization_id = %s",
        [org],
    )
    assert all(status is None for _, status in errors)
    assert all(error.startswith("refused by the SSRF guard") for error, _ in errors), errors
    assert event is not None


async def test_a_stop_gives_in_flight_deliveries_back_at_once(db_url: str, httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(3)  # still answering when the runner is told to stop
        return Response(status=200)

    httpserver.expect_request("/slow", method="POST").respond_with_handler(slow)
    org = organisation(db_url)
    endpoint(db_url, org, httpserver.url_for("/slow"))
    event = emit(db_url, org, {})
    runner = make_runner(
        db_url, [WebhooksWorker()], webhooks_allow_http_loopback=True, poll_interval=0.2, shutdown_timeout=0.3
    )
    async with running(runner):
        await wait_for(
            lambda: (
                sql(db_url, "select leased_by from public.webhook_deliveries where event_id = %s", [event])[
                    0
                ][0]
                is not None
            )
        )
    (row,) = sql(
        db_url,
        "select status::text, attempts, leased_by, next_attempt_at <= now() from public.webhook_deliveries where event_id = %s",
        [event],
    )
    # forced past the 0.3 s timeout: the lease is released, due at once, the attempt not counted
    assert row == ("pending", 0, None, True)


async def test_attempts_that_finish_together_are_written_in_one_transaction(db_url: str) -> None:
    org = organisation(db_url)
    endpoint(db_url, org, "https://hooks.example.com/x")
    for n in range(40):
        emit(db_url, org, {"n": n})
    claimed = sql(db_url, "select delivery_id, attempt from private.claim_webhook_deliveries('w1', 100, 60)")
    assert len(claimed) == 40

    def attempt(delivery_id: uuid.UUID, number: Any, status: int) -> dict[str, Any]:
        return {
            "delivery_id": str(delivery_id), "worker_id": "w1", "attempt": number, "status_code": status,
            "response_body": "", "duration_ms": 1, "error": None, "retry_after_seconds": None,
        }  # fmt: skip

    async with Pool(db_url) as pool:
        recorder = Recorder(pool)
        # a batch the function refuses: each of its callers gets the error, nothing is written
        broken = await asyncio.gather(
            *(recorder.record(attempt(d, "not a number", 204)) for d, _ in claimed[:2]),
            return_exceptions=True,
        )
        assert all(isinstance(outcome, QueryFailed) for outcome in broken)
        assert sql(db_url, "select count(*) from public.webhook_history") == [(0,)]

        outcomes = await asyncio.gather(
            *(
                recorder.record(attempt(d, number, 204 if i % 2 else 500))
                for i, (d, number) in enumerate(claimed)
            )
        )
        await recorder.wait_written()
    assert outcomes == ["succeeded" if i % 2 else "retry" for i in range(40)]
    # history rows written by one transaction share its id (xmin)
    assert sql(db_url, "select count(*), count(distinct xmin::text) from public.webhook_history") == [(40, 1)]


async def test_deliveries_claimed_ahead_wait_for_a_slot_and_go_back_when_stale(db_url: str) -> None:
    # a receiver that holds every answer until told: 2 slots busy, 2 deliveries claimed ahead
    held: list[asyncio.Future[None]] = []
    received: list[str] = []
    handlers: set[asyncio.Task[Any]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode().split("\r\n")[1:]
                fields = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines if line)}
                await reader.readexactly(int(fields["content-length"]))
                received.append(fields["webhook-id"])
                answer = asyncio.get_running_loop().create_future()
                held.append(answer)
                await answer
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def answer_all() -> None:
        for answer in held:
            if not answer.done():
                answer.set_result(None)

    def leased() -> list[tuple[Any, ...]]:
        return sql(
            db_url,
            "select attempts from public.webhook_deliveries where status = 'pending' and leased_by = 'w1'",
        )

    def recorded() -> int:
        return sql(db_url, "select count(*) from public.webhook_history")[0][0]

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    org = organisation(db_url)
    endpoint(db_url, org, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks")
    for n in range(6):
        emit(db_url, org, {"n": n})
    worker = WebhooksWorker()
    options = settings(concurrency=2, lease_seconds=1.0, webhooks_allow_http_loopback=True)
    try:
        async with server, Pool(db_url) as pool:
            ctx = Context(pool, "w1", options, asyncio.Event(), asyncio.Semaphore(2), Metrics())
            await worker.start(ctx)
            assert await worker.run_pass(ctx) == 4  # 2 started, 2 ahead, all leased
            assert len(leased()) == 4
            await wait_for(lambda: len(held) == 2)
            await asyncio.sleep(0.6)  # the 2 ahead have now waited more than half their 1 s lease
            answer_all()
            await wait_for(lambda: recorded() == 2)
            # the next pass gives the stale ones back (the attempt uncounted), then claims afresh
            assert await worker.run_pass(ctx) == 4
            assert sorted(attempts for (attempts,) in leased()) == [1, 1, 1, 1]
            while recorded() < 6:
                answer_all()
                await worker.run_pass(ctx) if not ctx.limiter.locked() else await asyncio.sleep(0.02)
            await worker.drain(ctx)
            await worker.stop(ctx)
    finally:
        for answer in held:
            answer.cancel()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
    assert len(received) == len(set(received)) == 6  # each sent once
    assert sql(db_url, "select count(*) from public.webhook_deliveries where status = 'succeeded'") == [(6,)]
    assert sql(db_url, "select distinct attempt from public.webhook_history") == [(1,)]
