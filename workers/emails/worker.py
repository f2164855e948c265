"""The emails worker: claims due emails, renders their template, sends them through the
configured provider and records the outcome.

What a job shows is gathered by SQL at claim (`private.email_context`): the template's data,
the app paths its links point to, and the secrets minted for it (an invitation's accept token,
an unsubscribe token). This module turns paths and tokens into absolute links, renders, adds the
headers (a stable `Message-ID` per job, one-click `List-Unsubscribe` when the user may opt out)
and classifies the provider's answer: sent, transient (retried on the schedule of
`private.record_email_attempt`) or permanent. A template that cannot render (a missing
variable) is a permanent failure recorded with its message: nothing broken is ever sent.

Duplicates: a job is leased while it is sent. A worker killed after the provider accepted the
message but before the outcome was recorded sends it again once the lease ends: at most one
copy per idempotency key where the provider de-duplicates on it, otherwise possibly two, with
the same `Message-ID` (docs/emails.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from starlette.routing import BaseRoute

from luneo.core.db import Queries
from luneo.core.settings import EmailSettings
from luneo.workers.base import Context, Worker, give_back, take_slots
from luneo.workers.emails.message import Address, EmailMessage
from luneo.workers.emails.providers import (
    EmailProvider,
    PermanentSendError,
    TransientSendError,
    make_provider,
)
from luneo.workers.emails.render import TemplateError, render
from luneo.workers.emails.routes import make_routes

log = logging.getLogger(__name__)
QUERIES = Queries.load("luneo.workers.emails")
UNSUBSCRIBE_PATH = "/emails/unsubscribe"
"""Where the worker's HTTP endpoint serves one-click unsubscribe (luneo.workers.emails.routes)."""


def message_id(email_id: uuid.UUID, sender: str) -> str:
    """The `Message-ID`: the same on every attempt of one job, in the sender's domain."""
    return f"<{email_id}@{sender.rpartition('@')[2] or 'localhost'}>"


def compose(
    context: Mapping[str, Any], app_url: str, unsubscribe_url: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The template's data with absolute links, and the extra headers, from a claim's context."""
    data = dict(context["data"])
    app = app_url.rstrip("/")
    for key, path in context.get("paths", {}).items():
        data[key] = app + path
    secrets = context.get("secrets", {})
    if "accept_token" in secrets:
        data["accept_url"] = f"{app}/invitations/accept?token={quote(secrets['accept_token'])}"
    headers: dict[str, str] = {}
    data["unsubscribe_url"] = None
    if "unsubscribe_token" in secrets:
        url = f"{unsubscribe_url}?token={quote(secrets['unsubscribe_token'])}"
        data["unsubscribe_url"] = url
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    return data, headers


class EmailsWorker(Worker):
    name: ClassVar[str] = "emails"
    channels: ClassVar[tuple[str, ...]] = ("luneo_emails",)

    def __init__(self) -> None:
        self.provider: EmailProvider | None = None
        self.settings: EmailSettings | None = None
        self.unsubscribe_url = UNSUBSCRIBE_PATH
        self.in_flight: set[asyncio.Task[None]] = set()

    async def start(self, ctx: Context) -> None:
        self.settings = ctx.settings.emails
        public = self.settings.public_url or f"http://{ctx.settings.host}:{ctx.settings.port}"
        self.unsubscribe_url = public.rstrip("/") + UNSUBSCRIBE_PATH
        self.provider = make_provider(self.settings)

    def routes(self, ctx: Context) -> Sequence[BaseRoute]:
        assert self.settings is not None
        return make_routes(ctx.pool, self.settings)

    async def run_pass(self, ctx: Context) -> int:
        slots = await take_slots(ctx)
        if not slots:
            return 0
        try:
            async with ctx.pool.connection() as conn:
                claimed = await conn.execute(
                    QUERIES["claim"],
                    {
                        "worker_id": ctx.worker_id,
                        "max_emails": slots,
                        "lease_seconds": max(1, round(ctx.settings.lease_seconds)),
                    },
                )
        except BaseException:
            give_back(ctx, slots)
            raise
        give_back(ctx, slots - len(claimed))
        for row in claimed:
            task = asyncio.create_task(self._send(ctx, row), name=f"email {row[0]}")
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        return len(claimed)

    async def _send(self, ctx: Context, row: Any) -> None:
        email_id, attempt, template, locale, recipient, kind, idempotency_key, context = row
        assert self.provider is not None
        assert self.settings is not None
        extra = {"worker": self.name, "action": "send", "email_id": str(email_id), "attempt": attempt}
        started = time.perf_counter()
        outcome, provider_message_id, error, retry_after = "permanent", None, None, None
        try:
            data, headers = compose(context, self.settings.app_url, self.unsubscribe_url)
            rendered = render(template, locale, data)
            message = EmailMessage(
                sender=Address(self.settings.sender, self.settings.sender_name),
                to=Address(recipient, (data.get("recipient") or {}).get("name")),
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                message_id=message_id(email_id, self.settings.sender),
                idempotency_key=idempotency_key,
                headers=headers,
                reply_to=Address(self.settings.reply_to, None) if self.settings.reply_to else None,
                tags=(template,),
            )
            result = await self.provider.send(message)
            outcome, provider_message_id = "sent", result.provider_message_id
        except TemplateError as exc:
            error = f"cannot render {template}: {exc}"
        except TransientSendError as exc:
            outcome, error, retry_after = "transient", exc.detail, exc.retry_after
        except PermanentSendError as exc:
            error = exc.detail
        except Exception as exc:  # an unknown failure is retried, never the slot's loss
            log.exception("sending failed unexpectedly", extra=extra)
            outcome, error = "transient", f"unexpected error: {type(exc).__name__}"
        duration = time.perf_counter() - started
        try:
            async with ctx.pool.connection() as conn:
                settled = await conn.scalar(
                    QUERIES["record"],
                    {
                        "email_id": email_id,
                        "worker_id": ctx.worker_id,
                        "attempt": attempt,
                        "outcome": outcome,
                        "provider": self.provider.name,
                        "provider_message_id": provider_message_id,
                        "error": error,
                        "retry_after_seconds": retry_after,
                    },
                )
        except Exception:  # the lease runs out and the email is sent again
            log.exception("could not record the attempt; it will be retried after its lease", extra=extra)
            settled = "unrecorded"
        finally:
            ctx.limiter.release()
        ctx.metrics.jobs.labels(worker=self.name, outcome=settled).inc()
        ctx.metrics.job_duration.labels(worker=self.name).observe(duration)
        log.info(
            "email %s (%s, %s) attempt %s: %s%s",
            email_id,
            template,
            kind,
            attempt,
            settled,
            f" ({error})" if error else "",
            extra={**extra, "outcome": settled, "template": template},
        )

    async def drain(self, ctx: Context) -> None:
        while self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)

    async def stop(self, ctx: Context) -> None:
        for task in list(self.in_flight):
            task.cancel()
        await asyncio.gather(*self.in_flight, return_exceptions=True)
        async with ctx.pool.connection() as conn:
            released = await conn.scalar(QUERIES["release"], {"worker_id": ctx.worker_id, "email_ids": None})
        if released:
            log.info("released %s leased emails", released, extra={"worker": self.name, "action": "release"})
        if self.provider is not None:
            await self.provider.aclose()
            self.provider = None

    async def queue_stats(self, ctx: Context) -> dict[str, tuple[int, float]]:
        async with ctx.pool.connection() as conn:
            row = await conn.one(QUERIES["queue_stats"])
        assert row is not None
        return {"emails": (row[0], row[1])}
