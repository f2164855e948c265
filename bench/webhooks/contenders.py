"""The peers' side of bench.webhooks: a standalone script run with the bench's own interpreter
(a virtualenv holding procrastinate and pgqueuer from PyPI, psycopg, asyncpg and httpx).
pgqueuer runs on asyncpg, its first driver: on one psycopg connection its notification
watcher holds the connection for up to a second between notifications, and its queries wait.

    python contenders.py install  procrastinate|pgqueuer          --db-url URL
    python contenders.py worker   procrastinate|pgqueuer          --db-url URL --target URL --concurrency N
    python contenders.py produce  luneo|procrastinate|pgqueuer    --db-url URL --count N [--rate R]
                                  [--organization ID]

* `worker` runs the peer's worker until SIGTERM, with one job: the HTTP POST a Luneo delivery
  makes, the same body signed the same way (Standard Webhooks headers, HMAC-SHA256, the job's id
  as `webhook-id`), through one shared `httpx.AsyncClient` holding at most N connections, with
  explicit timeouts, redirects not followed, a non-2xx answer failing the job, at most N posts
  in flight. N is procrastinate's `concurrency` too; pgqueuer runs with its defaults (batches of
  10, no cap on the jobs it picks: its `max_concurrent_tasks` counts a finished job until its
  buffered status is written, which held it to about 10 jobs a second here).
* `produce` enqueues N payloads with the system's own API and prints, as JSON on stdout, each
  payload's id with the `time.monotonic()` just after its commit: all in one transaction without
  `--rate`, else one transaction each at R per second. For Luneo that is `private.emit_event`
  (which fans the event out to its endpoints' deliveries); for the peers, their defer/enqueue.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg

SECRET = "whsec_" + base64.b64encode(b"bench.webhooks: the same secret").decode()
TYPE = "order.created"
DATA = {
    "order": {
        "id": "3f6b1c9e-2d4a-4f7e-9c1b-8a5d2e7f4b10",
        "number": "LU-2026-000042",
        "status": "pending",
        "currency": "EUR",
        "total_cents": 129000,
        "items": [{"product_id": "b1e2c3d4-0000-4000-8000-000000000001", "quantity": 1}],
    }
}
ENTRYPOINT = "post_webhook"
SLOTS = asyncio.Semaphore(16)
"""Posts in flight at once (`--concurrency`). Not left to httpx's pool: its queue of waiting
requests costs time in proportion to its length on every request, and pgqueuer starts every job
it picks at once."""


# -- the job ------------------------------------------------------------------------------------


def client(connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=60.0),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        follow_redirects=False,
        trust_env=False,
    )


def signed_headers(message_id: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


async def post(http: httpx.AsyncClient, target: str, message_id: str, body: bytes) -> None:
    async with SLOTS:
        response = await http.post(target, content=body, headers=signed_headers(message_id, body))
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"the receiver answered {response.status_code}")


def envelope(organization: str) -> tuple[str, bytes]:
    """A payload like the one Luneo sends: its id and its JSON body."""
    event_id = str(uuid.uuid4())
    body = {
        "id": event_id,
        "type": TYPE,
        "timestamp": datetime.now(UTC).isoformat(),
        "organization_id": organization,
        "data": DATA,
    }
    return event_id, json.dumps(body).encode()


# -- the peers' workers -------------------------------------------------------------------------


def procrastinate_app(url: str, **pool: Any) -> Any:
    import procrastinate

    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url, **pool))


async def worker_procrastinate(url: str, target: str, concurrency: int) -> None:
    app = procrastinate_app(url, min_size=2, max_size=concurrency + 2)
    http = client(concurrency)

    @app.task(name=ENTRYPOINT, pass_context=True)
    async def post_webhook(context: Any, body: str) -> None:
        await post(http, target, f"msg_{context.job.id}", body.encode())

    async with app.open_async(), http:
        await app.run_worker_async(concurrency=concurrency, install_signal_handlers=True)


async def worker_pgqueuer(url: str, target: str, concurrency: int) -> None:
    import asyncpg
    from pgqueuer import AsyncpgDriver, Queries, QueueManager
    from pgqueuer.models import Job

    manager = QueueManager(Queries(AsyncpgDriver(await asyncpg.connect(url))))
    http = client(concurrency)

    @manager.entrypoint(ENTRYPOINT)
    async def post_webhook(job: Job) -> None:
        assert job.payload is not None
        await post(http, target, f"msg_{job.id}", job.payload)

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, manager.shutdown.set)
    async with http:
        await manager.run(batch_size=10)


# -- install and produce ------------------------------------------------------------------------


async def install(system: str, url: str) -> None:
    if system == "procrastinate":
        app = procrastinate_app(url)
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
    else:
        import asyncpg
        from pgqueuer import AsyncpgDriver, Queries

        connection = await asyncpg.connect(url)
        await Queries(AsyncpgDriver(connection)).install()
        await connection.close()


async def produce(system: str, url: str, count: int, rate: float | None, organization: str) -> list[Any]:
    """Enqueue `count` payloads; [(id, monotonic time after its commit), ...]."""
    if system == "luneo":
        enqueue = await _luneo_producer(url, organization)
    elif system == "procrastinate":
        enqueue = await _procrastinate_producer(url, organization)
    else:
        enqueue = await _pgqueuer_producer(url, organization)
    noted: list[Any] = []
    if rate is None:
        ids = await enqueue(count)
        committed = time.monotonic()
        noted.extend([i, committed] for i in ids)
        return noted
    started = time.monotonic()
    for n in range(count):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        (event_id,) = await enqueue(1)
        noted.append([event_id, time.monotonic()])
    return noted


async def _luneo_producer(url: str, organization: str) -> Any:
    connection = await psycopg.AsyncConnection.connect(url, autocommit=True)
    data = json.dumps(DATA)

    async def enqueue(count: int) -> list[str]:
        cursor = await connection.execute(
            "select private.emit_event(%s, %s::uuid, %s::jsonb) from generate_series(1, %s)",
            [TYPE, organization, data, count],
        )
        return [str(row[0]) for row in await cursor.fetchall()]

    return enqueue


async def _procrastinate_producer(url: str, organization: str) -> Any:
    app = procrastinate_app(url, min_size=1, max_size=2)
    await app.open_async()

    @app.task(name=ENTRYPOINT)
    async def post_webhook(body: str) -> None:  # the worker's; only deferred here
        raise NotImplementedError

    async def enqueue(count: int) -> list[str]:
        payloads = [envelope(organization) for _ in range(count)]
        if count == 1:
            await post_webhook.defer_async(body=payloads[0][1].decode())
        else:
            await post_webhook.batch_defer_async(*({"body": body.decode()} for _, body in payloads))
        return [event_id for event_id, _ in payloads]

    return enqueue


async def _pgqueuer_producer(url: str, organization: str) -> Any:
    import asyncpg
    from pgqueuer import AsyncpgDriver, Queries

    queries = Queries(AsyncpgDriver(await asyncpg.connect(url)))

    async def enqueue(count: int) -> list[str]:
        payloads = [envelope(organization) for _ in range(count)]
        await queries.enqueue([ENTRYPOINT] * count, [body for _, body in payloads], [0] * count)
        return [event_id for event_id, _ in payloads]

    return enqueue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["install", "worker", "produce"])
    parser.add_argument("system", choices=["luneo", "procrastinate", "pgqueuer"])
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--target")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--rate", type=float)
    parser.add_argument("--organization", default=str(uuid.uuid4()))
    args = parser.parse_args()
    global SLOTS
    SLOTS = asyncio.Semaphore(args.concurrency)
    if args.action == "install":
        asyncio.run(install(args.system, args.db_url))
    elif args.action == "worker":
        run = worker_procrastinate if args.system == "procrastinate" else worker_pgqueuer
        asyncio.run(run(args.db_url, args.target, args.concurrency))
    else:
        noted = asyncio.run(produce(args.system, args.db_url, args.count, args.rate, args.organization))
        json.dump(noted, sys.stdout)


if __name__ == "__main__":
    main()
