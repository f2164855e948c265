"""The emails worker in the runtime, end to end: a change queues an email, the worker renders it
and a real SMTP server on loopback receives it; transient failures retried into exactly one
message; a template missing its data fails clearly and sends nothing; suppressed addresses and
turned-off kinds get nothing; one-click unsubscribe through the worker's endpoint; the providers'
event webhooks, signed, suppress bounced addresses and refuse forged calls.

Real Postgres, a real SMTP server (aiosmtpd), real HTTP to the worker's endpoint, the runner in
the test's event loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from dataclasses import replace
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from luneo.core.settings import EmailSettings
from luneo.workers.emails.worker import EmailsWorker
from tests.support.pg import create_user
from tests.support.runner import make_runner, running, sql, wait_for
from tests.support.smtp import smtp_server

APP = "https://app.luneo.example"


def settings(port: int, **overrides: Any) -> EmailSettings:
    return replace(
        EmailSettings(),
        provider="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        smtp_timeout=5,
        sender="no-reply@luneo.example",
        sender_name="Luneo",
        app_url=APP,
        **overrides,
    )


def runner_for(db_url: str, emails: EmailSettings) -> Any:
    return make_runner(db_url, [EmailsWorker()], emails=emails, poll_interval=0.2)


def job(db_url: str, key: str) -> tuple[Any, ...]:
    ((row,),) = [
        sql(
            db_url,
            "select status, attempts, last_error, provider, provider_message_id from private.email_outbox"
            " where idempotency_key = %s",
            [key],
        )
    ]
    return row


def enqueue(db_url: str, template: str, recipient: str, data: dict, key: str, kind: str, **ids: Any) -> None:
    sql(
        db_url,
        "select private.enqueue_email(%s, %s, 'en', %s, %s, %s, %s, %s)",
        [template, recipient, json.dumps(data), key, kind, ids.get("user_id"), ids.get("organization_id")],
    )


def welcome(db_url: str, locale: str = "en") -> tuple[str, str]:
    """A new user (their welcome email queued): their address and the job's key."""
    address = f"new-{uuid.uuid4().hex[:8]}@example.com"
    user_id = create_user(db_url, address, {"full_name": "Ada Lovelace", "locale": locale})
    return address, f"account.welcome:{user_id}"


async def test_a_sign_up_welcome_email_reaches_a_real_smtp_server(db_url: str) -> None:
    sql(db_url, "delete from private.email_outbox")
    address, key = welcome(db_url, "fr-FR")
    with smtp_server() as (port, mailbox):
        async with running(runner_for(db_url, settings(port))):
            await wait_for(lambda: job(db_url, key)[0] == "sent")
    (received,) = mailbox.received
    assert received.rcpt_tos == [address]
    message = received.parsed()
    assert message["To"] == f"Ada Lovelace <{address}>"
    assert message["From"] == "Luneo <no-reply@luneo.example>"
    assert message["Message-ID"].endswith("@luneo.example>")
    assert "Bienvenue" in message["Subject"]
    text, html = message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert f"{APP}/" in text.get_content()
    assert "List-Unsubscribe" not in message  # a welcome cannot be turned off
    status, attempts, error, provider, _ = job(db_url, key)
    assert (status, attempts, error, provider) == ("sent", 1, None, "smtp")


async def test_a_transient_failure_is_retried_into_exactly_one_email_with_one_message_id(db_url: str) -> None:
    sql(db_url, "delete from private.email_outbox")
    with smtp_server() as (port, mailbox):
        mailbox.data_replies = ["451 4.3.0 try again later"]
        address, key = welcome(db_url)
        async with running(runner_for(db_url, settings(port))):
            await wait_for(lambda: job(db_url, key)[2] is not None)  # the refusal recorded
            assert "451" in job(db_url, key)[2]
            sql(
                db_url,
                "update private.email_outbox set next_attempt_at = now() where idempotency_key = %s",
                [key],
            )
            sql(db_url, "select pg_notify('luneo_emails', '')")
            await wait_for(lambda: job(db_url, key)[0] == "sent")
            await asyncio.sleep(0.3)  # nothing more comes
    assert [r.rcpt_tos for r in mailbox.received] == [[address]]
    assert mailbox.data_seen == 2  # the refused attempt and the accepted one
    assert len(set(mailbox.message_ids)) == 1  # the same Message-ID both times
    assert job(db_url, key)[:2] == ("sent", 2)


