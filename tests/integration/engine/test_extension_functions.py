"""The extension functions Supabase projects call, on any server the stand-in is installed on.

Supabase has pgcrypto and uuid-ossp in `extensions`, and the stand-in installs them there: the
real ones on the machine's PostgreSQL, Luneo's SQL implementations (`luneo.core.extensions`) on
the embedded server. The same assertions hold on both: published test vectors, RFC 4122 layouts
and pgcrypto's errors. test_extension_sql.py compares the two implementations on random inputs.
"""

from __future__ import annotations

import hmac
import uuid

import psycopg
import pytest

from tests.support.pg import Superuser


def scalar(url: str, query: str, params: object = None) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
        return row[0] if row else None


def rows(url: str, query: str) -> list[tuple]:
    with Superuser(url) as su:
        return su.tuples(query)


# ------------------------------------------------------------------------------------------------
# uuid-ossp
# ------------------------------------------------------------------------------------------------


def test_uuid_generate_v4_returns_random_version_4_uuids(db_url: str) -> None:
    first = scalar(db_url, "select extensions.uuid_generate_v4()")
    second = scalar(db_url, "select uuid_generate_v4()")  # unqualified: `extensions` is on the path

    assert first != second
    assert {first.version, second.version} == {4}  # type: ignore[union-attr]


def test_uuid_constants_are_rfc_4122s(db_url: str) -> None:
    row = rows(db_url, "select uuid_nil(), uuid_ns_dns(), uuid_ns_url(), uuid_ns_oid(), uuid_ns_x500()")[0]
    assert row == (
        uuid.UUID(int=0),
        uuid.NAMESPACE_DNS,
        uuid.NAMESPACE_URL,
        uuid.NAMESPACE_OID,
        uuid.NAMESPACE_X500,
    )


@pytest.mark.parametrize(
    ("function", "namespace", "name", "expected"),
    [
        ("uuid_generate_v3", "uuid_ns_dns()", "www.example.com", "5df41881-3aed-3515-88a7-2f4a814cf09e"),
        ("uuid_generate_v5", "uuid_ns_dns()", "www.example.com", "2ed6657d-e927-568b-95e1-2665a8aea6a2"),
        (
            "uuid_generate_v3",
            "uuid_ns_url()",
            "https://luneo.example/",
            str(uuid.uuid3(uuid.NAMESPACE_URL, "https://luneo.example/")),
        ),
        (
            "uuid_generate_v5",
            "uuid_ns_url()",
            "https://luneo.example/",
            str(uuid.uuid5(uuid.NAMESPACE_URL, "https://luneo.example/")),
        ),
        # the name is hashed as its UTF-8 bytes (the database encoding)
        (
            "uuid_generate_v3",
            "uuid_ns_x500()",
            "cn=Zoë Ünal",
            str(uuid.uuid3(uuid.NAMESPACE_X500, "cn=Zoë Ünal")),
        ),
        ("uuid_generate_v5", "uuid_ns_oid()", "1.3.6.1 ✓", str(uuid.uuid5(uuid.NAMESPACE_OID, "1.3.6.1 ✓"))),
        # a name of more than one SHA-1 block
        ("uuid_generate_v5", "uuid_nil()", "x" * 200, str(uuid.uuid5(uuid.UUID(int=0), "x" * 200))),
    ],
)
def test_name_based_uuids_are_the_rfc_4122_values(
    db_url: str, function: str, namespace: str, name: str, expected: str
) -> None:
    assert (
        str(scalar(db_url, f"select extensions.{function}(extensions.{namespace}, %s)", [name])) == expected
    )


def ticks(url: str, query: str) -> int:
    """`query`'s timestamptz in the 100 ns intervals since 1582-10-15 of a version 1 uuid."""
    return int(scalar(url, f"select (extract(epoch from ({query})) * 10000000)::bigint + 122192928000000000"))  # type: ignore[arg-type]


@pytest.mark.parametrize("function", ["uuid_generate_v1", "uuid_generate_v1mc"])
def test_version_1_uuids_carry_the_time_and_increase_with_it(db_url: str, function: str) -> None:
    with Superuser(db_url) as su:
        before = ticks(db_url, "select clock_timestamp()")
        batch = [u for (u,) in su.tuples(f"select extensions.{function}() from generate_series(1, 50)")]
        su("select pg_sleep(0.002)")
        later = su.scalar(f"select extensions.{function}()")
        after = ticks(db_url, "select clock_timestamp()")

    for u in [*batch, later]:
        assert (u.version, u.variant) == (1, uuid.RFC_4122)
        assert before <= u.time <= after + 10  # within a microsecond of the server's clock
    times = [u.time for u in batch]
    assert times == sorted(times)
    assert later.time > times[-1]
    assert len({*batch, later}) == 51


