"""Deliverability events from the providers' webhooks: checked, then read into one shape.

Pure functions over the request's raw parts, so that the HTTP route stays a few lines: verify
first (a `SignatureError` means answer 400/401 and store nothing), then parse (a `ValueError`
means a body that is not what the provider sends: 400).

    verify_sendgrid(key, headers[SENDGRID_SIGNATURE_HEADER], headers[SENDGRID_TIMESTAMP_HEADER], body)
    events = parse_sendgrid(body)

    verify_brevo(token, headers.get("authorization"))
    events = parse_brevo(body)

Only three kinds matter to what we send next, everything else is `other` (kept, so the route
can count or log it):
- `hard_bounce`: the address does not exist; never send to it again;
- `complaint`: the recipient marked an email as spam;
- `unsubscribe`: the recipient unsubscribed through the provider.

SendGrid signs each request (ECDSA P-256 over SHA-256 of the timestamp header followed by the
raw body; its Signed Event Webhook). Brevo signs nothing: its webhook is created with a bearer
token (`auth: {"type": "bearer", "token": ...}`) sent back as `Authorization: Bearer <token>`,
or with credentials in its URL (HTTP Basic); either is a shared secret compared in constant
time. Sources in docs/emails-providers.md.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from luneo.workers.emails.providers.base import short
from luneo.workers.emails.providers.sendgrid import MESSAGE_ID_ARG

Kind = Literal["hard_bounce", "complaint", "unsubscribe", "other"]

SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
DEFAULT_TOLERANCE = 300.0
"""Seconds a SendGrid timestamp may be away from our clock: bounds how long a captured request
can be replayed. SendGrid documents no window; five minutes is the usual one (Stripe, Standard
Webhooks)."""


@dataclass(frozen=True)
class DeliverabilityEvent:
    provider: str
    """`sendgrid` or `brevo`."""
    kind: Kind
    email: str
    """The recipient the event is about ('' for an event about no recipient)."""
    event_id: str | None
    """The provider's id of this event, to drop a redelivered one (SendGrid: `sg_event_id`;
    Brevo sends none: `<message-id>/<event>/<ts_epoch>`, the same for a redelivery)."""
    occurred_at: datetime | None
    """When it happened (UTC)."""
    message_id: str | None
    """Our Message-ID (`EmailMessage.message_id`) as the provider echoed it back (SendGrid custom
    arg, Brevo `X-Mailin-custom`); None for an email that did not carry it."""
    detail: str
    """The provider's event name and what it said (bounce reason, ...), short."""
    provider_message_id: str | None = None
    """The provider's own id of the message (SendGrid `sg_message_id`, Brevo `message-id`)."""


class SignatureError(Exception):
    """The request is not provably from the provider (or is too old): answer 400/401, store
    nothing."""


# --- SendGrid -------------------------------------------------------------------------------


def load_sendgrid_key(public_key_b64: str) -> ec.EllipticCurvePublicKey:
    """The verification key SendGrid shows (base64 of a DER SubjectPublicKeyInfo; PEM armour
    tolerated). ValueError for anything else: a configuration error, not a bad request."""
    lines = [line for line in public_key_b64.strip().splitlines() if not line.startswith("-----")]
    try:
        der = base64.b64decode("".join("".join(lines).split()), validate=True)
        key = load_der_public_key(der)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the SendGrid verification key is not a base64 DER public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("the SendGrid verification key is not an ECDSA P-256 public key")
    return key


def verify_sendgrid(
    public_key_b64: str,
    signature_b64: str | None,
    timestamp: str | None,
    body: bytes,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Return when `signature_b64` (the `X-Twilio-Email-Event-Webhook-Signature` header) is
    SendGrid's signature of `timestamp` (the `...-Timestamp` header) followed by `body` (the raw
    request body, byte for byte), and the timestamp is within `tolerance` seconds of `now`;
    raise SignatureError otherwise (a missing header, None, included). ValueError when the
    configured key itself is unusable."""
    key = load_sendgrid_key(public_key_b64)
    if signature_b64 is None or timestamp is None:
        raise SignatureError("the webhook signature or timestamp header is missing")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise SignatureError("the webhook timestamp is not a Unix time")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the webhook signature is not base64") from None
    try:
        key.verify(signature, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureError("the webhook signature does not match") from None
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > tolerance:
        raise SignatureError(f"the webhook timestamp is {age:.0f} s away from now (stale or replayed)")


_SENDGRID_DROPPED: dict[str, Kind] = {
    "bounced address": "hard_bounce",
    "spam reporting address": "complaint",
    "unsubscribed address": "unsubscribe",
}
"""A `dropped` event's reason when SendGrid refused to send because the address is on one of its
suppression lists: the earlier event that put it there, seen again."""


def _sendgrid_kind(event: Mapping[str, Any]) -> Kind:
    name = event["event"]
    if name == "bounce":
        # `type` "bounce" is a hard bounce; "blocked" is a temporary or policy refusal
        return "hard_bounce" if event.get("type", "bounce") == "bounce" else "other"
    if name == "dropped":
        return _SENDGRID_DROPPED.get(str(event.get("reason", "")).strip().lower(), "other")
    if name == "spamreport":
        return "complaint"
    if name in ("unsubscribe", "group_unsubscribe"):
        return "unsubscribe"
    return "other"


def parse_sendgrid(body: bytes) -> list[DeliverabilityEvent]:
    """SendGrid's Event Webhook body (a JSON array of events) read into events, in order."""
    payload = _json(body)
    if not isinstance(payload, list):
        raise ValueError("a SendGrid event webhook body is a JSON array")
    events = []
    for item in payload:
        event = _object(item, "SendGrid")
        kind = _sendgrid_kind(event)
        said = [event["event"]] + [
            str(event[k])
            for k in ("type", "reason", "status")
            if event.get(k) not in (None, "", event["event"])
        ]
        events.append(
            DeliverabilityEvent(
                provider="sendgrid",
                kind=kind,
                email=_recipient(event, kind),
                event_id=_text(event.get("sg_event_id")),
                occurred_at=_from_unix(event.get("timestamp")),
                message_id=_text(event.get(MESSAGE_ID_ARG)),
                detail=short(": ".join(said)),
                provider_message_id=_text(event.get("sg_message_id")),
            )
        )
    return events


