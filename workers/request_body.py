"""Reading a request's raw body with a size limit: what the inbound webhooks (Stripe, email
providers) share. The body is read as it streams in and refused as soon as it passes the limit,
so an oversized or endless upload costs at most `limit` bytes of memory."""

from __future__ import annotations

from starlette.requests import Request


class TooLarge(Exception):
    """The body is larger than the limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused (TooLarge) past `limit` bytes without reading further."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)
