"""The SSRF guard, without any network: literals, and names through an injected resolver."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest

from luneo.workers.webhooks.ssrf import Refused, Target, VettedTargets, non_global_reason, vet

PUBLIC = "93.184.215.14"


def resolving_to(*addresses: str):
    """A resolver answering every name with `addresses`, recording what it was asked."""

    def resolve(host: str, port: int) -> list[str]:
        resolve.calls.append((host, port))
        return list(addresses)

    resolve.calls = []
    return resolve


NON_GLOBAL_LITERALS = [
    "127.0.0.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.100.100.200",
    "100.64.0.1",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "192.88.99.1",
    "[::1]",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::ffff:10.0.0.1]",
    "[::7f00:1]",
    "[2002:7f00:1::]",
    "[2002:a9fe:a9fe::1]",
    "[64:ff9b::a00:1]",
    "[64:ff9b:1::a9fe:a9fe]",
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
    "[fd00:ec2::254]",
    "[fc00::1]",
    "[fe80::1]",
    "[fec0::1]",
    "[ff02::1]",
    "[2001:db8::1]",
    "2130706433",
    "0x7f.1",
    "017700000001",
    "0x7f000001",
    "127.1",
]


@pytest.mark.parametrize("host", NON_GLOBAL_LITERALS)
async def test_a_non_global_literal_is_refused_whatever_the_resolver_says(host: str) -> None:
    with pytest.raises(Refused) as caught:
        await vet(f"https://{host}/hook", resolver=resolving_to(PUBLIC))
    assert caught.value.reason == "non_global_address"
    assert "the host is " in str(caught.value)


@pytest.mark.parametrize("host", NON_GLOBAL_LITERALS)
async def test_a_non_global_literal_is_refused_through_getaddrinfo(host: str) -> None:
    # numeric hosts: getaddrinfo answers without asking DNS
    with pytest.raises(Refused) as caught:
        await vet(f"https://{host}/hook")
    assert caught.value.reason == "non_global_address"


@pytest.mark.parametrize("resolved", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:10.1.2.3"])
async def test_a_name_resolving_to_a_non_global_address_is_refused(resolved: str) -> None:
    with pytest.raises(Refused) as caught:
        await vet("https://hooks.example.com/x", resolver=resolving_to(resolved))
    assert caught.value.reason == "non_global_address"
    assert caught.value.address == ipaddress.ip_address(resolved)
    assert str(caught.value).startswith("https://hooks.example.com:443: the host resolves to ")
    assert resolved not in str(caught.value)  # our DNS's answers are not shown to the URL's owner


async def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    with pytest.raises(Refused) as caught:
        await vet("https://hooks.example.com/x", resolver=resolving_to(PUBLIC, "10.0.0.7", "2606:4700::1"))
    assert caught.value.reason == "non_global_address"
    assert caught.value.address == ipaddress.ip_address("10.0.0.7")


async def test_a_public_name_is_accepted_with_every_address_it_resolves_to() -> None:
    resolver = resolving_to(PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c", PUBLIC)
    target = await vet("https://Hooks.Example.com/in?token=abc", resolver=resolver)
    assert target == Target(
        url="https://Hooks.Example.com/in?token=abc",
        scheme="https",
        host="hooks.example.com",
        port=443,
        addresses=(
            ipaddress.IPv4Address(PUBLIC),
            ipaddress.IPv6Address("2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
        ),
    )
    assert resolver.calls == [("hooks.example.com", 443)]
    assert target.describe() == "https://hooks.example.com:443"


async def test_an_async_resolver_and_an_idna_host() -> None:
    asked = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return [PUBLIC]

    target = await vet("https://bücher.example:8443/", resolver=resolve)
    assert asked == [("xn--bcher-kva.example", 8443)]
    assert (target.host, target.port) == ("xn--bcher-kva.example", 8443)


async def test_a_public_literal_is_accepted_as_its_own_address() -> None:
    target = await vet(f"https://{PUBLIC}:8443/hook")
    assert target.addresses == (ipaddress.IPv4Address(PUBLIC),)
    target = await vet("https://[2606:4700:4700::1111]/hook")
    assert target.host == "2606:4700:4700::1111"
    assert target.addresses == (ipaddress.IPv6Address("2606:4700:4700::1111"),)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("2002:808:808::1", None),  # 6to4 around 8.8.8.8
        ("64:ff9b::808:808", None),  # NAT64 (DNS64 networks) around 8.8.8.8
        ("::ffff:8.8.8.8", None),
        ("8.8.8.8", None),
        ("2002:a00:1::", "a private address"),
        ("64:ff9b::a9fe:a9fe", "a cloud metadata address"),
        ("::808:808", "an IPv4-compatible address (deprecated)"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "a Teredo address"),
        ("100.64.0.1", "a private address"),
        ("fd00:ec2::254", "a cloud metadata address"),
    ],
)
def test_wrapped_ipv4_is_judged_by_the_address_inside(address: str, reason: str | None) -> None:
    assert non_global_reason(ipaddress.ip_address(address)) == reason


async def test_http_is_refused_without_the_development_setting() -> None:
    with pytest.raises(Refused) as caught:
        await vet("http://hooks.example.com/x", resolver=resolving_to(PUBLIC))
    assert caught.value.reason == "scheme"
    with pytest.raises(Refused) as caught:
        await vet("http://localhost:8000/x", resolver=resolving_to("127.0.0.1"))
    assert caught.value.reason == "scheme"


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.com/x", "file:///etc/passwd", "gopher://h:70/", "/relative"]
)
async def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(Refused) as caught:
        await vet(url, allow_http_loopback=True, resolver=resolving_to(PUBLIC))
    assert caught.value.reason == "scheme"


async def test_the_development_setting_allows_loopback_over_http_and_https() -> None:
    resolver = resolving_to("127.0.0.1", "::1")
    target = await vet("http://localhost:8000/x", allow_http_loopback=True, resolver=resolver)
    assert target.addresses == (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
    assert target.port == 8000
    target = await vet("https://[::ffff:127.0.0.1]:8443/", allow_http_loopback=True)
    assert target.addresses == (ipaddress.ip_address("::ffff:127.0.0.1"),)


@pytest.mark.parametrize(
    "resolved", ["10.0.0.1", "169.254.169.254", "0.0.0.0", "2002:7f00:1::", "100.64.0.1", "fd00:ec2::254"]
)
async def test_the_development_setting_still_refuses_everything_but_loopback(resolved: str) -> None:
    with pytest.raises(Refused) as caught:
        await vet("http://dev.example/x", allow_http_loopback=True, resolver=resolving_to(resolved))
    assert caught.value.reason == "non_global_address"


async def test_the_development_setting_allows_http_to_loopback_only() -> None:
    with pytest.raises(Refused) as caught:
        await vet("http://hooks.example.com/x", allow_http_loopback=True, resolver=resolving_to(PUBLIC))
    assert caught.value.reason == "scheme"
    target = await vet("https://hooks.example.com/x", allow_http_loopback=True, resolver=resolving_to(PUBLIC))
    assert target.scheme == "https"


async def test_userinfo_is_refused_and_never_repeated() -> None:
    with pytest.raises(Refused) as caught:
        await vet("https://alice:s3cr3t@hooks.example.com/x?token=t0k3n", resolver=resolving_to(PUBLIC))
    assert caught.value.reason == "userinfo"
    assert str(caught.value) == (
        "https://hooks.example.com:443: a webhook URL may not hold a user name or password"
    )


@pytest.mark.parametrize("port", [22, 25, 0, 6379 * 100])
async def test_ports_outside_http_and_unprivileged_ones_are_refused(port: int) -> None:
    with pytest.raises(Refused) as caught:
        await vet(f"https://hooks.example.com:{port}/x", resolver=resolving_to(PUBLIC))
    assert caught.value.reason == "port"


@pytest.mark.parametrize("port", [80, 443, 1024, 8443, 65535])
async def test_http_ports_and_unprivileged_ones_are_accepted(port: int) -> None:
    target = await vet(f"https://hooks.example.com:{port}/x", resolver=resolving_to(PUBLIC))
    assert target.port == port


@pytest.mark.parametrize("url", ["https://", "https:///x", "https://[::1/x", "https://[zz::1]/"])
async def test_invalid_urls_are_refused(url: str) -> None:
    with pytest.raises(Refused) as caught:
        await vet(url, resolver=resolving_to(PUBLIC))
    assert caught.value.reason == "invalid_url"


@pytest.mark.parametrize("answer", [socket.gaierror(socket.EAI_NONAME, "Name or service not known"), []])
async def test_a_name_that_does_not_resolve_is_refused(answer: object) -> None:
    def resolve(host: str, port: int) -> list[str]:
        if isinstance(answer, Exception):
            raise answer
        return answer

    with pytest.raises(Refused) as caught:
        await vet("https://nowhere.invalid/x?token=t0k3n", resolver=resolve)
    assert caught.value.reason == "resolution_failed"
    assert str(caught.value) == "https://nowhere.invalid:443: the host name could not be resolved"


async def test_getaddrinfo_reads_a_name_that_only_looks_numeric() -> None:
    # "127.0.0.1." is no literal to ipaddress nor to inet_aton; whatever getaddrinfo makes of
    # it, it never passes as a global address
    with pytest.raises(Refused) as caught:
        await vet("https://127.0.0.1./x")
    assert caught.value.reason in {"resolution_failed", "non_global_address"}


@pytest.mark.parametrize(
    ("address", "reason"), [("::1", "a loopback address"), ("::", "the unspecified address")]
)
def test_the_ipv6_loopback_and_unspecified_addresses_are_named_as_such(address: str, reason: str) -> None:
    assert non_global_reason(ipaddress.ip_address(address)) == reason


async def test_vetted_targets_are_kept_for_their_ttl_and_refusals_never() -> None:
    resolver = resolving_to(PUBLIC)
    targets = VettedTargets(resolver=resolver, ttl=0.2)
    first = await targets.get("https://hooks.example.com/a")
    assert await targets.get("https://hooks.example.com/a") is first
    assert len(resolver.calls) == 1
    await targets.get("https://hooks.example.com/b")  # another URL: looked up on its own
    assert len(resolver.calls) == 2
    await asyncio.sleep(0.25)
    assert await targets.get("https://hooks.example.com/a") == first  # past the ttl: looked up again
    assert len(resolver.calls) == 3

    private = VettedTargets(resolver=resolving_to("10.0.0.7"))
    for _ in range(2):
        with pytest.raises(Refused):
            await private.get("https://hooks.example.com/a")
    assert len(private.resolver.calls) == 2
