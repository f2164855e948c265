"""The SSRF guard: a customer's webhook URL may only reach the public internet.

A webhook URL is chosen by whoever configures the endpoint, and the worker that calls it runs
inside our network: without a guard, `https://169.254.169.254/...` or a name resolving to
`10.0.0.5` would make it read cloud credentials or post into internal services. `vet` resolves
the host once and returns the addresses it checked; the sender connects to those addresses only
and never resolves again, so a name cannot pass the check and then rebind to an internal address
(DNS rebinding).

Every resolved address must be global: one private address among public ones refuses the URL.
Python's `is_global` is not enough on its own (on 3.11 it calls 6to4, NAT64 and IPv4-compatible
addresses global whatever IPv4 they carry), so addresses that wrap an IPv4 address are judged by
the IPv4 address inside, and the special ranges are also listed here explicitly.

Refusal messages are safe to record and to show the endpoint's owner: they name the URL as
scheme://host:port at most (a path or a query may hold a token) and never the address a name
resolved to (it could reveal our internal DNS); the `address` attribute keeps it for logs.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import re
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str] | Awaitable[Sequence[str]]]
"""host, port -> IP address strings (sync or async); the default asks `getaddrinfo`."""

RESOLVE_TIMEOUT = 10.0
ALLOWED_LOW_PORTS = frozenset({80, 443})
"""Below 1024 only the HTTP ports: the others are SSH, SMTP and friends, not webhooks."""

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
"""Cloud instance metadata (AWS/GCP/Azure, AWS over IPv6, Alibaba): credentials live there."""

_NON_GLOBAL_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast, deprecated (RFC 7526)
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",  # reserved, and 255.255.255.255
    )
)
_NON_GLOBAL_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo's 2001::/32 among them
        "2001:db8::/32",
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",  # site-local, deprecated but still routed by some networks
        "ff00::/8",
    )
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# the forms inet_aton reads as IPv4: 1 to 4 parts, each decimal, octal (0...) or hex (0x...)
_INET_ATON = re.compile(r"^(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+)){0,3}$", re.IGNORECASE)


class Refused(Exception):
    """A URL the guard will not let the sender reach. `reason` is a stable code: `invalid_url`,
    `scheme`, `userinfo`, `port`, `resolution_failed` or `non_global_address`."""

    def __init__(self, reason: str, message: str, *, address: IPAddress | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.address = address
        """The offending address, for operators' logs only (see the module's docstring)."""


@dataclass(frozen=True)
class Target:
    """A vetted URL and the only addresses the sender may connect to for it."""

    url: str
    scheme: str
    host: str
    """As httpx sends it: lowercase, IDNA-encoded, IPv6 without brackets."""
    port: int
    addresses: tuple[IPAddress, ...]

    def describe(self) -> str:
        return describe(httpx.URL(self.url))


def describe(url: httpx.URL) -> str:
    """scheme://host:port: what of a URL may be recorded. Not the userinfo nor the query, and
    not the path either: many webhook URLs carry their token there (`/services/T0/B0/<token>`)."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}:{_port(url)}"


