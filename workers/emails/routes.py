"""What the emails worker serves on the process's HTTP endpoint (next to /health and /metrics).

- `GET /emails/unsubscribe?token=...`: a page with one button. A GET never unsubscribes: mail
  scanners and link previews open every link of an email.
- `POST /emails/unsubscribe?token=...`: unsubscribes (`private.unsubscribe_email`). Mail clients
  send it themselves for the one-click `List-Unsubscribe-Post` header (RFC 8058, body
  `List-Unsubscribe=One-Click`); the page's button sends the same. 404 for an unknown token.
- `POST /emails/events/sendgrid` and `/emails/events/brevo`: the providers' event webhooks. The
  call is authenticated as each provider documents (SendGrid's ECDSA signature, Brevo's token);
  hard bounces and spam complaints put the address on the suppression list. 401 for a bad
  signature or token, 400 for a malformed or oversized body; nothing is written then. 404 while
  the provider's verification setting is not configured.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from luneo.core.db import Pool, Queries, QueryFailed
from luneo.core.settings import EmailSettings
from luneo.workers.emails.events import (
    DeliverabilityEvent,
    SignatureError,
    parse_brevo,
    parse_sendgrid,
    verify_brevo,
    verify_sendgrid,
)
from luneo.workers.request_body import TooLarge, read_body

log = logging.getLogger(__name__)
QUERIES = Queries.load("luneo.workers.emails")
MAX_BODY = 1_048_576
"""Bytes an event webhook call may carry (SendGrid batches events; a batch is far below this)."""
SUPPRESSING = {"hard_bounce": "hard_bounce", "complaint": "complaint"}
"""Deliverability events that suppress the address, and the reason recorded."""
UNKNOWN_LINK = "LU303"


def page(title: str, text: str, status: int = 200, form: str | None = None) -> HTMLResponse:
    button = (
        f'<form method="post" action="{html.escape(form)}"><button type="submit">Unsubscribe / Se désabonner'
        "</button></form>"
        if form is not None
        else ""
    )
    body = (
        '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">'
        f"<h1>{html.escape(title)}</h1><p>{text}</p>{button}</body></html>"
    )
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})


def make_routes(pool: Pool, settings: EmailSettings) -> Sequence[BaseRoute]:
    async def unsubscribe_page(request: Request) -> Response:
        token = request.query_params.get("token")
        if not token:
            return page("Link incomplete / Lien incomplet", "This link has no token.", 400)
        return page(
            "Unsubscribe / Désabonnement",
            "Stop receiving these emails? / Ne plus recevoir ces e-mails ?",
            form=f"{request.url.path}?{request.url.query}",
        )

    async def unsubscribe(request: Request) -> Response:
        token = request.query_params.get("token")
        if not token or len(token) > 200:
            return page("Link incomplete / Lien incomplet", "This link has no valid token.", 400)
        try:
            async with pool.connection() as conn:
                kind = await conn.scalar(QUERIES["unsubscribe"], {"token": token})
        except QueryFailed as exc:
            if exc.sqlstate != UNKNOWN_LINK:
                raise
            return page(
                "Link not found / Lien introuvable",
                "This unsubscribe link is unknown or too old: change your email settings in the app."
                " / Ce lien est inconnu ou trop ancien : modifiez vos préférences dans l'application.",
                404,
            )
        log.info("unsubscribed from %s", kind, extra={"worker": "emails", "action": "unsubscribe"})
        return page(
            "Unsubscribed / Désabonné",
            "You will no longer receive these emails. / Vous ne recevrez plus ces e-mails.",
        )

    def events_route(
        provider: str,
        configured: Callable[[], bool],
        verify: Callable[[Request, bytes], None],
        parse: Callable[[bytes], list[DeliverabilityEvent]],
    ) -> Route:
        async def receive(request: Request) -> Response:
            if not configured():
                return JSONResponse({"error": f"the {provider} event webhook is not configured"}, 404)
            try:
                body = await read_body(request, MAX_BODY)
            except TooLarge:
                return JSONResponse({"error": f"body larger than {MAX_BODY} bytes"}, 400)
            try:
                verify(request, body)
            except SignatureError as exc:
                log.warning("%s event webhook refused: %s", provider, exc, extra={"worker": "emails"})
                return JSONResponse({"error": str(exc)}, 401)
            try:
                events = parse(body)
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, 400)
            suppressed = 0
            async with pool.connection() as conn:
                for event in events:
                    reason = SUPPRESSING.get(event.kind)
                    if reason is None:
                        continue
                    added = await conn.scalar(
                        QUERIES["suppress"],
                        {
                            "email": event.email,
                            "reason": reason,
                            "provider": provider,
                            "detail": event.detail,
                        },
                    )
                    suppressed += bool(added)
            if suppressed:
                log.info("%s: %s address(es) suppressed", provider, suppressed, extra={"worker": "emails"})
            return JSONResponse({"received": len(events), "suppressed": suppressed})

        return Route(f"/emails/events/{provider}", receive, methods=["POST"])

    def verify_sendgrid_call(request: Request, body: bytes) -> None:
        assert settings.sendgrid_webhook_public_key is not None
        verify_sendgrid(
            settings.sendgrid_webhook_public_key,
            request.headers.get("x-twilio-email-event-webhook-signature", ""),
            request.headers.get("x-twilio-email-event-webhook-timestamp", ""),
            body,
        )

    def verify_brevo_call(request: Request, body: bytes) -> None:
        assert settings.brevo_webhook_token is not None
        verify_brevo(settings.brevo_webhook_token, request.headers.get("authorization"))

    return [
        Route("/emails/unsubscribe", unsubscribe_page, methods=["GET"]),
        Route("/emails/unsubscribe", unsubscribe, methods=["POST"]),
        events_route(
            "sendgrid",
            lambda: settings.sendgrid_webhook_public_key is not None,
            verify_sendgrid_call,
            parse_sendgrid,
        ),
        events_route(
            "brevo", lambda: settings.brevo_webhook_token is not None, verify_brevo_call, parse_brevo
        ),
    ]
