"""Standard Webhooks signatures (https://www.standardwebhooks.com/): what a receiver checks.

A delivery is signed over `msg_id.timestamp.body` with HMAC-SHA256, so the id and the time of
the attempt are as authentic as the body: a receiver rejects a replay by its timestamp and a
duplicate by its id. The `webhook-signature` header is a space-separated list so that a secret
can be rotated without downtime: while the old and the new secret overlap, every delivery
carries one signature per secret and the receiver accepts the first that matches.

Secrets are `whsec_` + base64 of 24 to 64 random bytes, the spec's own serialisation, so a
secret made here works with every Standard Webhooks library. No function here puts a secret
in an error message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from importlib.metadata import version
from secrets import token_bytes

PREFIX = "whsec_"
MIN_BYTES, MAX_BYTES = 24, 64
USER_AGENT = f"Luneo-Webhooks/{version('luneo')}"


def new_secret(nbytes: int = 32) -> str:
    """A fresh endpoint secret: `whsec_` + base64 of `nbytes` random bytes (24 to 64)."""
    if not MIN_BYTES <= nbytes <= MAX_BYTES:
        raise ValueError(f"a webhook secret has {MIN_BYTES} to {MAX_BYTES} bytes, not {nbytes}")
    return PREFIX + base64.b64encode(token_bytes(nbytes)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_` secret stands for. The messages never quote the secret: they end
    up in logs and in the delivery's recorded error."""
    if not secret.startswith(PREFIX):
        raise ValueError(f"a webhook secret must start with {PREFIX}")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"a webhook secret must be standard base64 after {PREFIX}") from None
    if not key:
        raise ValueError(f"a webhook secret holds no key after {PREFIX}")
    return key


def sign(msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> str:
    """The `webhook-signature` header: `v1,<base64 HMAC-SHA256>` for each secret, in order.

    The spec asks that neither the id nor the timestamp may hold a `.`, which would let one
    signed content pass for another: both are checked here rather than trusted."""
    if not secrets:
        raise ValueError("signing needs at least one secret")
    if not msg_id or "." in msg_id:
        raise ValueError("a message id must be non-empty and hold no '.'")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("the timestamp must be a non-negative whole number of seconds")
    content = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.digest(secret_key(s), content, hashlib.sha256)).decode("ascii")
        for s in secrets
    )


def headers(msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> dict[str, str]:
    """Every header a delivery carries: the three Standard Webhooks ones and what the body is."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(msg_id, timestamp, body, secrets),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
