"""What the HTTP providers (Brevo, SendGrid) share: one client, one way to read an answer.

One `httpx.AsyncClient` per process, as the webhooks worker does: its connection pool keeps the
TLS connection to the provider open between emails, and its explicit timeouts bound every send
(no request waits forever on a provider that stopped answering). Redirects are not followed: an
API that redirects a POST is misconfigured, and following it would carry the API key along.

Answers map to the two errors the same way for both providers: 408, 429 and 5xx are transient
(429's Retry-After honoured), any other 4xx (and an unexpected 1xx/3xx) is permanent. No
response at all (refused, reset, timed out) is transient; note that a timeout while reading
the answer leaves it unknown whether the provider accepted the email, so the retry may send it
twice where the provider does not deduplicate (docs/emails-providers.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib.metadata import version
from typing import Any

import httpx

from luneo.workers.emails.providers.base import PermanentSendError, TransientSendError, short
from luneo.workers.webhooks.sender import parse_retry_after

TRANSIENT_STATUSES = frozenset({408, 429})
USER_AGENT = f"Luneo-Emails/{version('luneo')}"


def make_client(timeout: float, *, max_connections: int = 20) -> httpx.AsyncClient:
    """The client HTTP providers share: `timeout` seconds for each of connect, write and read
    (and for waiting on a pooled connection), a bounded pool, no redirects."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
    )


async def post_json(
    client: httpx.AsyncClient,
    provider: str,
    url: str,
    payload: Mapping[str, Any],
    headers: Mapping[str, str],
    describe_error: Callable[[Any], str | None],
) -> httpx.Response:
    """POST `payload` as JSON; the 2xx response, or the error its status maps to.

    `describe_error` turns the provider's parsed error body into the words `detail` carries."""
    try:
        response = await client.post(url, json=payload, headers=dict(headers))
    except httpx.TimeoutException as exc:
        raise TransientSendError(f"{provider}: timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TransientSendError(f"{provider}: no response ({type(exc).__name__}: {exc})") from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    said = _error_words(response, describe_error)
    detail = f"{provider}: HTTP {status}" + (f": {said}" if said else "")
    if status in TRANSIENT_STATUSES or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise TransientSendError(detail, retry_after=retry_after)
    raise PermanentSendError(detail)


def _error_words(response: httpx.Response, describe_error: Callable[[Any], str | None]) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return short(response.text, 200)
    try:
        said = describe_error(body)
    except (AttributeError, KeyError, IndexError, TypeError):
        said = None
    return short(said if said is not None else json.dumps(body), 200)
