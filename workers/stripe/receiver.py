"""The Stripe webhook receiver: `POST /stripe/webhook` on `luneo worker run`'s HTTP endpoint (or
`luneo stripe serve`).

The `Stripe-Signature` header is checked against the raw body with the `stripe` library, for
each configured secret (several during a rotation), with its timestamp tolerance. A verified
event is stored in the inbox (`private.receive_stripe_event`: keyed by event id, a duplicate is
a no-op) and only then answered 200, so Stripe's retries cover everything before that: a bad
signature, a stale timestamp, an oversized or malformed body get 400 and nothing is stored; a
database that cannot be reached gets 503 and Stripe sends the event again. Applying the event is
the stripe worker's job (luneo.workers.stripe.worker), which `Waker` wakes: one `pg_notify` per
burst of stored events, sent apart from the inserts (a notifying transaction holds a global lock
through its commit, and would serialise the receivers' commits).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

import stripe
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from luneo.core.db import Pool, Queries
from luneo.core.errors import ConnectionFailed
from luneo.core.settings import StripeSettings
from luneo.workers.request_body import TooLarge, read_body

log = logging.getLogger(__name__)
QUERIES = Queries.load("luneo.workers.stripe")
PATH = "/stripe/webhook"
MAX_BODY = 1_048_576
"""Bytes one event may carry; Stripe's events are far smaller (a few KiB, an invoice with many lines
some hundreds)."""
EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,250}")
EVENT_TYPE = re.compile(r"[a-z0-9_.]{1,100}")
"""What the inbox's checks accept (private.stripe_events)."""


class BadEvent(ValueError):
    """The body is not a Stripe event."""


def verify(body: bytes, header: str | None, settings: StripeSettings) -> None:
    """Raises `stripe.SignatureVerificationError` unless one of the secrets signed the body."""
    text = body.decode("utf-8")
    failure: stripe.SignatureVerificationError | None = None
    for secret in settings.webhook_secrets:
        try:
            stripe.WebhookSignature.verify_header(text, header, secret, settings.tolerance)
            return
        except stripe.SignatureVerificationError as exc:
            failure = exc
    assert failure is not None
    raise failure


def parse(body: bytes) -> dict[str, Any]:
    """The event, checked for what the inbox needs: an `evt_` id, a type, `created`, `data.object`."""
    try:
        event = json.loads(body)
    except ValueError:
        raise BadEvent("the body is not JSON") from None
    if not isinstance(event, dict):
        raise BadEvent("the body is not a JSON object")
    event_id, kind, created = event.get("id"), event.get("type"), event.get("created")
    data = event.get("data")
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        raise BadEvent("id must be a Stripe event id (evt_...)")
    if not isinstance(kind, str) or not EVENT_TYPE.fullmatch(kind):
        raise BadEvent("type must be a Stripe event type")
    if not isinstance(created, int) or isinstance(created, bool):
        raise BadEvent("created must be a Unix time")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise BadEvent("data.object is missing")
    return event


class Inbox:
    """Stores verified events (`private.receive_stripe_events`), in batches: the requests that
    arrive while a batch is being written share the next statement and its commit, so a burst costs
    a few commits, not one per event. Each request still gets its answer only once its own event
    is committed."""

    def __init__(self, pool: Pool, most: int = 200) -> None:
        self.pool = pool
        self.most = most
        self.queue: list[tuple[str, str, asyncio.Future[bool]]] = []
        self.writer: asyncio.Task[None] | None = None

    async def store(self, event_id: str, event: str) -> bool:
        """True when stored, False when the id was already in the inbox."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.queue.append((event_id, event, future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write(), name="stripe inbox")
        return await future

    async def _write(self) -> None:
        while self.queue:
            batch, self.queue = self.queue[: self.most], self.queue[self.most :]
            try:
                async with self.pool.connection() as conn:
                    rows = await conn.execute(
                        QUERIES["receive"], {"events": [event for _, event, _ in batch]}
                    )
            except Exception as exc:  # noqa: BLE001 - every request of the batch answers with it
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            seen: set[str] = set()
            for (event_id, _, future), (_, stored) in zip(batch, rows, strict=True):
                new = stored and event_id not in seen  # an id twice in one batch: the second is a duplicate
                seen.add(event_id)
                if not future.done():
                    future.set_result(new)

    async def aclose(self) -> None:
        if self.writer is not None:
            await asyncio.gather(self.writer, return_exceptions=True)


class Waker:
    """Wakes the stripe workers (every process, through `pg_notify('luneo_stripe')`) after events
    were stored: at most one notification per `interval`, however many events arrive."""

    def __init__(self, pool: Pool, interval: float = 0.005) -> None:
        self.pool = pool
        self.interval = interval
        self.pending = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        self.pending.set()
        if self.task is None:
            self.task = asyncio.create_task(self._run(), name="stripe waker")

    async def _run(self) -> None:
        while True:
            await self.pending.wait()
            self.pending.clear()
            try:
                async with self.pool.connection() as conn:
                    await conn.execute(QUERIES["wake"])
            except Exception:  # the workers poll as well: a lost wake-up only delays
                log.warning("could not wake the stripe workers", exc_info=True, extra={"worker": "stripe"})
            await asyncio.sleep(self.interval)

    async def aclose(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None


def error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def make_routes(inbox: Inbox, settings: StripeSettings, stored: Callable[[], None]) -> Sequence[BaseRoute]:
    """`stored` is called after each new event is stored (`Waker.poke`)."""

    async def receive(request: Request) -> Response:
        if not settings.webhook_secrets:
            return error("the Stripe webhook is not configured (STRIPE_WEBHOOK_SECRET)", 404)
        try:
            body = await read_body(request, MAX_BODY)
        except TooLarge:
            return error(f"body larger than {MAX_BODY} bytes", 400)
        try:
            verify(body, request.headers.get("stripe-signature"), settings)
            event = parse(body)
        except stripe.SignatureVerificationError as exc:
            log.warning("Stripe event refused: %s", exc.user_message or exc, extra={"worker": "stripe"})
            return error(f"bad signature: {exc.user_message or exc}", 400)
        except (BadEvent, UnicodeDecodeError) as exc:
            return error(f"not a Stripe event: {exc}", 400)
        try:
            is_new = await inbox.store(event["id"], body.decode("utf-8"))
        except ConnectionFailed as exc:
            log.warning("Stripe event %s not stored: %s", event["id"], exc, extra={"worker": "stripe"})
            return error("the database is unavailable; Stripe will send the event again", 503)
        if is_new:
            stored()
        return JSONResponse({"received": True, "duplicate": not is_new})

    return [Route(PATH, receive, methods=["POST"])]
