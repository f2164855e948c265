"""Who is calling the billing endpoints: the caller's Supabase access token, checked as Supabase
checks it.

`supabase_auth`'s `get_claims` does the work: an asymmetric token (ES256/RS256 with a `kid`) is
verified here against the project's signing keys (`/auth/v1/.well-known/jwks.json`, cached for
ten minutes by the client, which is why one `TokenVerifier` lives as long as the process); a
symmetric (HS256) one cannot be, so the Auth server is asked (`GET /auth/v1/user`). On top of a
valid signature and expiry, the billing endpoints need a signed-in user: `role` authenticated
and a user id in `sub` (an anon key is a valid token too, of nobody).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from supabase_auth import AsyncGoTrueClient
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError, AuthUnknownError

MAX_TOKEN = 16_384
"""Characters an access token may have; Supabase's are about 1 KiB (a huge app_metadata aside)."""
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class InvalidToken(Exception):
    """Missing, malformed, expired, forged, or not a signed-in user's: HTTP 401."""


class AuthUnavailable(Exception):
    """The Auth server could not be asked (down, a 5xx, an answer that is not its API): HTTP 503.
    Not the caller's fault, so not a 401 that would sign them out."""


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    claims: dict[str, Any]
    """Every claim of the token, what PostgREST puts in `request.jwt.claims`."""


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("send the Supabase access token as Authorization: Bearer <token>")
    if len(token) > MAX_TOKEN or token.count(".") != 2:
        raise InvalidToken("the bearer token is not a JWT")
    return token


class TokenVerifier:
    """Checks access tokens of one Supabase project; reuse it (it caches the signing keys)."""

    def __init__(self, api_url: str, anon_key: str) -> None:
        self.client = AsyncGoTrueClient(
            url=f"{api_url.rstrip('/')}/auth/v1",
            headers={"apikey": anon_key},
            # verify tokens, never hold a session: nothing stored, no refresh timer
            persist_session=False,
            auto_refresh_token=False,
            http_client=httpx.AsyncClient(
                timeout=TIMEOUT,
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=5),
                follow_redirects=False,
            ),
        )

    async def verify(self, authorization: str | None) -> Caller:
        token = bearer_token(authorization)
        try:
            response = await self.client.get_claims(jwt=token)
        except (AuthRetryableError, AuthUnknownError) as exc:
            raise AuthUnavailable(f"the Auth server did not answer: {exc}") from exc
        except AuthApiError as exc:
            if exc.status >= 500:
                raise AuthUnavailable(f"the Auth server failed ({exc.status}): {exc}") from exc
            raise InvalidToken(f"the Auth server refused the token: {exc}") from exc
        except AuthError as exc:  # AuthInvalidJwtError: structure, expiry, unknown kid, signature
            raise InvalidToken(str(exc)) from exc
        # a header naming an algorithm PyJWT lacks or a key of another type, or no alg at all
        except (jwt.PyJWTError, NotImplementedError, KeyError, ValueError, TypeError) as exc:
            raise InvalidToken(f"the token cannot be verified ({type(exc).__name__})") from exc
        if response is None:  # only without a token, which bearer_token ruled out
            raise InvalidToken("no token")
        claims = dict(response["claims"])
        if claims.get("role") != "authenticated":
            raise InvalidToken("the token is not a signed-in user's (role is not authenticated)")
        try:
            user_id = uuid.UUID(str(claims.get("sub")))
        except ValueError:
            raise InvalidToken("the token names no user (sub)") from None
        return Caller(user_id, claims)

    async def aclose(self) -> None:
        await self.client.close()