async def vet(url: str, *, allow_http_loopback: bool = False, resolver: Resolver | None = None) -> Target:
    """Check `url` and resolve its host; every address must be global.

    `allow_http_loopback` is the development setting (LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK): it
    also accepts loopback addresses, and http:// to them; private, link-local and metadata
    addresses stay refused."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise Refused("invalid_url", "not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise Refused("scheme", "a webhook URL must start with https://")
    if not parsed.host:
        raise Refused("invalid_url", "a webhook URL must name a host")
    where = describe(parsed)
    if parsed.scheme == "http" and not allow_http_loopback:
        raise Refused("scheme", f"{where}: webhook URLs must use https")
    if parsed.userinfo:
        raise Refused("userinfo", f"{where}: a webhook URL may not hold a user name or password")
    port = _port(parsed)
    if not 0 < port < 65536 or (port < 1024 and port not in ALLOWED_LOW_PORTS):
        raise Refused("port", f"{where}: port {port} is not allowed (80, 443 or 1024 and above)")
    host = parsed.raw_host.decode("ascii")

    literal = _literal(host)
    resolved = await _resolve(resolver or _getaddrinfo, host, port, where)
    addresses = (literal,) if literal is not None else resolved
    # a literal is also checked as the resolver read it: two parsers, both must agree it is safe
    for address in dict.fromkeys((*addresses, *resolved)):
        _check(address, allow_loopback=allow_http_loopback, where=where, named=literal is None)
    if parsed.scheme == "http" and not all(_is_loopback(a) for a in addresses):
        raise Refused("scheme", f"{where}: http is only allowed to loopback addresses")
    return Target(url=url, scheme=parsed.scheme, host=host, port=port, addresses=addresses)


def _port(url: httpx.URL) -> int:
    if url.port is not None:
        return url.port
    return 443 if url.scheme == "https" else 80


def non_global_reason(address: IPAddress) -> str | None:
    """Why `address` is not a public internet address, or None if it is. An address wrapping
    an IPv4 address (IPv4-mapped, 6to4, NAT64) is judged by the address it carries."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a scoped (link-local) address"
        if address in _IPV4_COMPATIBLE and int(address) > 1:  # not :: nor ::1
            return "an IPv4-compatible address (deprecated)"
        inner = _embedded_ipv4(address)
        if inner is not None:
            return non_global_reason(inner)
        if address.teredo is not None:
            return "a Teredo address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or address in ipaddress.IPv4Network("100.64.0.0/10"):
        return "a private address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address"
    networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]
    networks = _NON_GLOBAL_V4 if address.version == 4 else _NON_GLOBAL_V6
    if not address.is_global or any(address in n for n in networks):
        return "not a global address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _IPV4_TRANSLATED or any(address in n for n in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _check(address: IPAddress, *, allow_loopback: bool, where: str, named: bool) -> None:
    reason = non_global_reason(address)
    if reason is None or (allow_loopback and _is_loopback(address)):
        return
    subject = "the host resolves to" if named else "the host is"
    raise Refused("non_global_address", f"{where}: {subject} {reason}", address=address)


def _is_loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _literal(host: str) -> IPAddress | None:
    """The address a host names literally, in any form the resolver would also read as one
    (`2130706433`, `0x7f.1`, `017700000001` are all 127.0.0.1)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _INET_ATON.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise Refused("invalid_url", "the host is a malformed IPv4 address") from None
    return None


async def _resolve(resolver: Resolver, host: str, port: int, where: str) -> tuple[IPAddress, ...]:
    failed = Refused("resolution_failed", f"{where}: the host name could not be resolved")
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            answer = resolver(host, port)
            names = await answer if inspect.isawaitable(answer) else answer
    except (OSError, TimeoutError):  # socket.gaierror is an OSError
        raise failed from None
    try:
        addresses = tuple(dict.fromkeys(ipaddress.ip_address(n) for n in names))
    except ValueError:
        raise failed from None
    if not addresses:
        raise failed
    return addresses


async def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


class VettedTargets:
    """`vet` with its answers kept `ttl` seconds per URL, as a DNS cache would: deliveries to one
    endpoint do not each wait for a lookup. A kept `Target` is still the only set of addresses
    the sender connects to, so a name that changes meanwhile is followed after `ttl` at most and
    can never rebind the connection. Refusals are not kept (each delivery records its own)."""

    def __init__(
        self,
        *,
        allow_http_loopback: bool = False,
        resolver: Resolver | None = None,
        ttl: float = 30.0,
        max_size: int = 10_000,
    ) -> None:
        self.allow_http_loopback = allow_http_loopback
        self.resolver = resolver
        self.ttl = ttl
        self.max_size = max_size
        self._kept: dict[str, tuple[float, Target]] = {}

    async def get(self, url: str) -> Target:
        now = time.monotonic()
        kept = self._kept.get(url)
        if kept is not None and kept[0] > now:
            return kept[1]
        target = await vet(url, allow_http_loopback=self.allow_http_loopback, resolver=self.resolver)
        if len(self._kept) >= self.max_size:
            self._kept.clear()
        self._kept[url] = (now + self.ttl, target)
        return target