def test_uuid_generate_v1mc_uses_a_random_multicast_node(db_url: str) -> None:
    nodes = [u.node for (u,) in rows(db_url, "select uuid_generate_v1mc() from generate_series(1, 20)")]
    assert all(node >> 40 & 1 for node in nodes)  # the multicast bit of the node's first byte
    assert len(set(nodes)) == 20


# ------------------------------------------------------------------------------------------------
# pgcrypto: random values
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 13, 14, 15, 32, 1024])
def test_gen_random_bytes_returns_as_many_bytes_as_asked(db_url: str, count: int) -> None:
    assert scalar(db_url, "select length(extensions.gen_random_bytes(%s))", [count]) == count


def test_gen_random_bytes_differ_and_cover_every_byte_value(db_url: str) -> None:
    distinct = scalar(
        db_url,
        "select count(distinct get_byte(b, i)) from (select gen_random_bytes(1024) as b) as r,"
        " generate_series(0, 1023) as i",
    )
    assert distinct > 200  # 1024 random bytes miss a given value with probability 2%
    assert scalar(db_url, "select gen_random_bytes(16) <> gen_random_bytes(16)") is True


@pytest.mark.parametrize("count", [0, 1025, -1])
def test_gen_random_bytes_refuses_a_length_out_of_range_as_pgcrypto_does(db_url: str, count: int) -> None:
    with pytest.raises(psycopg.errors.ExternalRoutineInvocationException, match="Length not in range"):
        scalar(db_url, "select extensions.gen_random_bytes(%s)", [count])


def test_pgcrypto_gen_random_uuid_gives_version_4_uuids(db_url: str) -> None:
    first, second = rows(db_url, "select extensions.gen_random_uuid() from generate_series(1, 2)")
    assert first[0] != second[0]
    assert {first[0].version, second[0].version} == {4}


# ------------------------------------------------------------------------------------------------
# pgcrypto: digest and hmac
# ------------------------------------------------------------------------------------------------

SHA1_TWO_BLOCKS = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"