# --- Brevo ----------------------------------------------------------------------------------


def verify_brevo(token: str, authorization: str | None) -> None:
    """Return when the `Authorization` header carries `token`: `Bearer <token>` (a webhook
    created with `auth: {"type": "bearer", "token": ...}`), or HTTP Basic whose password is
    `token` (a webhook URL `https://user:<token>@host/...`; the user name is not checked).
    SignatureError otherwise. ValueError when `token` is empty (nothing would be checked)."""
    if not token:
        raise ValueError("no Brevo webhook token is configured")
    if not authorization:
        raise SignatureError("no Authorization header")
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, ValueError):
            raise SignatureError("the Basic credentials are not base64") from None
        credentials = decoded.partition(":")[2]
    elif scheme.lower() != "bearer":
        raise SignatureError("the Authorization header is neither Bearer nor Basic")
    if not hmac.compare_digest(credentials.encode(), token.encode()):
        raise SignatureError("the webhook token does not match")


_BREVO_KINDS: dict[str, Kind] = {
    "hard_bounce": "hard_bounce",
    "spam": "complaint",
    "complaint": "complaint",
    "unsubscribed": "unsubscribe",  # transactional webhooks
    "unsubscribe": "unsubscribe",  # marketing webhooks
}


def parse_brevo(body: bytes) -> list[DeliverabilityEvent]:
    """Brevo's transactional webhook body read into events: one JSON object per request, or a
    JSON array of them (a webhook created with `batched: true`)."""
    payload = _json(body)
    items = payload if isinstance(payload, list) else [payload]
    events = []
    for item in items:
        event = _object(item, "Brevo")
        name = event["event"]
        kind = _BREVO_KINDS.get(name, "other")
        provider_id = _text(event.get("message-id"))
        stamp = event.get("ts_epoch") if _is_number(event.get("ts_epoch")) else event.get("ts_event")
        custom = next((v for k, v in event.items() if k.lower() == "x-mailin-custom"), None)
        events.append(
            DeliverabilityEvent(
                provider="brevo",
                kind=kind,
                email=_recipient(event, kind),
                event_id=f"{provider_id}/{name}/{stamp}" if provider_id and _is_number(stamp) else None,
                occurred_at=_brevo_time(stamp),
                message_id=_text(custom),
                detail=short(f"{name}: {event['reason']}" if event.get("reason") else name),
                provider_message_id=provider_id,
            )
        )
    return events


def _brevo_time(stamp: Any) -> datetime | None:
    """`ts_epoch` is documented in milliseconds (UTC) but the documentation's own examples give
    seconds, and `ts_event` is in seconds: a value past 10^11 (seconds: the year 5138) is taken as
    milliseconds. Not `date`, in the account's time zone."""
    if not _is_number(stamp):
        return None
    return _from_unix(stamp / 1000 if stamp > 1e11 else stamp)


# --- shared -------------------------------------------------------------------------------


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError("the webhook body is not JSON") from None


def _object(item: Any, provider: str) -> Mapping[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("event"), str):
        raise ValueError(f"a {provider} event is a JSON object with an 'event' name")
    return item


def _recipient(event: Mapping[str, Any], kind: Kind) -> str:
    email = event.get("email")
    if isinstance(email, str) and email:
        return email
    if kind != "other":  # an event we would act on must say about whom
        raise ValueError(f"a {event['event']!r} event without an 'email'")
    return ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _from_unix(value: Any) -> datetime | None:
    if not _is_number(value):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
