"""A stand-in for the Supabase Auth endpoints on loopback, and real access tokens for it.

    with AuthServer() as auth:
        token = auth.es256(user_id, email, aal="aal2")   # verified locally against the JWKS
        legacy = auth.hs256(user_id, email)              # verified by GET /auth/v1/user

It serves what a token check needs, under `/auth/v1` as Supabase's gateway does:
`.well-known/jwks.json` (the public half of a real P-256 key, with its `kid`) and `user` (200
with the user for a token it signed, HS256 or ES256, 401 otherwise). Both want the project's
`apikey` header, as the gateway does. Tokens carry the claims Supabase puts in an access token.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ANON_KEY = "anon-key-of-the-luneo-test-project"
HS256_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"


class AuthServer:
    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid = f"key-{uuid.uuid4().hex[:8]}"
        self.server = HTTPServer(host="127.0.0.1", port=0)
        self.jwks_fetches = 0
        self.user_calls = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """SUPABASE_URL (the client adds /auth/v1)."""
        return f"http://127.0.0.1:{self.server.port}"

    def __enter__(self) -> Self:
        self.server.expect_request("/auth/v1/.well-known/jwks.json", method="GET").respond_with_handler(
            self._jwks
        )
        self.server.expect_request("/auth/v1/user", method="GET").respond_with_handler(self._user)
        self.server.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.clear()
        self.server.stop()

    # -- tokens ------------------------------------------------------------------------------------

    def claims(
        self, user_id: uuid.UUID, email: str, *, aal: str = "aal1", expires_in: int = 3600, **extra: Any
    ) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": f"{self.url}/auth/v1",
            "sub": str(user_id),
            "aud": "authenticated",
            "exp": now + expires_in,
            "iat": now - 5,
            "email": email,
            "phone": "",
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {},
            "role": "authenticated",
            "aal": aal,
            "amr": [{"method": "password" if aal == "aal1" else "totp", "timestamp": now - 5}],
            "session_id": str(uuid.uuid4()),
            "is_anonymous": False,
        } | extra

    def es256(
        self,
        user_id: uuid.UUID,
        email: str,
        *,
        key: ec.EllipticCurvePrivateKey | None = None,
        kid: str | None = None,
        **claims: Any,
    ) -> str:
        """An asymmetric token, signed with this project's key unless `key` says otherwise."""
        return jwt.encode(
            self.claims(user_id, email, **claims),
            key or self.key,
            algorithm="ES256",
            headers={"kid": kid or self.kid, "typ": "JWT"},
        )

    def hs256(self, user_id: uuid.UUID, email: str, *, secret: str = HS256_SECRET, **claims: Any) -> str:
        """A legacy symmetric token (no kid), only the Auth server can check."""
        return jwt.encode(self.claims(user_id, email, **claims), secret, algorithm="HS256")

    # -- endpoints ---------------------------------------------------------------------------------

    def _jwks(self, request: Request) -> Response:
        if request.headers.get("apikey") != ANON_KEY:
            return answer(401, {"message": "No API key found in request"})
        with self._lock:
            self.jwks_fetches += 1
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        return answer(
            200, {"keys": [public | {"kid": self.kid, "alg": "ES256", "use": "sig", "key_ops": ["verify"]}]}
        )

    def _user(self, request: Request) -> Response:
        with self._lock:
            self.user_calls += 1
        if request.headers.get("apikey") != ANON_KEY:
            return answer(401, {"message": "No API key found in request"})
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme != "Bearer":
                raise jwt.InvalidTokenError("no bearer token")
            keys = {"HS256": HS256_SECRET, "ES256": self.key.public_key()}
            alg = jwt.get_unverified_header(token).get("alg")
            if alg not in keys:
                raise jwt.InvalidAlgorithmError(f"unexpected alg {alg}")
            claims = jwt.decode(token, keys[alg], algorithms=[alg], audience="authenticated")  # type: ignore[arg-type]
        except jwt.PyJWTError as exc:
            return answer(401, {"code": 401, "error_code": "bad_jwt", "msg": f"invalid JWT: {exc}"})
        return answer(
            200,
            {
                "id": claims["sub"],
                "aud": "authenticated",
                "role": claims["role"],
                "email": claims["email"],
                "app_metadata": claims["app_metadata"],
                "user_metadata": claims["user_metadata"],
                "created_at": datetime.now(UTC).isoformat(),
            },
        )


def answer(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status, {"content-type": "application/json"})