@pytest.mark.parametrize(
    ("data", "algorithm", "expected"),
    [
        ("abc", "sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"),  # FIPS 180 examples
        (SHA1_TWO_BLOCKS, "sha1", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("", "sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "SHA1", "a9993e364706816aba3e25717850c26c9cd0d89d"),  # the name in any case
        ("abc", "md5", "900150983cd24fb0d6963f7d28e17f72"),
        ("abc", "sha224", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
        ("abc", "sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abc",
            "sha384",
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            "abc",
            "sha512",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ],
)
def test_digest_gives_the_published_values(db_url: str, data: str, algorithm: str, expected: str) -> None:
    with Superuser(db_url) as su:
        of_text = su.scalar("select encode(extensions.digest(%s::text, %s), 'hex')", [data, algorithm])
        of_bytes = su.scalar("select encode(digest(%s::bytea, %s), 'hex')", [data.encode(), algorithm])
    assert of_text == of_bytes == expected


def test_digest_of_an_unknown_algorithm_is_refused_as_pgcrypto_does(db_url: str) -> None:
    with pytest.raises(
        psycopg.errors.InvalidParameterValue, match='Cannot use "sha3": No such hash algorithm'
    ):
        scalar(db_url, "select extensions.digest('abc', 'SHA3')")
    with pytest.raises(
        psycopg.errors.InvalidParameterValue, match='Cannot use "md6": No such hash algorithm'
    ):
        scalar(db_url, "select extensions.hmac('abc', 'key', 'md6')")


BLOCK_KEY_FIRST = b"Test Using Larger Than Block-Size Key - Hash Key First"
KEY_25 = bytes(range(1, 26))
WHAT = b"what do ya want for nothing?"

RFC_2202 = [  # HMAC-MD5 and HMAC-SHA1, test cases 1-4, 6 and 7
    ("md5", b"\x0b" * 16, b"Hi There", "9294727a3638bb1c13f48ef8158bfc9d"),
    ("md5", b"Jefe", WHAT, "750c783e6ab0b503eaa86e310a5db738"),
    ("md5", b"\xaa" * 16, b"\xdd" * 50, "56be34521d144c88dbb8c733f0e8b3f6"),
    ("md5", KEY_25, b"\xcd" * 50, "697eaf0aca3a3aea3a75164746ffaa79"),
    ("md5", b"\xaa" * 80, BLOCK_KEY_FIRST, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"),
    (
        "md5",
        b"\xaa" * 80,
        b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
        "6f630fad67cda0ee1fb1f562db3aa53e",
    ),
    ("sha1", b"\x0b" * 20, b"Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"),
    ("sha1", b"Jefe", WHAT, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    ("sha1", b"\xaa" * 20, b"\xdd" * 50, "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
    ("sha1", KEY_25, b"\xcd" * 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
    ("sha1", b"\xaa" * 80, BLOCK_KEY_FIRST, "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    (
        "sha1",
        b"\xaa" * 80,
        b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
        "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
    ),
]

RFC_4231 = [  # HMAC-SHA-256, test cases 1-4, 6 and 7; case 2 for SHA-224, -384, -512
    ("sha256", b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    ("sha256", b"Jefe", WHAT, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (
        "sha256",
        b"\xaa" * 20,
        b"\xdd" * 50,
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ),
    ("sha256", KEY_25, b"\xcd" * 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (
        "sha256",
        b"\xaa" * 131,
        BLOCK_KEY_FIRST,
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
    (
        "sha256",
        b"\xaa" * 131,
        b"This is a test using a larger than block-size key and a larger than block-size data."
        b" The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ),
    ("sha224", b"Jefe", WHAT, "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"),
    (
        "sha384",
        b"Jefe",
        WHAT,
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
    ),
    (
        "sha512",
        b"Jefe",
        WHAT,
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    ),
    (
        "sha512",
        b"\xaa" * 131,
        BLOCK_KEY_FIRST,
        "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
        "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
    ),
]


def test_hmac_gives_the_rfc_2202_and_rfc_4231_values(db_url: str) -> None:
    with Superuser(db_url) as su:
        for algorithm, key, data, expected in RFC_2202 + RFC_4231:
            got = su.scalar("select encode(extensions.hmac(%s, %s, %s), 'hex')", [data, key, algorithm])
            assert got == expected, (algorithm, key, data)


def test_hmac_of_text_is_hmac_of_its_utf8_bytes(db_url: str) -> None:
    with Superuser(db_url) as su:
        of_text = su.scalar("select extensions.hmac('Zoë'::text, 'clé'::text, 'sha256')")
        of_bytes = su.scalar("select hmac(%s::bytea, %s::bytea, 'sha256')", ["Zoë".encode(), "clé".encode()])
    assert of_text == of_bytes


# ------------------------------------------------------------------------------------------------
# Both: as extensions
# ------------------------------------------------------------------------------------------------


def test_api_roles_call_them_and_they_follow_their_extension_to_another_schema(db_url: str) -> None:
    with Superuser(db_url) as su:
        su("set role authenticated")
        assert (
            su.scalar("select encode(digest('abc', 'sha1'), 'hex')")
            == "a9993e364706816aba3e25717850c26c9cd0d89d"
        )
        su("reset role")
        su("create schema moved")
        su("alter extension pgcrypto set schema moved")
        su('alter extension "uuid-ossp" set schema moved')

        assert su.scalar("select to_regprocedure('extensions.hmac(text, text, text)')") is None
        # hmac() calls digest(), uuid_generate_v1mc() calls uuid_generate_v1(): still found
        assert bytes(su.scalar("select moved.hmac('Hi There', 'Jefe', 'sha1')")) == hmac.digest(
            b"Jefe", b"Hi There", "sha1"
        )
        assert su.scalar("select moved.uuid_generate_v1mc()").version == 1
        assert su.scalar(
            "select moved.uuid_generate_v5(moved.uuid_ns_dns(), 'www.example.com')"
        ) == uuid.UUID("2ed6657d-e927-568b-95e1-2665a8aea6a2")


def test_crypt_hashes_with_the_real_pgcrypto_and_fails_loudly_with_luneos(db_url: str) -> None:
    """Luneo's pgcrypto has no crypt() or gen_salt(): functions calling them are created, and a
    call says what to do. The real one hashes passwords."""
    with Superuser(db_url) as su:
        comment = su.scalar("select comment from pg_available_extensions where name = 'pgcrypto'")
        su(
            "create function public.check_password(password text, hashed text) returns boolean"
            " language sql as $$ select extensions.crypt(password, hashed) = hashed $$"
        )
        if "Luneo's SQL implementation" in comment:
            with pytest.raises(
                psycopg.errors.FeatureNotSupported, match=r"crypt\(\) is not available"
            ) as raised:
                su.scalar("select public.check_password('secret', 'x')")
            assert "DATABASE_URL" in (raised.value.diag.message_hint or "")
            with pytest.raises(psycopg.errors.FeatureNotSupported, match=r"gen_salt\(\) is not available"):
                su.scalar("select gen_salt('bf', 8)")
        else:
            hashed = su.scalar("select crypt('secret', gen_salt('bf', 4))")
            assert hashed.startswith("$2a$04$")
            assert su.scalar("select public.check_password('secret', %s)", [hashed]) is True
