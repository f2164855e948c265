"""SendGrid's v3 Mail Send API: `POST {api_url}/v3/mail/send` with `Authorization: Bearer
<key>`; 202 Accepted with the message's id in the `X-Message-Id` response header, errors as
`{"errors": [{"message": ..., "field": ..., "help": ...}]}`.

What the request carries, and why:
- `content`: text/plain first, then text/html, the order SendGrid requires.
- `headers`: our Message-ID and the extra headers. SendGrid refuses only its reserved headers
  (x-sg-id, x-sg-eid, received, dkim-signature, Content-Type, Content-Transfer-Encoding, To,
  From, Subject, Reply-To, CC, BCC), which `EmailMessage` never lets through as extra headers;
  Message-ID is not among them and is kept in the delivered message.
- `custom_args`: our Message-ID and idempotency key. SendGrid copies custom args into every
  event of the message, which is how `events.parse_sendgrid` ties an event back to the email we
  stored. SendGrid has no idempotency key: a retry after a timeout that SendGrid had in fact
  accepted sends the email twice (docs/emails-providers.md).
- the tags as `categories`, the reply address as `reply_to`.
"""

from __future__ import annotations

from typing import Any

import httpx

from luneo.workers.emails.message import Address, EmailMessage
from luneo.workers.emails.providers.base import SendResult
from luneo.workers.emails.providers.http import make_client, post_json

DEFAULT_API_URL = "https://api.sendgrid.com"
MESSAGE_ID_ARG = "luneo_message_id"
IDEMPOTENCY_KEY_ARG = "luneo_idempotency_key"


def _address(address: Address) -> dict[str, str]:
    return {"email": address.email, **({"name": address.name} if address.name else {})}


def sendgrid_payload(message: EmailMessage) -> dict[str, Any]:
    """The JSON body of `POST /v3/mail/send` for `message`."""
    content = [{"type": "text/plain", "value": message.text}] if message.text else []
    content.append({"type": "text/html", "value": message.html})
    payload: dict[str, Any] = {
        "personalizations": [{"to": [_address(message.to)]}],
        "from": _address(message.sender),
        "subject": message.subject,
        "content": content,
        "headers": {"Message-ID": message.message_id, **message.headers},
        "custom_args": {MESSAGE_ID_ARG: message.message_id, IDEMPOTENCY_KEY_ARG: message.idempotency_key},
    }
    if message.reply_to is not None:
        payload["reply_to"] = _address(message.reply_to)
    if message.tags:
        payload["categories"] = list(message.tags)
    return payload


def _sendgrid_error(body: Any) -> str | None:
    errors = body.get("errors")
    if not errors:
        return None
    words = []
    for error in errors[:3]:
        field = error.get("field")
        words.append(f"{field}: {error.get('message')}" if field else str(error.get("message")))
    return "; ".join(words)


class SendGridProvider:
    name = "sendgrid"

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
        self._url = f"{api_url.rstrip('/')}/v3/mail/send"
        self._owns_client = client is None
        self._client = client if client is not None else make_client(timeout)

    def __repr__(self) -> str:
        return f"SendGridProvider(url={self._url!r})"  # never the key

    async def send(self, message: EmailMessage) -> SendResult:
        response = await post_json(
            self._client,
            self.name,
            self._url,
            sendgrid_payload(message),
            {"authorization": f"Bearer {self._api_key}"},
            _sendgrid_error,
        )
        return SendResult(provider_message_id=response.headers.get("x-message-id"))

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()
