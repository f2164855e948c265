"""Webhook delivery: Luneo's worker against procrastinate and pgqueuer running the same HTTP POST job.

Prints JSON, all figures from one run in one database (`luneo_bench_webhooks`, created afresh
and migrated by luneo's own apply, on the embedded server under .luneo/bench unless
LUNEO_BENCH_DATABASE_URL names another). procrastinate and pgqueuer are installed from PyPI into
the bench's own virtualenv (.luneo/bench/peers, made on first use), which also runs the loopback
receiver (bench/webhooks/receiver.py) and the peers' side (bench/webhooks/contenders.py).

Each system in turn, its worker a process of its own at the same concurrency (16 by default,
Luneo's default), every job a signed POST of the same kind of body to the receiver:

  * luneo: `luneo worker run --only webhooks`, an organisation with one endpoint (every event
    type); an event is `private.emit_event`, which writes the event and its delivery.
  * procrastinate: its worker (`run_worker_async`, LISTEN/NOTIFY on), one task.
  * pgqueuer: its `QueueManager` (batches of 10, its default), one entrypoint.

Figures per system, after a warm-up of 200 jobs:

  * throughput: `--count` jobs enqueued in one transaction while the worker waits; deliveries per
    second from that commit to the last receipt.
  * latency: jobs enqueued one transaction each at a fixed `--rate` (200/s) for `--seconds`;
    from each commit to its receipt (p50, p99, max; `time.monotonic()`, one clock for every
    process of the machine).
  * duplicates: receipts beyond the first of a job (0 expected: nothing fails here).

`throughput_ratio` is Luneo's throughput over the better peer's (target: at least 1.5);
Luneo's p99 at the fixed rate has a target of under 50 ms.

    .venv/bin/python -m bench.webhooks [--count 10000] [--rate 200] [--seconds 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench import _common
from bench.webhooks import contenders
from tests.support.webhooks import endpoint, organisation

HERE = Path(__file__).resolve().parent
DATABASE = "luneo_bench_webhooks"
PEERS = ("procrastinate", "pgqueuer")
PACKAGES = ("procrastinate", "pgqueuer", "asyncpg", "httpx", "sniffio", "psycopg[binary]", "httptools")
"""sniffio as Luneo has it: without it httpcore makes a failed import on every request."""
WARM_UP = 200
THROUGHPUT_TARGET = 1.5
P99_TARGET_MS = 50.0


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def peers_python() -> Path:
    """The bench's virtualenv, with the peers installed from PyPI."""
    venv = _common.REPO / ".luneo" / "bench" / "peers"
    python = venv / "bin" / "python"
    if not python.exists():
        progress(f"creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    progress("installing the peers from PyPI: " + ", ".join(PACKAGES))
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PACKAGES],
        check=True,
    )
    return python


def versions(python: Path) -> dict[str, str]:
    script = (
        f"import json, importlib.metadata as m; print(json.dumps({{p: m.version(p) for p in {PEERS!r}}}))"
    )
    return json.loads(subprocess.run([str(python), "-c", script], check=True, capture_output=True).stdout)