async def test_a_template_missing_its_data_fails_clearly_and_sends_nothing(db_url: str) -> None:
    sql(db_url, "delete from private.email_outbox")
    enqueue(
        db_url, "payment_failed", "billing@example.com", {"currency": "EUR"}, "pf-1", "billing.payment_failed"
    )
    with smtp_server() as (port, mailbox):
        async with running(runner_for(db_url, settings(port))):
            await wait_for(lambda: job(db_url, "pf-1")[0] == "failed")
    _, attempts, error, _, _ = job(db_url, "pf-1")
    assert attempts == 1
    assert error.startswith("cannot render payment_failed: ")
    assert "amount" in error
    assert mailbox.received == []


async def test_suppressed_addresses_and_turned_off_kinds_get_nothing(db_url: str) -> None:
    sql(db_url, "delete from private.email_outbox")
    address, key = welcome(db_url)
    sql(db_url, "select private.suppress_email(%s, 'hard_bounce', 'sendgrid')", [address])
    with smtp_server() as (port, mailbox):
        async with running(runner_for(db_url, settings(port))):
            await wait_for(lambda: job(db_url, key)[0] == "suppressed")
    assert mailbox.received == []


async def test_an_email_that_can_be_turned_off_unsubscribes_in_one_click(db_url: str) -> None:
    sql(db_url, "delete from private.email_outbox")
    address = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    user_id = create_user(db_url, address, {"full_name": "Grace"})
    sql(db_url, "delete from private.email_outbox")  # their welcome
    ((org,),) = sql(
        db_url,
        "insert into public.organizations (name, slug) values ('Maison', %s) returning id",
        [f"m-{uuid.uuid4().hex[:8]}"],
    )
    data = {
        "endpoint": {"url": "https://hooks.example.com/x", "description": None},
        "endpoint_id": "e1",
        "reason": "gone",
        "disabled_at": "2026-11-22T10:00:00+00:00",
    }
    enqueue(
        db_url,
        "webhook_endpoint_disabled",
        address,
        data,
        "wd-1",
        "webhook_endpoint.disabled",
        user_id=user_id,
        organization_id=org,
    )
    with smtp_server() as (port, mailbox):
        runner = runner_for(db_url, settings(port))
        async with running(runner):
            public = f"http://127.0.0.1:{runner.port}"
            await wait_for(lambda: job(db_url, "wd-1")[0] == "sent")
            (received,) = mailbox.received
            message = received.parsed()
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            link = message["List-Unsubscribe"].strip("<>")
            assert "/emails/unsubscribe?token=luneo_unsub_" in link
            assert link in message.iter_parts().__next__().get_content()  # the footer's link too
            path = link[link.index("/emails/") :]
            async with httpx.AsyncClient(base_url=public) as client:
                page = await client.get(path)  # a GET (a scanner, a preview) changes nothing
                assert page.status_code == 200
                assert '<form method="post"' in page.text
                assert sql(
                    db_url,
                    "select count(*) from public.notification_preferences where user_id = %s",
                    [user_id],
                ) == [(0,)]
                done = await client.post(
                    path,
                    content="List-Unsubscribe=One-Click",
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
                assert done.status_code == 200
                assert (await client.post(path)).status_code == 200  # again: still fine
                unknown = await client.post("/emails/unsubscribe?token=luneo_unsub_forged")
                assert unknown.status_code == 404
                assert (await client.post("/emails/unsubscribe")).status_code == 400
    assert sql(
        db_url,
        "select kind, channel, enabled from public.notification_preferences where user_id = %s",
        [user_id],
    ) == [("webhook_endpoint.disabled", "email", False)]


def sendgrid_keys() -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, base64.b64encode(public).decode()


def signed(key: ec.EllipticCurvePrivateKey, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        "content-type": "application/json",
    }


def suppressed(db_url: str) -> list[tuple[Any, ...]]:
    return sql(db_url, "select email, reason, provider from private.email_suppressions order by email")


async def test_provider_event_webhooks_suppress_bounces_and_refuse_forged_calls(db_url: str) -> None:
    key, public = sendgrid_keys()
    events = [
        {
            "email": "gone@example.com",
            "event": "bounce",
            "type": "bounce",
            "sg_event_id": "e1",
            "timestamp": 1700000000,
        },
        {"email": "angry@example.com", "event": "spamreport", "sg_event_id": "e2", "timestamp": 1700000000},
        {"email": "fine@example.com", "event": "delivered", "sg_event_id": "e3", "timestamp": 1700000000},
    ]
    body = json.dumps(events).encode()
    emails = settings(1, sendgrid_webhook_public_key=public, brevo_webhook_token="brevo-secret-token")
    with smtp_server():
        runner = runner_for(db_url, emails)
        async with running(runner), httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.port}") as client:
            forged = await client.post(
                "/emails/events/sendgrid", content=body, headers=signed(sendgrid_keys()[0], body)
            )
            assert forged.status_code == 401
            stale = await client.post(
                "/emails/events/sendgrid", content=body, headers=signed(key, body, 1_000_000)
            )
            assert stale.status_code == 401
            tampered = await client.post(
                "/emails/events/sendgrid", content=body + b" ", headers=signed(key, body)
            )
            assert tampered.status_code == 401
            assert suppressed(db_url) == []
            malformed = await client.post("/emails/events/sendgrid", content=b"{", headers=signed(key, b"{"))
            assert malformed.status_code == 400
            huge = b"[" + b" " * 1_100_000 + b"]"
            assert (
                await client.post("/emails/events/sendgrid", content=huge, headers=signed(key, huge))
            ).status_code == 400

            good = await client.post("/emails/events/sendgrid", content=body, headers=signed(key, body))
            assert good.status_code == 200
            assert good.json() == {"received": 3, "suppressed": 2}

            brevo = json.dumps(
                {
                    "event": "hard_bounce",
                    "email": "brevo-gone@example.com",
                    "id": 1,
                    "message-id": "<x@y>",
                    "ts_event": 1700000000,
                }
            ).encode()
            refused = await client.post(
                "/emails/events/brevo", content=brevo, headers={"authorization": "Bearer wrong"}
            )
            assert refused.status_code == 401
            accepted = await client.post(
                "/emails/events/brevo",
                content=brevo,
                headers={"authorization": "Bearer brevo-secret-token"},
            )
            assert accepted.status_code == 200
    assert suppressed(db_url) == [
        ("angry@example.com", "complaint", "sendgrid"),
        ("brevo-gone@example.com", "hard_bounce", "brevo"),
        ("gone@example.com", "hard_bounce", "sendgrid"),
    ]


