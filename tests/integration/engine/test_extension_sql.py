"""Luneo's SQL pgcrypto and uuid-ossp, loaded into a schema of their own on any server, against
Python's hashlib, hmac and uuid on random inputs, and against the real extensions where the
server has them (the machine's PostgreSQL).

The install scripts come from the installed package (`luneo.core.extensions`) and run as
`create extension` runs a relocatable extension's script: with the target schema as the
search_path.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from luneo.core import extensions
from tests.support.pg import Superuser

SCHEMA = "luneo_sql"
ALGORITHMS = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
# around the 55/56/64-byte edges of SHA-1's padding, keys around the 64/128-byte blocks, and long
LENGTHS = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 200, 1000, 5000]
NAMESPACES = [
    uuid.NAMESPACE_DNS,
    uuid.NAMESPACE_URL,
    uuid.NAMESPACE_OID,
    uuid.NAMESPACE_X500,
    uuid.UUID(int=0),
]


@pytest.fixture
def su(db_url: str) -> Iterator[Superuser]:
    """A superuser connection to a database where Luneo's scripts were run into `luneo_sql`."""
    with Superuser(db_url) as su:
        su(f"create schema {SCHEMA}")
        su(f"set search_path = {SCHEMA}")
        for extension in extensions.extensions():
            for script in extension.scripts.values():
                su(script.decode())
        su("reset search_path")
        yield su


def real_extensions_installed(su: Superuser) -> bool:
    """Whether `extensions` holds the real pgcrypto and uuid-ossp (not Luneo's)."""
    comments = [
        c
        for (c,) in su.tuples(
            "select a.comment from pg_available_extensions as a join pg_extension as e on e.extname = a.name"
            " where a.name in ('pgcrypto', 'uuid-ossp') and e.extnamespace = 'extensions'::regnamespace"
        )
    ]
    assert len(comments) == 2
    return not any("Luneo's SQL implementation" in c for c in comments)


def random_inputs(seed: int) -> tuple[list[bytes], list[bytes], list[str]]:
    rng = random.Random(seed)
    data = [rng.randbytes(n) for n in LENGTHS] + [rng.randbytes(rng.randrange(300)) for _ in range(20)]
    keys = [rng.randbytes(rng.choice([0, 1, 20, 63, 64, 65, 127, 128, 129, 200])) for _ in data]
    alphabet = "abcxyz-./:0129 éüßøЖ中✓🙂"
    names = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(150))) for _ in data]
    return data, keys, names


def batch(su: Superuser, schema: str, algorithm: str, data: list[bytes], keys: list[bytes]) -> list[tuple]:
    return su.tuples(
        f"select {schema}.digest(d, %(a)s), {schema}.hmac(d, k, %(a)s)"
        " from unnest(%(d)s::bytea[], %(k)s::bytea[]) with ordinality as t(d, k, n) order by n",
        {"a": algorithm, "d": data, "k": keys},
    )


def test_digest_and_hmac_match_python_and_the_real_pgcrypto(su: Superuser) -> None:
    data, keys, _ = random_inputs(seed=2024)
    real = real_extensions_installed(su)
    for algorithm in ALGORITHMS:
        ours = batch(su, SCHEMA, algorithm, data, keys)
        for (digest, mac), d, k in zip(ours, data, keys, strict=True):
            assert bytes(digest) == hashlib.new(algorithm, d).digest(), (algorithm, len(d))
            assert bytes(mac) == hmac.new(k, d, algorithm).digest(), (algorithm, len(d), len(k))
        if real:
            theirs = batch(su, "extensions", algorithm, data, keys)
            assert [tuple(map(bytes, r)) for r in ours] == [tuple(map(bytes, r)) for r in theirs], algorithm


def test_text_arguments_are_hashed_as_their_utf8_bytes(su: Superuser) -> None:
    _, _, names = random_inputs(seed=7)
    real = real_extensions_installed(su)
    query = (
        "select {s}.digest(t, 'sha1'), {s}.hmac(t, k, 'sha256')"
        " from unnest(%(t)s::text[], %(k)s::text[]) with ordinality as u(t, k, n) order by n"
    )
    keys = names[::-1]
    ours = su.tuples(query.format(s=SCHEMA), {"t": names, "k": keys})
    for (digest, mac), name, key in zip(ours, names, keys, strict=True):
        assert bytes(digest) == hashlib.sha1(name.encode()).digest()
        assert bytes(mac) == hmac.new(key.encode(), name.encode(), "sha256").digest()
    if real:
        theirs = su.tuples(query.format(s="extensions"), {"t": names, "k": keys})
        assert [tuple(map(bytes, r)) for r in ours] == [tuple(map(bytes, r)) for r in theirs]


