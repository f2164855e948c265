"""Which client address is recorded: the x-forwarded-for entry the trusted proxy appended.

The spec is private.request_ip() in supabase/functions/_shared/audit.sql and the
trusted_proxy_hops row of private.settings (migration
20261121120100_create_identity_session_revocations.sql); used by the audit trigger
(public.audit_logs.ip_address) and heartbeat() (public.user_sessions.ip_address).
"""

from __future__ import annotations

import psycopg
import pytest

from tests.support.pg import superuser
from tests.support.postgrest import PostgREST
from tests.support.team import Team, new_person

# what the client wrote, then what the API gateway appended: the address it accepted the connection from
SPOOFED = {
    "x-forwarded-for": "192.0.2.66, 203.0.113.7",
    "x-real-ip": "192.0.2.66",
    "cf-connecting-ip": "192.0.2.66",
    "user-agent": "Spoofer/1.0",
}


def set_hops(url: str, hops: str) -> None:
    superuser(url, "update private.settings set value = %s where name = 'trusted_proxy_hops'", [hops])


def request_ip(api: PostgREST, forwarded: str) -> str | None:
    (row,) = api.service_role({"x-forwarded-for": forwarded}).sql("select host(private.request_ip()) as ip")
    return row["ip"]


def test_a_spoofed_address_is_not_recorded_in_the_audit_log(team: Team) -> None:
    since = team.superuser("select coalesce(max(id), 0) as n from public.audit_logs")[0]["n"]
    team.as_("admin", headers=SPOOFED).update("organizations", {"name": "Spoofed"}, id=team.org_id)
    (entry,) = team.superuser("select * from public.audit_logs where id > %s", [since])
    assert str(entry["ip_address"]) == "203.0.113.7"


def test_a_spoofed_address_is_not_recorded_in_the_session(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    me.session(api, headers=SPOOFED).rpc("heartbeat")
    (row,) = superuser(
        db_url, "select host(ip_address) as ip from public.user_sessions where user_id = %s", [me.id]
    )
    assert row["ip"] == "203.0.113.7"


def test_the_default_trusts_one_hop(db_url: str) -> None:
    (row,) = superuser(db_url, "select value from private.settings where name = 'trusted_proxy_hops'")
    assert row["value"] == "1"


@pytest.mark.parametrize(
    ("hops", "forwarded", "ip"),
    [
        ("1", "192.0.2.66, 198.51.100.2, 10.1.1.1", "10.1.1.1"),
        ("2", "192.0.2.66, 198.51.100.2, 10.1.1.1", "198.51.100.2"),
        ("3", "192.0.2.66, 198.51.100.2, 10.1.1.1", "192.0.2.66"),
        ("4", "192.0.2.66, 198.51.100.2, 10.1.1.1", None),  # fewer entries than trusted hops
        ("0", "192.0.2.66, 198.51.100.2, 10.1.1.1", None),  # no proxy trusted
        ("2", "198.51.100.2, 2001:db8::5", "198.51.100.2"),
        ("2", "junk, 2001:db8::5", None),
    ],
)
def test_the_hop_setting_picks_the_entry(
    api: PostgREST, db_url: str, hops: str, forwarded: str, ip: str | None
) -> None:
    set_hops(db_url, hops)
    assert request_ip(api, forwarded) == ip


def test_the_hop_setting_changes_what_heartbeat_records(api: PostgREST, db_url: str) -> None:
    set_hops(db_url, "2")
    me = new_person(db_url, "me")
    me.session(api, headers={"x-forwarded-for": "192.0.2.66, 198.51.100.2, 10.1.1.1"}).rpc("heartbeat")
    (row,) = superuser(
        db_url, "select host(ip_address) as ip from public.user_sessions where user_id = %s", [me.id]
    )
    assert row["ip"] == "198.51.100.2"


def test_a_missing_setting_falls_back_to_one_hop(api: PostgREST, db_url: str) -> None:
    superuser(db_url, "delete from private.settings where name = 'trusted_proxy_hops'")
    assert request_ip(api, "192.0.2.66, 10.1.1.1") == "10.1.1.1"


@pytest.mark.parametrize("value", ["two", "-1", "100", ""])
def test_a_malformed_setting_is_refused(db_url: str, value: str) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        set_hops(db_url, value)
