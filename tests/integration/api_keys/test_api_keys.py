"""API keys through the API: the secret shown once and stored hashed, who may create and revoke
keys, and the PostgREST db-pre-request check (private.check_api_key): 401 for unknown, revoked or
expired keys, 429 over the hourly rate limit, usage counted on writes and announced on reads.

Real Postgres through the PostgREST-faithful helper, with `pre_request` set as in production.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from contextlib import suppress
from typing import Any

import psycopg
import pytest

from tests.support.postgrest import PostgREST, PostgrestError, Session, fails
from tests.support.team import Team, make_team

KEY = re.compile(r"luneo_[A-Za-z0-9_-]{32,}")
CHANNEL = "luneo_api_key_usage"
WHO_AM_I = (
    "select current_setting('luneo.api_key_id', true) as api_key_id,"
    " current_setting('luneo.organization_id', true) as organization_id,"
    " current_setting('luneo.api_key_scopes', true) as scopes"
)


@pytest.fixture
def gateway(db_url: str) -> PostgREST:
    """PostgREST configured as in production: db-pre-request = private.check_api_key."""
    return PostgREST(db_url, pre_request="private.check_api_key")


def create_key(team: Team, by: str = "admin", **options: Any) -> tuple[dict, str]:
    """(api_keys row as returned, plaintext key)."""
    created = team.as_(by).rpc(
        "create_api_key", organization_id=team.org_id, name=options.pop("name", "ci"), **options
    )
    return created["api_key"], created["key"]


def with_key(gateway: PostgREST, key: str) -> Session:
    return gateway.anon(headers={"X-API-Key": key})


def usage(team: Team, key_id: str) -> int:
    (row,) = team.superuser(
        "select coalesce(sum(calls), 0)::int as n from private.api_key_usage where api_key_id = %s", [key_id]
    )
    return row["n"]


def key_row(team: Team, key_id: str) -> dict:
    (row,) = team.superuser("select * from public.api_keys where id = %s", [key_id])
    return row


# =============================================================================================
# creating keys
# =============================================================================================


def test_create_api_key_returns_the_key_once_and_stores_only_its_sha256(team: Team) -> None:
    api_key, key = create_key(team, name="  storefront ", scopes=["read", "orders"], rate_limit=60)

    assert KEY.fullmatch(key), key
    assert len(key) - len("luneo_") >= 32  # >= 192 bits of base64url
    assert api_key["key_prefix"] == key[:14]
    assert "key" not in api_key
    assert "key_hash" not in api_key
    assert (api_key["name"], api_key["scopes"], api_key["rate_limit"]) == (
        "storefront",
        ["read", "orders"],
        60,
    )
    assert api_key["organization_id"] == str(team.org_id)
    assert api_key["created_by"] == str(team.people["admin"].id)
    assert (api_key["revoked_at"], api_key["last_used_at"], api_key["expires_at"]) == (None, None, None)

    (stored,) = team.superuser(
        "select key_hash from private.api_key_hashes where api_key_id = %s", [api_key["id"]]
    )
    assert bytes(stored["key_hash"]) == hashlib.sha256(key.encode()).digest()
    for table in ("public.api_keys", "public.audit_logs"):
        (leak,) = team.superuser(
            f"select count(*)::int as n from {table} as t where strpos(to_jsonb(t)::text, %s) > 0", [key]
        )
        assert leak["n"] == 0, f"the key is stored in {table}"
    (listed,) = team.as_("admin").select("api_keys", id=api_key["id"])
    assert key not in json.dumps(listed, default=str)


def test_keys_default_to_read_scope_and_1000_calls_and_are_all_different(team: Team) -> None:
    created = [create_key(team, name=f"k{i}") for i in range(3)]
    assert len({key for _, key in created}) == 3
    (hashes,) = team.superuser("select count(distinct key_hash)::int as n from private.api_key_hashes")
    assert hashes["n"] == 3
    assert all((row["scopes"], row["rate_limit"]) == (["read"], 1000) for row, _ in created)


@pytest.mark.parametrize("who", ["manager", "designer", "viewer", "outsider"])
def test_only_roles_with_api_keys_manage_create_keys(team: Team, who: str) -> None:
    error = fails("42501", create_key, team, who)
    assert "api_keys.manage" in error.message
    assert team.superuser("select * from public.api_keys") == []
    assert team.superuser("select * from private.api_key_hashes") == []


def test_owners_create_keys_too(team: Team) -> None:
    api_key, _ = create_key(team, "owner")
    assert key_row(team, api_key["id"])["created_by"] == team.people["owner"].id


def test_a_key_cannot_be_created_already_expired(team: Team) -> None:
    fails("22023", create_key, team, expires_at="2000-01-01T00:00:00Z")
    assert team.superuser("select * from public.api_keys") == []


def test_api_roles_never_reach_the_key_hashes(team: Team) -> None:
    create_key(team)
    for who in ("admin", "owner", "service_role", "anon"):
        fails("42501", team.as_(who).sql, "select * from private.api_key_hashes")
        fails("42501", team.as_(who).sql, "select * from private.api_key_usage")


@pytest.mark.parametrize(
    ("who", "sees"), [("manager", True), ("admin", True), ("designer", False), ("outsider", False)]
)
def test_listing_keys_needs_api_keys_read(team: Team, who: str, sees: bool) -> None:
    api_key, _ = create_key(team)
    assert [str(k["id"]) for k in team.as_(who).select("api_keys")] == ([api_key["id"]] if sees else [])


# =============================================================================================
# the pre-request check: 401
# =============================================================================================


def test_a_request_without_a_key_goes_through_untouched(gateway: PostgREST) -> None:
    (row,) = gateway.anon().sql(WHO_AM_I, method="POST")
    assert row == {"api_key_id": None, "organization_id": None, "scopes": None}
    (row,) = gateway.anon().sql(WHO_AM_I)
    assert row["organization_id"] is None


def test_the_key_identifies_its_organisation_for_the_rest_of_the_request(
    team: Team, gateway: PostgREST
) -> None:
    api_key, key = create_key(team, scopes=["read", "orders"])
    for method in ("POST", "GET"):
        (row,) = with_key(gateway, key).sql(WHO_AM_I, method=method)
        assert row == {
            "api_key_id": api_key["id"],
            "organization_id": str(team.org_id),
            "scopes": "read,orders",
        }


def test_an_unknown_key_is_refused_with_401(team: Team, gateway: PostgREST) -> None:
    _, key = create_key(team)
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    for bad in (forged, "luneo_nothing", ""):
        error = fails("PT401", with_key(gateway, bad).sql, WHO_AM_I, method="POST")
        assert error.status == 401
        assert error.message == "invalid API key"


def test_a_revoked_key_is_refused_with_401(team: Team, gateway: PostgREST) -> None:
    api_key, key = create_key(team)
    assert with_key(gateway, key).sql(WHO_AM_I, method="POST")[0]["api_key_id"] == api_key["id"]

    revoked = team.as_("admin").rpc("revoke_api_key", api_key_id=api_key["id"])
    assert revoked["revoked_at"] is not None
    for method in ("POST", "GET"):
        error = fails("PT401", with_key(gateway, key).sql, WHO_AM_I, method=method)
        assert error.status == 401
        assert "revoked" in error.message
    # revoking again is harmless and keeps the first date
    again = team.as_("owner").rpc("revoke_api_key", api_key_id=api_key["id"])
    assert again["revoked_at"] == revoked["revoked_at"]


def test_an_expired_key_is_refused_with_401(team: Team, gateway: PostgREST) -> None:
    api_key, key = create_key(team, expires_at="2999-01-01T00:00:00Z")
    assert with_key(gateway, key).sql(WHO_AM_I, method="POST")[0]["api_key_id"] == api_key["id"]
    team.superuser(
        "update public.api_keys set expires_at = now() - interval '1 second' where id = %s", [api_key["id"]]
    )
    for method in ("POST", "GET"):
        error = fails("PT401", with_key(gateway, key).sql, WHO_AM_I, method=method)
        assert error.status == 401
        assert "expired" in error.message
    assert usage(team, api_key["id"]) == 1  # refused calls are not counted


def test_a_revoked_key_stays_revoked(team: Team, gateway: PostgREST) -> None:
    """revoke_api_key() revokes for good: a plain PATCH clearing revoked_at (once allowed by the
    column grant and the update policy) must not bring the key back."""
    api_key, key = create_key(team)
    revoked = team.as_("admin").rpc("revoke_api_key", api_key_id=api_key["id"])
    # refusing the change is one correct answer; leaving the key revoked is the other
    with suppress(PostgrestError):
        team.as_("admin").update("api_keys", {"revoked_at": None}, id=api_key["id"])
    assert key_row(team, api_key["id"])["revoked_at"] is not None
    assert revoked["revoked_at"] is not None
    fails("PT401", with_key(gateway, key).sql, WHO_AM_I, method="POST")


@pytest.mark.parametrize("who", ["viewer", "manager", "outsider"])
def test_revoking_without_api_keys_manage_is_not_found_and_the_key_stays_active(
    team: Team, gateway: PostgREST, who: str
) -> None:
    api_key, key = create_key(team)
    error = fails("LU020", team.as_(who).rpc, "revoke_api_key", api_key_id=api_key["id"])
    unknown = fails("LU020", team.as_(who).rpc, "revoke_api_key", api_key_id=str(uuid.uuid4()))
    assert error.message == unknown.message == "API key not found"
    assert key_row(team, api_key["id"])["revoked_at"] is None
    assert with_key(gateway, key).sql(WHO_AM_I, method="POST")[0]["api_key_id"] == api_key["id"]


# =============================================================================================
# the pre-request check: counting and 429
# =============================================================================================


def test_write_requests_are_counted_and_the_fourth_over_a_limit_of_three_gets_429(
    team: Team, gateway: PostgREST
) -> None:
    api_key, key = create_key(team, rate_limit=3)
    for expected in (1, 2, 3):
        (row,) = with_key(gateway, key).sql(WHO_AM_I, method="POST")
        assert row["api_key_id"] == api_key["id"]
        assert usage(team, api_key["id"]) == expected

    error = fails("PT429", with_key(gateway, key).sql, WHO_AM_I, method="POST")
    assert error.status == 429
    assert "rate limit" in error.message
    assert error.detail == "3 calls per hour allowed"
    assert error.hint is not None
    assert error.hint.startswith("Retry after")
    assert usage(team, api_key["id"]) == 3
    # reads are refused as well once the hour's budget is spent
    fails("PT429", with_key(gateway, key).sql, WHO_AM_I)
    # the limit is per key: another key of the same organisation is unaffected
    other, other_key = create_key(team, name="other", rate_limit=3)
    assert with_key(gateway, other_key).sql(WHO_AM_I, method="POST")[0]["api_key_id"] == other["id"]


def test_a_write_request_sets_last_used_at(team: Team, gateway: PostgREST) -> None:
    api_key, key = create_key(team)
    assert key_row(team, api_key["id"])["last_used_at"] is None
    with_key(gateway, key).sql(WHO_AM_I, method="POST")
    first_use = key_row(team, api_key["id"])["last_used_at"]
    assert first_use is not None
    # the key row is touched at most once a minute
    with_key(gateway, key).sql(WHO_AM_I, method="POST")
    assert key_row(team, api_key["id"])["last_used_at"] == first_use
    assert usage(team, api_key["id"]) == 2
    # and only the counters change: no audit entry for a use of the key
    (audit,) = team.superuser(
        "select count(*)::int as n from public.audit_logs where table_name = 'api_keys' and operation = 'UPDATE'"
    )
    assert audit["n"] == 0


def test_a_read_request_does_not_write_but_announces_the_call(team: Team, gateway: PostgREST) -> None:
    api_key, key = create_key(team, rate_limit=5)
    with psycopg.connect(team.url, autocommit=True) as listener:
        listener.execute(f"listen {CHANNEL}")
        (row,) = with_key(gateway, key).sql(WHO_AM_I)  # GET: read only
        assert row["organization_id"] == str(team.org_id)
        notices = list(listener.notifies(timeout=5, stop_after=1))

        assert [(n.channel, n.payload) for n in notices] == [(CHANNEL, api_key["id"])]
        assert usage(team, api_key["id"]) == 0
        assert key_row(team, api_key["id"])["last_used_at"] is None

        # write requests count themselves and announce nothing
        with_key(gateway, key).sql(WHO_AM_I, method="POST")
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
        assert usage(team, api_key["id"]) == 1

    # the worker that listens records the read
    team.superuser("select private.record_api_key_usage(%s)", [api_key["id"]])
    assert usage(team, api_key["id"]) == 2
    team.superuser("select private.record_api_key_usage(%s, 2)", [api_key["id"]])
    assert usage(team, api_key["id"]) == 4
    assert key_row(team, api_key["id"])["last_used_at"] is not None


def test_a_refused_read_request_announces_nothing(team: Team, gateway: PostgREST) -> None:
    api_key, key = create_key(team)
    team.as_("admin").rpc("revoke_api_key", api_key_id=api_key["id"])
    with psycopg.connect(team.url, autocommit=True) as listener:
        listener.execute(f"listen {CHANNEL}")
        fails("PT401", with_key(gateway, key).sql, WHO_AM_I)
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []


def test_read_requests_are_refused_once_the_counter_reaches_the_limit(team: Team, gateway: PostgREST) -> None:
    api_key, key = create_key(team, rate_limit=2)
    team.superuser("select private.record_api_key_usage(%s)", [api_key["id"]])
    assert with_key(gateway, key).sql(WHO_AM_I)[0]["api_key_id"] == api_key["id"]  # 1 counted: 2nd allowed

    team.superuser("select private.record_api_key_usage(%s)", [api_key["id"]])
    assert usage(team, api_key["id"]) == 2
    error = fails("PT429", with_key(gateway, key).sql, WHO_AM_I)
    assert error.status == 429
    assert usage(team, api_key["id"]) == 2


def test_the_plan_caps_a_key_s_hourly_calls(team: Team, gateway: PostgREST) -> None:
    team.superuser("update public.plans set api_calls_per_hour = 2 where id = 'free'")
    api_key, key = create_key(team, rate_limit=1000)
    team.superuser("select private.record_api_key_usage(%s)", [api_key["id"]])
    assert with_key(gateway, key).sql(WHO_AM_I)[0]["api_key_id"] == api_key["id"]
    team.superuser("select private.record_api_key_usage(%s)", [api_key["id"]])
    error = fails("PT429", with_key(gateway, key).sql, WHO_AM_I)
    assert error.detail == "2 calls per hour allowed"
    team.superuser("update public.plans set api_calls_per_hour = null where id = 'free'")  # unlimited
    assert with_key(gateway, key).sql(WHO_AM_I)[0]["api_key_id"] == api_key["id"]


def test_recording_usage_is_for_the_worker_only(team: Team) -> None:
    api_key, _ = create_key(team)
    fails(
        "42501",
        team.as_("admin").sql,
        "select private.record_api_key_usage(%s)",
        [api_key["id"]],
        method="POST",
    )
    assert usage(team, api_key["id"]) == 0
    team.as_("service_role").sql("select private.record_api_key_usage(%s)", [api_key["id"]], method="POST")
    assert usage(team, api_key["id"]) == 1


def test_the_key_works_alongside_a_signed_in_user(team: Team, gateway: PostgREST) -> None:
    _api_key, key = create_key(team)
    viewer = team.people["viewer"]
    session = gateway.user(viewer.id, viewer.email, headers={"x-api-key": key})
    (row,) = session.sql(WHO_AM_I + ", auth.uid() as uid", method="POST")
    assert (row["organization_id"], row["uid"]) == (str(team.org_id), viewer.id)
    fails("PT401", gateway.user(viewer.id, viewer.email, headers={"x-api-key": "luneo_bogus"}).sql, WHO_AM_I)


def test_another_organisation_s_key_names_that_organisation(
    team: Team, api: PostgREST, gateway: PostgREST
) -> None:
    other = make_team(api, team.url)
    _, mine = create_key(team)
    _, theirs = create_key(other)
    assert with_key(gateway, mine).sql(WHO_AM_I, method="POST")[0]["organization_id"] == str(team.org_id)
    assert with_key(gateway, theirs).sql(WHO_AM_I, method="POST")[0]["organization_id"] == str(other.org_id)