def test_name_based_uuids_match_python_and_the_real_uuid_ossp(su: Superuser) -> None:
    _, _, names = random_inputs(seed=11)
    rng = random.Random(11)
    namespaces = [rng.choice([*NAMESPACES, uuid.uuid4()]) for _ in names]
    real = real_extensions_installed(su)
    query = (
        "select {s}.uuid_generate_v3(ns, name), {s}.uuid_generate_v5(ns, name)"
        " from unnest(%(ns)s::uuid[], %(names)s::text[]) with ordinality as u(ns, name, n) order by n"
    )
    ours = su.tuples(query.format(s=SCHEMA), {"ns": namespaces, "names": names})
    assert ours == [
        (uuid.uuid3(ns, name), uuid.uuid5(ns, name)) for ns, name in zip(namespaces, names, strict=True)
    ]
    if real:
        assert ours == su.tuples(query.format(s="extensions"), {"ns": namespaces, "names": names})


def test_constants_and_random_uuids_have_the_real_layouts(su: Superuser) -> None:
    constants = su.tuples(
        f"select {SCHEMA}.uuid_nil(), {SCHEMA}.uuid_ns_dns(), {SCHEMA}.uuid_ns_url(), {SCHEMA}.uuid_ns_oid(),"
        f" {SCHEMA}.uuid_ns_x500()"
    )[0]
    assert constants == (uuid.UUID(int=0), *NAMESPACES[:4])
    v1, v1mc, v4, pgcrypto_v4 = su.tuples(
        f"select {SCHEMA}.uuid_generate_v1(), {SCHEMA}.uuid_generate_v1mc(), {SCHEMA}.uuid_generate_v4(),"
        f" {SCHEMA}.gen_random_uuid()"
    )[0]
    assert [u.version for u in (v1, v1mc, v4, pgcrypto_v4)] == [1, 1, 4, 4]
    assert {u.variant for u in (v1, v1mc, v4, pgcrypto_v4)} == {uuid.RFC_4122}
    assert v1.node >> 40 & 1 == 1  # multicast, as RFC 4122 asks of a random node
    assert v1mc.node >> 40 & 0b11 == 0b11  # multicast and locally administered, as the real v1mc


@pytest.mark.parametrize(
    "call", ["crypt('secret', '$2a$06$abcdefghijklmnopqrstuv')", "gen_salt('bf')", "gen_salt('bf', 8)"]
)
def test_password_functions_exist_and_say_what_to_do(su: Superuser, call: str) -> None:
    with pytest.raises(
        psycopg.errors.FeatureNotSupported, match="is not available on the embedded server"
    ) as raised:
        su(f"select {SCHEMA}.{call}")
    assert "crypt(), gen_salt() or pgp_*" in (raised.value.diag.message_detail or "")
    assert "DATABASE_URL" in (raised.value.diag.message_hint or "")


def test_functions_have_the_real_volatility_and_strictness(su: Superuser) -> None:
    """Function name -> (volatility, strict, parallel safety, language), for every function of
    Luneo's scripts, compared with the real extensions' where they are installed."""
    query = (
        "select p.oid::regprocedure::text, p.provolatile, p.proisstrict, p.proparallel"
        " from pg_proc as p where p.pronamespace = %s::regnamespace order by 1"
    )
    ours = {name.removeprefix(f"{SCHEMA}."): rest for name, *rest in su.tuples(query, [SCHEMA])}
    assert ours["digest(bytea,text)"] == ["i", True, "s"]
    assert ours["uuid_generate_v1()"] == ["v", True, "s"]
    assert ours["gen_random_uuid()"] == ["v", False, "s"]
    languages = {
        lang
        for (lang,) in su.tuples(
            "select distinct l.lanname from pg_proc as p join pg_language as l on l.oid = p.prolang"
            " where p.pronamespace = %s::regnamespace",
            [SCHEMA],
        )
    }
    assert languages == {"sql", "plpgsql"}
    if real_extensions_installed(su):
        theirs = {name.removeprefix("extensions."): rest for name, *rest in su.tuples(query, ["extensions"])}
        assert {name: theirs[name] for name in ours} == ours