async def test_an_unconfigured_provider_webhook_answers_404(db_url: str) -> None:
    with smtp_server() as (port, _):
        runner = runner_for(db_url, settings(port))
        async with running(runner), httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.port}") as client:
            assert (await client.post("/emails/events/sendgrid", content=b"[]")).status_code == 404
            assert (await client.post("/emails/events/brevo", content=b"[]")).status_code == 404


async def test_every_attempt_of_one_email_carries_the_same_brevo_idempotency_key(
    db_url: str, httpserver: HTTPServer
) -> None:
    """What makes a resend after a crash harmless with Brevo: the key and our Message-ID are the
    same on every attempt, so Brevo drops the copy it already took."""
    sql(db_url, "delete from private.email_outbox")
    received: list[dict] = []
    answers = iter([Response(status=500), Response('{"messageId": "<brevo-1@smtp-relay>"}', 201)])

    def handler(request: Request) -> Response:
        received.append(json.loads(request.get_data()))
        return next(answers)

    httpserver.expect_request("/v3/smtp/email", method="POST").respond_with_handler(handler)
    address, key = welcome(db_url)
    brevo = replace(
        EmailSettings(),
        provider="brevo",
        brevo_api_key="xkeysib-test",
        brevo_api_url=httpserver.url_for("").rstrip("/"),
        sender="no-reply@luneo.example",
        app_url=APP,
    )
    async with running(runner_for(db_url, brevo)):
        await wait_for(lambda: job(db_url, key)[2] is not None)
        sql(
            db_url,
            "update private.email_outbox set next_attempt_at = now() where idempotency_key = %s",
            [key],
        )
        sql(db_url, "select pg_notify('luneo_emails', '')")
        await wait_for(lambda: job(db_url, key)[0] == "sent")
    assert len(received) == 2
    assert received[0]["to"] == [{"email": address, "name": "Ada Lovelace"}]
    assert received[0]["headers"]["idempotencyKey"] == received[1]["headers"]["idempotencyKey"]
    assert received[0]["headers"]["X-Mailin-custom"] == received[1]["headers"]["X-Mailin-custom"]
    assert job(db_url, key)[3:] == ("brevo", "<brevo-1@smtp-relay>")
