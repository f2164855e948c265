"""Stripe webhooks: events received (signature checked, stored) and applied per second, and the
receive latency, by `luneo stripe serve` on this machine.

Prints JSON, all figures from one run in one database (`luneo_bench_stripe`, created afresh and
migrated by luneo's own apply, on the embedded server under .luneo/bench unless
LUNEO_BENCH_DATABASE_URL names another). The server is `luneo stripe serve` in a process of its
own (the receiver and the stripe worker), fed over loopback HTTP with events built with Stripe's
object shapes and signed with Stripe's scheme (tests/support/stripe_events.py):
`--organizations` organisations, each with a linked customer and a subscription to a plan, then a
stream of what a live account sends: subscription updates (seats, renewals), invoices finalized
and paid, payment methods attached, unknown types.

  * receive: `--count` events posted with `--concurrency` requests in flight; events per second
    from the first post to the last 200, and each post's latency (p50, p99, max).
  * applied: `--count` events stored at once in one transaction, then applied by the worker
    alone: events per second from the commit to the last applied (`applied_per_second`, the
    target's figure). `end_to_end_per_second`: the receive run's events, from the first post to
    the last applied, the receiver and the worker sharing the machine's two cores.
  * every event must end applied or ignored: `not_applied` and `missing` (not in the inbox), 0
    expected; the receive run's second half is posted twice, as Stripe's retries do, and must
    change nothing.

Target: at least 1,000 events per second applied.

    .venv/bin/python -m bench.stripe [--count 10000] [--concurrency 32] [--organizations 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import psycopg

from bench import _common
from tests.support import stripe_events as s

DATABASE = "luneo_bench_stripe"
APPLIED_TARGET = 1000


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Account:
    """A Stripe account's worth of organisations, customers and subscriptions, and the events
    their life makes."""

    def __init__(self, organizations: list[uuid.UUID], seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.clock = int(time.time())
        self.product = s.product("pro", seats="50")
        self.price = s.price(self.product["id"])
        self.customers = [s.customer(org) for org in organizations]
        self.subscriptions = [s.subscription(c["id"], self.price) for c in self.customers]

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def setup(self) -> list[dict[str, Any]]:
        return [
            s.event("product.created", self.product, created=self.tick()),
            s.event("price.created", self.price, created=self.tick()),
            *(s.event("customer.created", c, created=self.tick()) for c in self.customers),
            *(
                s.event("customer.subscription.created", sub, created=self.tick())
                for sub in self.subscriptions
            ),
        ]

    def next(self) -> dict[str, Any]:
        i = self.random.randrange(len(self.customers))
        cus, sub = self.customers[i], self.subscriptions[i]
        kind = self.random.random()
        if kind < 0.4:
            sub["items"]["data"][0]["quantity"] = self.random.randint(1, 80)
            return s.event("customer.subscription.updated", sub, created=self.tick())
        if kind < 0.6:
            return s.event("invoice.finalized", s.invoice(cus["id"], sub["id"]), created=self.tick())
        if kind < 0.8:
            return s.event(
                "invoice.paid", s.invoice(cus["id"], sub["id"], status="paid"), created=self.tick()
            )
        if kind < 0.95:
            return s.event("payment_method.attached", s.payment_method(cus["id"]), created=self.tick())
        return s.event("balance.available", {"id": "bal", "object": "balance"}, created=self.tick())


def organisations(url: str, count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.cursor().executemany(
            "insert into public.organizations (id, name, slug) values (%s, %s, %s)",
            [(org, f"Brand {n}", f"bench-{org.hex[:12]}") for n, org in enumerate(ids)],
        )
    return ids


def outstanding(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("select count(*) from private.stripe_events where status = 'pending'").fetchone()[
            0
        ]


def wait_applied(url: str, timeout: float = 600.0) -> float:
    """Waits until no event is pending; when that was seen (monotonic)."""
    deadline = time.monotonic() + timeout
    while outstanding(url):
        if time.monotonic() > deadline:
            raise SystemExit("events still pending after the timeout: see .luneo/bench/stripe-server.log")
        time.sleep(0.02)
    return time.monotonic()


async def post_all(base: str, bodies: list[bytes], concurrency: int) -> list[float]:
    """Posts every body (signed at send time), `concurrency` keep-alive connections in flight;
    each post's latency. A bare HTTP/1.1 client on asyncio streams: an HTTP library's own CPU
    (httpx spends about 1 ms a request) would make this client, on the same two cores, the
    bottleneck being measured."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    pending = list(reversed(bodies))

    async def poster() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while pending:
                body = pending.pop()
                head = (
                    f"POST /stripe/webhook HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
                    f"stripe-signature: {s.sign(body)}\r\ncontent-length: {len(body)}\r\n\r\n"
                ).encode()
                started = time.monotonic()
                writer.write(head + body)
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
                latencies.append(time.monotonic() - started)
                if b" 200 " not in status_line:
                    raise SystemExit(
                        f"the receiver answered {status_line.decode().strip()}: {answer.decode()}"
                    )
        finally:
            writer.close()

    await asyncio.gather(*(poster() for _ in range(concurrency)))
    return latencies


