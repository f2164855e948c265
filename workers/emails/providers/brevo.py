"""Brevo's transactional email API: `POST {api_url}/v3/smtp/email`, authenticated by the
`api-key` header; 201 answers `{"messageId": "<...>"}`, errors `{"code": ..., "message": ...}`.

What the request carries, and why:
- `headers.idempotencyKey`: Brevo processes a request once per key within its TTL (15 minutes
  when announced, 30 in the current guide) and documents the key as a UUID. Our key is sent
  as it is when it is a UUID, else as the UUIDv5 of it: the same key always gives the same
  UUID, so retries still match.
- `headers.X-Mailin-custom`: our Message-ID. Brevo echoes this header in every webhook event
  (`X-Mailin-custom`), which is how `events.parse_brevo` ties a bounce back to the email we
  stored. Our Message-ID itself is not sent as a header: the API takes "custom headers (not the
  standard headers)", and Brevo gives the message its own Message-ID (the `messageId` it
  returns, and the `message-id` of its events).
- The extra headers (List-Unsubscribe, ...), `replyTo`, and the tags as `tags`.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from luneo.workers.emails.message import Address, EmailMessage
from luneo.workers.emails.providers.base import SendResult
from luneo.workers.emails.providers.http import make_client, post_json

DEFAULT_API_URL = "https://api.brevo.com"
_KEY_NAMESPACE = uuid.UUID("6f0d1c52-58a4-4c57-9a57-3c1f3b0f2e4d")
"""Fixed forever: changing it would give the same email a new Brevo key."""


def brevo_idempotency_key(key: str) -> str:
    """`key` when it is a UUID, else a UUID derived from it (the same one every time)."""
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return str(uuid.uuid5(_KEY_NAMESPACE, key))


def _address(address: Address) -> dict[str, str]:
    return {"email": address.email, **({"name": address.name} if address.name else {})}


def brevo_payload(message: EmailMessage) -> dict[str, Any]:
    """The JSON body of `POST /v3/smtp/email` for `message`."""
    headers = {
        **message.headers,
        "X-Mailin-custom": message.message_id,
        "idempotencyKey": brevo_idempotency_key(message.idempotency_key),
    }
    payload: dict[str, Any] = {
        "sender": _address(message.sender),
        "to": [_address(message.to)],
        "subject": message.subject,
        "htmlContent": message.html,
        "headers": headers,
    }
    if message.text:
        payload["textContent"] = message.text
    if message.reply_to is not None:
        payload["replyTo"] = _address(message.reply_to)
    if message.tags:
        payload["tags"] = list(message.tags)
    return payload


def _brevo_error(body: Any) -> str | None:
    """Brevo's error body: `{"code": "invalid_parameter", "message": "..."}`."""
    code, said = body.get("code"), body.get("message")
    if code is None and said is None:
        return None
    return ": ".join(str(part) for part in (code, said) if part is not None)


class BrevoProvider:
    name = "brevo"

    def __init__(
        self,
        *,
        api_key: str,
        api_url: str = DEFAULT_API_URL,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        """`client`: the process's shared client; None creates one, which `aclose` closes."""
        self._api_key = api_key
        self._url = f"{api_url.rstrip('/')}/v3/smtp/email"
        self._owns_client = client is None
        self._client = client if client is not None else make_client(timeout)

    def __repr__(self) -> str:
        return f"BrevoProvider(url={self._url!r})"  # never the key

    async def send(self, message: EmailMessage) -> SendResult:
        response = await post_json(
            self._client,
            self.name,
            self._url,
            brevo_payload(message),
            {"api-key": self._api_key, "accept": "application/json"},
            _brevo_error,
        )
        try:
            message_id = response.json().get("messageId")
        except (ValueError, AttributeError):
            message_id = None
        return SendResult(provider_message_id=message_id if isinstance(message_id, str) else None)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()