@contextmanager
def process(
    command: list[str], log: str, *, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """A process for the duration of the block, stopped with SIGTERM (killed if it lingers); its
    standard error in .luneo/bench/webhooks-<log>.log."""
    with (_common.REPO / ".luneo" / "bench" / f"webhooks-{log}.log").open("w") as stderr:
        proc = subprocess.Popen(
            command,
            cwd=_common.REPO,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Receipts:
    """What the receiver got: the first receipt time of each payload id, and duplicates."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.first: dict[str, float] = {}
        self.duplicates = 0

    def collect(self) -> None:
        for payload_id, at in self.http.get("/received").json():
            if payload_id in self.first:
                self.duplicates += 1
            else:
                self.first[payload_id] = at

    def wait(self, ids: list[str], timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.collect()
            if all(i in self.first for i in ids):
                return
            if time.monotonic() > deadline:
                missing = sum(i not in self.first for i in ids)
                raise SystemExit(f"{missing} of {len(ids)} jobs never reached the receiver")
            time.sleep(0.1)


def produce(
    python: Path, system: str, url: str, organization: str, count: int, rate: float | None
) -> list[Any]:
    command = [
        str(python),
        str(HERE / "contenders.py"),
        "produce",
        system,
        "--db-url",
        url,
        "--count",
        str(count),
        "--organization",
        organization,
    ]
    if rate is not None:
        command += ["--rate", str(rate)]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def worker_command(python: Path, system: str, url: str, target: str, concurrency: int) -> list[str]:
    if system == "luneo":
        return [
            sys.executable, "-m", "luneo.cli.main", "worker", "run", "--db-url", url,
            "--only", "webhooks", "--concurrency", str(concurrency), "--port", "0",
        ]  # fmt: skip
    return [
        str(python), str(HERE / "contenders.py"), "worker", system, "--db-url", url,
        "--target", target, "--concurrency", str(concurrency),
    ]  # fmt: skip


def measure(
    python: Path, system: str, url: str, organization: str, target: str, receipts: Receipts, args: Any
) -> dict[str, Any]:
    env = {"LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK": "1"}
    with process(worker_command(python, system, url, target, args.concurrency), system, env=env):
        progress(f"{system}: warm-up ({WARM_UP} jobs)")
        receipts.wait([i for i, _ in produce(python, system, url, organization, WARM_UP, 1000.0)])
        receipts.duplicates = 0

        progress(f"{system}: throughput ({args.count} jobs in one transaction)")
        noted = produce(python, system, url, organization, args.count, None)
        ids = [i for i, _ in noted]
        receipts.wait(ids)
        committed = noted[0][1]
        last = max(receipts.first[i] for i in ids)
        throughput = len(ids) / (last - committed)

        total = round(args.rate * args.seconds)
        progress(f"{system}: latency ({total} jobs at {args.rate:g}/s)")
        noted = produce(python, system, url, organization, total, args.rate)
        receipts.wait([i for i, _ in noted])
        latencies = [receipts.first[i] - at for i, at in noted]
        duplicates = receipts.duplicates
    return {
        "deliveries_per_second": round(throughput),
        "latency_ms": {
            "p50": round(_common.percentile_ms(latencies, 50), 2),
            "p99": round(_common.percentile_ms(latencies, 99), 2),
            "max": round(max(latencies) * 1000, 2),
        },
        "duplicates": duplicates,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="jobs of the throughput run")
    parser.add_argument("--rate", type=float, default=200.0, help="jobs per second of the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    parser.add_argument("--concurrency", type=int, default=16, help="posts in flight, every system")
    parser.add_argument("--only", choices=["luneo", *PEERS], action="append", help="measure only these")
    args = parser.parse_args()

    python = peers_python()
    server = _common.server()
    progress(f"creating {DATABASE}")
    url = _common.kept_database(server, DATABASE, lambda _: None, reseed=True)
    with process([str(python), str(HERE / "receiver.py")], "receiver") as receiver:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline().strip().removeprefix("port="))
        target = f"http://127.0.0.1:{port}/hooks"
        receipts = Receipts(f"http://127.0.0.1:{port}")
        organization = organisation(url)
        endpoint(url, organization, target, contenders.SECRET)
        results: dict[str, Any] = {}
        for system in args.only or ["luneo", *PEERS]:
            if system != "luneo":
                subprocess.run(
                    [str(python), str(HERE / "contenders.py"), "install", system, "--db-url", url], check=True
                )
            results[system] = measure(python, system, url, str(organization), target, receipts, args)
            progress(f"{system}: {json.dumps(results[system])}")
    with psycopg.connect(url) as conn:
        (server_version,) = conn.execute("show server_version").fetchone()
    summary: dict[str, Any] = {
        "benchmark": "webhook_delivery",
        "server_version": server_version,
        "peers": versions(python),
        "concurrency": args.concurrency,
        "throughput_jobs": args.count,
        "latency_rate_per_second": args.rate,
        "latency_jobs": round(args.rate * args.seconds),
        "results": results,
    }
    if "luneo" in results and (peers := [results[p]["deliveries_per_second"] for p in PEERS if p in results]):
        ratio = round(results["luneo"]["deliveries_per_second"] / max(peers), 3)  # the verdict reads it
        p99 = results["luneo"]["latency_ms"]["p99"]
        summary["throughput_ratio"] = ratio
        summary["targets"] = {
            "throughput_ratio": THROUGHPUT_TARGET,
            "p99_ms": P99_TARGET_MS,
            "meets_throughput": ratio >= THROUGHPUT_TARGET,
            "meets_p99": p99 < P99_TARGET_MS,
        }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