def serve(url: str, port: int) -> subprocess.Popen[str]:
    """`luneo stripe serve` in a process of its own; its output in .luneo/bench/stripe-server.log."""
    log_path = _common.REPO / ".luneo" / "bench" / "stripe-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "STRIPE_WEBHOOK_SECRET": s.SECRET, "LUNEO_WORKER_POLL_INTERVAL": "1"}
    command = [sys.executable, "-m", "luneo.cli.main", "stripe", "serve"]
    command += ["--db-url", url, "--port", str(port)]
    with log_path.open("w") as log:  # the child keeps its own descriptor
        return subprocess.Popen(command, cwd=_common.REPO, env=env, stdout=log, stderr=log, text=True)


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("luneo stripe serve did not become healthy: see .luneo/bench/stripe-server.log")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(url: str, count: int, concurrency: int, organizations: int) -> dict[str, Any]:
    """The figures, measured on the migrated database at `url`."""
    account = Account(organisations(url, organizations))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = serve(url, port)
    try:
        wait_ready(base)
        progress("setup: plan, customers, subscriptions")
        asyncio.run(post_all(base, [s.body(e) for e in account.setup()], concurrency))
        wait_applied(url)

        progress(f"receive and apply: {count} events, {concurrency} posts in flight")
        events = [account.next() for _ in range(count)]
        bodies = [s.body(e) for e in events]
        bodies += bodies[len(bodies) // 2 :]  # Stripe's retries: the second half sent twice
        started = time.monotonic()
        latencies = asyncio.run(post_all(base, bodies, concurrency))
        received = time.monotonic()
        applied = wait_applied(url)

        progress(f"apply only: {count} events stored in one transaction")
        stored = [account.next() for _ in range(count)]
        with psycopg.connect(url) as conn:
            conn.execute(
                "select private.receive_stripe_events(%s::jsonb[])", [[json.dumps(e) for e in stored]]
            )
            conn.commit()
            committed = time.monotonic()
            conn.execute("select pg_notify('luneo_stripe', '')")
            conn.commit()
        apply_only = wait_applied(url)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    with psycopg.connect(url) as conn:
        (server_version,) = conn.execute("show server_version").fetchone()
        ids = [e["id"] for e in events + stored]
        counts = dict(
            conn.execute(
                "select status, count(*) from private.stripe_events where id = any(%s) group by 1", [ids]
            ).fetchall()
        )
    applied_per_second = round(count / (apply_only - committed))
    return {
        "benchmark": "stripe_webhooks",
        "server_version": server_version,
        "events": count,
        "posts": len(bodies),
        "concurrency": concurrency,
        "organizations": organizations,
        "received_per_second": round(len(bodies) / (received - started)),
        "receive_latency_ms": {
            "p50": round(_common.percentile_ms(latencies, 50), 2),
            "p99": round(_common.percentile_ms(latencies, 99), 2),
            "max": round(max(latencies) * 1000, 2),
        },
        "applied_per_second": applied_per_second,
        "end_to_end_per_second": round(count / (applied - started)),
        "outcomes": counts,
        "not_applied": sum(n for status, n in counts.items() if status not in ("applied", "ignored")),
        "missing": len(ids) - sum(counts.values()),
        "targets": {
            "applied_per_second": APPLIED_TARGET,
            "meets_applied": applied_per_second >= APPLIED_TARGET,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="events of each run")
    parser.add_argument("--concurrency", type=int, default=32, help="posts in flight")
    parser.add_argument("--organizations", type=int, default=200, help="organisations (customers)")
    args = parser.parse_args()
    progress(f"creating {DATABASE}")
    url = _common.kept_database(_common.server(), DATABASE, lambda _: None, reseed=True)
    print(json.dumps(run(url, args.count, args.concurrency, args.organizations), indent=2))


if __name__ == "__main__":
    main()
