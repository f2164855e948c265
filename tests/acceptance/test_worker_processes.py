"""The webhooks worker as real `luneo worker run --only webhooks` processes, against real Postgres
and a real receiver on loopback: a worker killed with SIGKILL mid-delivery loses nothing (a
second process sends the same webhook-id once the lease ends, one success is recorded); three
processes share 10,000 deliveries, each sent exactly once; SIGTERM during a burst finishes the
deliveries in flight, leaves nothing leased, and a second process sends the rest; after SIGTERM
nothing more is claimed, even by a pass that was waiting for a slot; past
LUNEO_WORKER_SHUTDOWN_TIMEOUT the hung deliveries are given back due at once, not after their
lease.

No mocks: processes are signalled and killed as an orchestrator would, and every wait is a poll
with a deadline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from types import TracebackType
from typing import Self

from tests.support.cli import LUNEO, NOT_INHERITED
from tests.support.pg import REPO
from tests.support.receiver import Received, Receiver
from tests.support.runner import sql
from tests.support.webhooks import endpoint, organisation

WORKER_ID = re.compile(r"\baction=start\b.*\bworker_id=(\S+)")
FAST = {
    "LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK": "1",
    "LUNEO_WORKER_POLL_INTERVAL": "0.2",
    "LUNEO_WORKER_CONCURRENCY": "16",
}


class WorkerProcess:
    """One `luneo worker run --only webhooks` process, its stderr read on a thread; killed (if
    still running) when the `with` block ends, whatever happened."""

    def __init__(self, db_url: str, env: dict[str, str] | None = None) -> None:
        base = {
            k: v
            for k, v in os.environ.items()
            if k not in NOT_INHERITED and not k.startswith(("LUNEO_WORKER_", "LUNEO_WEBHOOKS_"))
        }
        self.lines: list[str] = []
        self.worker_id: str | None = None
        self.listening = threading.Event()
        self.process = subprocess.Popen(
            [*LUNEO, "worker", "run", "--only", "webhooks", "--db-url", db_url, "--port", "0"],
            cwd=REPO,
            env=base | FAST | (env or {}),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if self.worker_id is None and (m := WORKER_ID.search(line)):
                self.worker_id = m[1]
            if "action=listen" in line:
                self.listening.set()

    def output(self) -> str:
        return "".join(self.lines)

    def wait_listening(self, timeout: float = 30) -> str:
        """Started and listening on luneo_webhooks; its worker id (what leases and history hold)."""
        assert self.listening.wait(timeout), f"no LISTEN after {timeout}s:\n{self.output()}"
        assert self.worker_id is not None
        return self.worker_id

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {timeout}s:\n{self.output()}") from None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.reader.join(10)
        if self.process.stderr is not None:
            self.process.stderr.close()


def eventually(condition: Callable[[], object], timeout: float, what: str, every: float = 0.05) -> None:
    """Poll `condition` every `every` seconds until it holds; AssertionError past `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(every)


def brand(url: str, target: str) -> uuid.UUID:
    """A new organisation with one endpoint (every event type) at `target`; the organisation."""
    org = organisation(url)
    endpoint(url, org, target)
    return org


def emit(url: str, org: uuid.UUID, count: int) -> set[str]:
    """`count` order.created events in one statement (one delivery each); their ids."""
    rows = sql(
        url,
        "select private.emit_event('order.created', %s, jsonb_build_object('n', n))"
        " from generate_series(1, %s) as n",
        [org, count],
    )
    return {str(event_id) for (event_id,) in rows}


def statuses(url: str) -> dict[str, int]:
    return dict(sql(url, "select status::text, count(*) from public.webhook_deliveries group by 1"))


def message_ids(url: str, where: str = "true") -> set[str]:
    """The webhook-id of the deliveries `where` selects."""
    rows = sql(
        url, f"select 'msg_' || replace(id::text, '-', '') from public.webhook_deliveries where {where}"
    )
    return {message_id for (message_id,) in rows}


def payload_ids(requests: list[Received]) -> set[str]:
    return {json.loads(r.body)["id"] for r in requests}


def test_a_worker_killed_mid_delivery_loses_nothing(db_url: str) -> None:
    with Receiver(hold=True) as receiver:
        org = brand(db_url, receiver.url)
        (event,) = emit(db_url, org, 1)
        with WorkerProcess(db_url, {"LUNEO_WORKER_LEASE": "2"}) as first:
            first_id = first.wait_listening()
            receiver.wait_for(lambda r: r.held == 1)
            first.signal(signal.SIGKILL)  # at once: past its 2 s lease the worker would send it again
            assert first.wait(10) == -signal.SIGKILL
        # the claim's lease is all that is left: nothing was recorded, nothing given back
        ((delivery_id, status, leased_by, attempts, lease_end),) = sql(
            db_url,
            "select id, status::text, leased_by, attempts, extract(epoch from next_attempt_at)::float"
            " from public.webhook_deliveries",
        )
        assert (status, leased_by, attempts) == ("pending", first_id, 1)
        assert sql(db_url, "select count(*) from public.webhook_history") == [(0,)]

        receiver.gate.set()  # from now on every request is answered 204 at once
        with WorkerProcess(db_url) as second:
            second_id = second.wait_listening()
            receiver.wait_for(lambda r: len(r.received) == 2)
            eventually(
                lambda: statuses(db_url) == {"succeeded": 1}, 15, "the delivery succeeded (second worker)"
            )
            second.signal(signal.SIGTERM)
            assert second.wait(20) == 0
        requests = receiver.snapshot()

    assert second_id != first_id
    assert [r.webhook_id for r in requests] == [f"msg_{delivery_id.hex}"] * 2
    assert requests[0].body == requests[1].body
    assert payload_ids(requests) == {event}
    # sent again only once the killed worker's lease ended, not before
    assert requests[1].at >= lease_end - 0.05, (requests[1].at, lease_end)
    assert sql(db_url, "select status::text, attempts, leased_by from public.webhook_deliveries") == [
        ("succeeded", 2, None)
    ]
    assert sql(db_url, "select attempt, status_code, worker_id, error from public.webhook_history") == [
        (2, 204, second_id, None)
    ]


def test_three_processes_share_ten_thousand_deliveries_each_sent_once(db_url: str) -> None:
    total = 10_000
    with Receiver() as receiver, ExitStack() as stack:
        org = brand(db_url, receiver.url)
        workers = [stack.enter_context(WorkerProcess(db_url)) for _ in range(3)]
        worker_ids = {w.wait_listening() for w in workers}
        started = time.monotonic()
        events = emit(db_url, org, total)
        # ~250 deliveries a second on 2 cores (the workers' CPU is the limit): a deadline with room
        receiver.wait_for(lambda r: len(r.received) >= total, timeout=150)
        eventually(lambda: statuses(db_url) == {"succeeded": total}, 30, f"{total} deliveries succeeded", 0.2)
        elapsed = time.monotonic() - started
        for worker in workers:
            worker.signal(signal.SIGTERM)
        for worker in workers:
            assert worker.wait(20) == 0, worker.output()
        requests = receiver.snapshot()

    assert len(events) == total
    ids = [r.webhook_id for r in requests]
    assert len(ids) == total, f"{len(ids)} requests for {total} deliveries"
    assert set(ids) == message_ids(db_url)
    assert payload_ids(requests) == events
    assert sql(db_url, "select attempts, count(*) from public.webhook_deliveries group by 1") == [(1, total)]
    shares = dict(
        sql(
            db_url,
            "select worker_id, count(*) from public.webhook_history where attempt = 1 and status_code = 204"
            " group by 1",
        )
    )
    assert sum(shares.values()) == total
    assert set(shares) <= worker_ids
    assert len(shares) > 1, f"one process did all the work: {shares}"
    print(f"{total} deliveries in {elapsed:.1f}s, by process: {sorted(shares.values())}")


def test_sigterm_during_a_burst_finishes_what_is_in_flight_and_a_second_worker_sends_the_rest(
    db_url: str,
) -> None:
    total = 2_000
    with Receiver(delay=0.01) as receiver:
        org = brand(db_url, receiver.url)
        events = emit(db_url, org, total)
        with WorkerProcess(db_url, {"LUNEO_WORKER_SHUTDOWN_TIMEOUT": "20"}) as first:
            first.wait_listening()
            receiver.wait_for(lambda r: len(r.received) >= 100)
            # keep what arrives from now on in flight until the worker has taken the SIGTERM
            receiver.gate.clear()
            receiver.wait_for(lambda r: r.held > 0)
            first.signal(signal.SIGTERM)
            eventually(lambda: "action=shutdown signal=SIGTERM" in first.output(), 10, "SIGTERM logged")
            in_flight = receiver.held
            receiver.gate.set()
            assert first.wait(25) == 0, first.output()
        assert "not done after" not in first.output()  # a graceful drain, not a forced one
        sent_by_first = receiver.ids()

        assert in_flight > 0
        left = statuses(db_url).get("pending", 0)
        assert left > 0, "the first worker finished the burst before SIGTERM: nothing was tested"
        # what was in flight at SIGTERM finished and was recorded; nothing is left leased to the
        # stopped process, nothing was counted as an attempt without being one
        assert len(set(sent_by_first)) == len(sent_by_first)
        assert set(sent_by_first) == message_ids(db_url, "status = 'succeeded'")
        assert sql(
            db_url,
            "select count(*) from public.webhook_deliveries"
            " where status = 'pending' and (next_attempt_at > now() or leased_by is not null or attempts > 0)",
        ) == [(0,)]

        with WorkerProcess(db_url) as second:
            second.wait_listening()
            receiver.wait_for(lambda r: len(r.received) >= total, timeout=60)
            eventually(lambda: statuses(db_url) == {"succeeded": total}, 30, f"{total} deliveries succeeded")
            second.signal(signal.SIGTERM)
            assert second.wait(20) == 0, second.output()
        requests = receiver.snapshot()

    ids = [r.webhook_id for r in requests]
    assert set(ids) == message_ids(db_url)
    assert len(ids) == total, "a delivery was sent twice"
    assert payload_ids(requests) == events
    print(f"SIGTERM after {len(sent_by_first) - in_flight} requests, {in_flight} in flight; {left} left")


# SIGTERM while every slot is busy: the pass under way waits for a slot; when a delivery in
# flight ends and frees one, that pass must claim nothing (Context.stopping).
def test_after_sigterm_nothing_more_is_claimed(db_url: str) -> None:
    with Receiver(hold=True) as receiver:
        org = brand(db_url, receiver.url)
        emit(db_url, org, 10)
        env = {"LUNEO_WORKER_CONCURRENCY": "2", "LUNEO_WORKER_SHUTDOWN_TIMEOUT": "20"}
        with WorkerProcess(db_url, env) as worker:
            worker.wait_listening()
            receiver.wait_for(lambda r: r.held == 2)  # both slots busy: the next pass waits for one
            worker.signal(signal.SIGTERM)
            eventually(lambda: "action=shutdown signal=SIGTERM" in worker.output(), 10, "SIGTERM logged")
            receiver.gate.set()
            assert worker.wait(25) == 0, worker.output()
        sent = receiver.ids()

    assert statuses(db_url) == {"succeeded": 2, "pending": 8}, f"{len(sent) - 2} sent after SIGTERM"
    assert len(sent) == 2


def test_past_the_shutdown_timeout_hung_deliveries_are_due_at_once_not_after_their_lease(
    db_url: str,
) -> None:
    hung = 5
    with Receiver(hold=True) as receiver:
        org = brand(db_url, receiver.url)
        emit(db_url, org, hung)
        env = {"LUNEO_WORKER_SHUTDOWN_TIMEOUT": "1", "LUNEO_WORKER_LEASE": "600"}
        with WorkerProcess(db_url, env) as worker:
            worker_id = worker.wait_listening()
            receiver.wait_for(lambda r: r.held == hung)
            assert sql(
                db_url,
                "select leased_by, count(*) from public.webhook_deliveries"
                " where next_attempt_at > now() + interval '500 seconds' group by 1",
            ) == [(worker_id, hung)]
            started = time.monotonic()
            worker.signal(signal.SIGTERM)
            code = worker.wait(15)
            elapsed = time.monotonic() - started
        output = worker.output()

    assert code == 0, output
    # it waited for the deliveries in flight, up to the timeout, and not for the receiver (which
    # never answers) nor the sender's 15 s read timeout
    assert 0.9 <= elapsed < 10, f"exited {elapsed:.1f}s after SIGTERM"
    assert "shutdown not done after 1s" in output
    assert f"released {hung} leased deliveries" in output
    assert (
        sql(
            db_url,
            "select status::text, attempts, leased_by, next_attempt_at <= now() from public.webhook_deliveries",
        )
        == [("pending", 0, None, True)] * hung
    )
