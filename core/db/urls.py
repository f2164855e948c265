"""Database URLs: parsing, redaction and the facts commands check before connecting."""

from __future__ import annotations

import re
from contextlib import suppress
from urllib.parse import unquote, urlsplit, urlunsplit

from psycopg import ProgrammingError
from psycopg.conninfo import conninfo_to_dict

from luneo.core.errors import ConnectionFailed

TRANSACTION_POOLER_PORT = "6543"
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})


_URL_PASSWORD = re.compile(r"(://[^:/@]*:)([^@]+)@")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)")


def redact(url: str) -> str:
    """The URL (or `key=value` conninfo) with any password replaced, safe to print or log."""
    url = _URL_PASSWORD.sub(r"\1***@", url)
    return _KEYWORD_PASSWORD.sub(r"\1***", url)


def passwords(url: str) -> set[str]:
    """Every form in which the URL's password can appear in a message: as written, percent-decoded
    and as libpq reads it. Found even in a URL that does not parse."""
    found = {m[2] for m in _URL_PASSWORD.finditer(url)}
    found |= {m[2].strip("'") for m in _KEYWORD_PASSWORD.finditer(url)}
    with suppress(ProgrammingError):
        found.add(str(conninfo_to_dict(url).get("password") or ""))
    found |= {unquote(p) for p in found}
    return {p for p in found if p}


def scrub(text: str, url: str) -> str:
    """`text` (a message about `url`, libpq's own for instance) with the URL redacted and every
    occurrence of its password, raw or percent-decoded, replaced by `***`."""
    text = text.replace(url, redact(url))
    for secret in sorted(passwords(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _params(url: str) -> dict[str, str]:
    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items()}
    except ProgrammingError as exc:
        reason = scrub(" ".join(str(exc).split()), url)
        raise ConnectionFailed(f"invalid database URL {redact(url)}: {reason}") from None


def uses_transaction_pooler(url: str) -> bool:
    """True when the URL points at Supabase's transaction pooler (port 6543)."""
    return _params(url).get("port") == TRANSACTION_POOLER_PORT


def is_local(url: str) -> bool:
    """True for a Unix socket or a loopback host: the only targets `reset` accepts freely."""
    host = _params(url).get("host", "")
    return host.startswith("/") or all(h in LOCAL_HOSTS for h in host.split(","))


def describe_target(url: str) -> str:
    """`user@host:port/dbname` without the password, for messages."""
    p = _params(url)
    host = p.get("host") or urlsplit(url).hostname or "localhost"
    return f"{p.get('user', '')}@{host}:{p.get('port', '5432')}/{p.get('dbname', '')}"


def with_database(url: str, dbname: str) -> str:
    """The same URL pointing at another database of the server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def database_name(url: str) -> str:
    """The database a URL names."""
    return _params(url).get("dbname", "")
