"""The audit trail: what private.tg_audit() records, who reads it, and that nobody edits it.

The spec is supabase/functions/_shared/audit.sql (the trigger function), the `_500_audit`
triggers bound in each audited table's feature file (functions/teams/*.sql,
functions/api_keys/api_keys.sql, functions/billing/invoices.sql), the audit_logs table in
supabase/migrations/20261121100300_create_shared_audit_logs_and_billing_records.sql and
supabase/policies/_shared/audit_logs.sql.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.support.postgrest import PostgREST, PostgrestError, Session
from tests.support.team import Team, make_team, new_person

# the client wrote the first entry; the API gateway appended the address it saw (trusted_proxy_hops 1)
HEADERS = {"X-Forwarded-For": "10.0.0.1, 203.0.113.7", "User-Agent": "Luneo-Web/2.1 (Firefox)"}


def last_id(team: Team) -> int:
    return team.superuser("select coalesce(max(id), 0) as n from public.audit_logs")[0]["n"]


def entries_since(team: Team, since: int, table: str | None = None) -> list[dict]:
    """Audit rows written after `since` (optionally for one table), oldest first."""
    return team.superuser(
        "select * from public.audit_logs where id > %s and (%s::text is null or table_name = %s) order by id",
        [since, table, table],
    )


def as_admin(team: Team, headers: dict[str, str] | None = None) -> Session:
    return team.people["admin"].session(team.api, headers=HEADERS if headers is None else headers)


def assert_entry(
    entry: dict, *, team: Team, actor: str | None, table: str, record_id: Any, operation: str
) -> None:
    assert entry["organization_id"] == team.org_id
    assert entry["actor_id"] == (team.people[actor].id if actor else None)
    assert entry["actor_role"] == ("authenticated" if actor else "service_role")
    assert entry["table_name"] == table
    assert entry["record_id"] == str(record_id)
    assert entry["operation"] == operation


# =============================================================================================
# what is recorded
# =============================================================================================


def test_creating_an_organisation_records_it_and_its_owner(api: PostgREST, db_url: str, team: Team) -> None:
    founder = new_person(db_url, "founder")
    since = last_id(team)
    org = founder.session(api, headers=HEADERS).rpc("create_organization", name="Atelier", slug="atelier-x")
    entries = entries_since(team, since)
    assert [(e["table_name"], e["operation"]) for e in entries] == [
        ("organizations", "INSERT"),
        ("team_members", "INSERT"),
    ]
    org_entry, member_entry = entries
    assert org_entry["organization_id"] == uuid.UUID(org["id"])
    assert org_entry["record_id"] == org["id"]
    assert org_entry["actor_id"] == founder.id
    assert org_entry["actor_role"] == "authenticated"
    assert org_entry["new_values"]["name"] == "Atelier"
    assert org_entry["new_values"]["slug"] == "atelier-x"
    assert member_entry["organization_id"] == uuid.UUID(org["id"])
    assert member_entry["new_values"]["user_id"] == str(founder.id)
    assert member_entry["new_values"]["role"] == "owner"
    assert all(str(e["ip_address"]) == "203.0.113.7" for e in entries)


def test_organisation_update_records_only_the_changed_columns(team: Team) -> None:
    since = last_id(team)
    as_admin(team).update("organizations", {"name": "Maison Neuve", "require_mfa": False}, id=team.org_id)
    (entry,) = entries_since(team, since)
    assert_entry(
        entry, team=team, actor="admin", table="organizations", record_id=team.org_id, operation="UPDATE"
    )
    # require_mfa was already false: not a change; updated_at alone never is
    assert entry["old_values"] == {"name": "Maison Test"}
    assert entry["new_values"] == {"name": "Maison Neuve"}


def test_update_that_changes_nothing_writes_no_entry(team: Team) -> None:
    since = last_id(team)
    rows = as_admin(team).update("organizations", {"name": "Maison Test"}, id=team.org_id)
    assert len(rows) == 1  # the row was updated (its updated_at moved)...
    assert entries_since(team, since) == []  # ...but nothing worth recording changed


def test_organisation_deletion_is_the_last_entry(team: Team) -> None:
    since = last_id(team)
    team.as_("owner", headers=HEADERS).delete("organizations", id=team.org_id)
    (entry,) = entries_since(team, since, "organizations")
    assert_entry(
        entry, team=team, actor="owner", table="organizations", record_id=team.org_id, operation="DELETE"
    )
    assert entry["old_values"]["name"] == "Maison Test"
    assert entry["old_values"]["id"] == str(team.org_id)
    # the cascade removes the members, each recorded against the (gone) organisation
    members = entries_since(team, since, "team_members")
    assert len(members) == 5
    assert {e["operation"] for e in members} == {"DELETE"}
    assert {e["organization_id"] for e in members} == {team.org_id}


def test_member_role_change_is_recorded(team: Team) -> None:
    viewer = team.people["viewer"]
    (membership,) = team.superuser(
        "select id from public.team_members where organization_id = %s and user_id = %s",
        [team.org_id, viewer.id],
    )
    since = last_id(team)
    as_admin(team).update("team_members", {"role": "designer"}, id=membership["id"])
    (entry,) = entries_since(team, since)
    assert_entry(
        entry, team=team, actor="admin", table="team_members", record_id=membership["id"], operation="UPDATE"
    )
    assert (entry["old_values"], entry["new_values"]) == ({"role": "viewer"}, {"role": "designer"})


def test_member_removal_is_recorded(team: Team) -> None:
    designer = team.people["designer"]
    since = last_id(team)
    (removed,) = as_admin(team).delete("team_members", organization_id=team.org_id, user_id=designer.id)
    (entry,) = entries_since(team, since)
    assert_entry(
        entry, team=team, actor="admin", table="team_members", record_id=removed["id"], operation="DELETE"
    )
    assert entry["old_values"]["user_id"] == str(designer.id)
    assert entry["old_values"]["role"] == "designer"


def test_custom_role_lifecycle_is_recorded(team: Team) -> None:
    admin = as_admin(team)
    since = last_id(team)
    (role,) = admin.insert(
        "team_roles",
        {
            "organization_id": team.org_id,
            "name": "Accountant",
            "permissions": ["orders.read", "billing.read"],
        },
    )
    (created,) = entries_since(team, since)
    assert_entry(
        created, team=team, actor="admin", table="team_roles", record_id=role["id"], operation="INSERT"
    )
    assert created["new_values"]["name"] == "Accountant"
    assert created["new_values"]["permissions"] == ["billing.read", "orders.read"]  # as stored, sorted

    since = last_id(team)
    admin.update("team_roles", {"permissions": ["billing.read", "audit.read"]}, id=role["id"])
    (changed,) = entries_since(team, since)
    assert changed["operation"] == "UPDATE"
    assert changed["old_values"] == {"permissions": ["billing.read", "orders.read"]}
    assert changed["new_values"] == {"permissions": ["audit.read", "billing.read"]}

    # the same set in another order is stored identically: no change, no entry
    since = last_id(team)
    admin.update("team_roles", {"permissions": ["billing.read", "audit.read", "audit.read"]}, id=role["id"])
    assert entries_since(team, since) == []

    since = last_id(team)
    admin.delete("team_roles", id=role["id"])
    (deleted,) = entries_since(team, since)
    assert_entry(
        deleted, team=team, actor="admin", table="team_roles", record_id=role["id"], operation="DELETE"
    )
    assert deleted["old_values"]["name"] == "Accountant"


def test_invitations_are_recorded_without_their_token(team: Team) -> None:
    admin = as_admin(team)
    since = last_id(team)
    created = admin.rpc("create_invitation", organization_id=str(team.org_id), email="new@example.com")
    invitation_id = created["invitation"]["id"]
    (entry,) = entries_since(team, since)
    assert_entry(
        entry, team=team, actor="admin", table="invitations", record_id=invitation_id, operation="INSERT"
    )
    assert entry["new_values"]["email"] == "new@example.com"
    assert entry["new_values"]["invited_by"] == str(team.people["admin"].id)
    assert created["token"] not in json.dumps(entry, default=str)

    since = last_id(team)
    admin.rpc("revoke_invitation", invitation_id=invitation_id)
    (revoked,) = entries_since(team, since)
    assert revoked["operation"] == "UPDATE"
    assert set(revoked["new_values"]) == {"status", "responded_at"}
    assert (revoked["old_values"]["status"], revoked["new_values"]["status"]) == ("pending", "revoked")
    assert revoked["old_values"]["responded_at"] is None


def test_api_keys_are_recorded_without_their_secret(team: Team) -> None:
    admin = as_admin(team)
    since = last_id(team)
    created = admin.rpc("create_api_key", organization_id=str(team.org_id), name="Shopify sync")
    key_id = created["api_key"]["id"]
    (entry,) = entries_since(team, since)
    assert_entry(entry, team=team, actor="admin", table="api_keys", record_id=key_id, operation="INSERT")
    assert entry["new_values"]["name"] == "Shopify sync"
    assert entry["new_values"]["key_prefix"] == created["key"][:14]
    assert created["key"] not in json.dumps(entry, default=str)

    # usage bookkeeping alone (last_used_at, updated_at) is not a change
    since = last_id(team)
    team.superuser("update public.api_keys set last_used_at = now() where id = %s", [key_id])
    assert entries_since(team, since) == []

    since = last_id(team)
    admin.rpc("revoke_api_key", api_key_id=key_id)
    (revoked,) = entries_since(team, since)
    assert_entry(revoked, team=team, actor="admin", table="api_keys", record_id=key_id, operation="UPDATE")
    assert revoked["old_values"] == {"revoked_at": None}
    assert set(revoked["new_values"]) == {"revoked_at"}
    assert revoked["new_values"]["revoked_at"] is not None

    # revoking again keeps revoked_at: nothing changes, nothing recorded
    since = last_id(team)
    admin.rpc("revoke_api_key", api_key_id=key_id)
    assert entries_since(team, since) == []


def test_invoices_written_by_billing_are_recorded(team: Team) -> None:
    billing = team.api.service_role(headers=HEADERS)
    since = last_id(team)
    (invoice,) = billing.insert(
        "invoices", {"organization_id": team.org_id, "number": "LU-2026-0001", "amount_due": 4900}
    )
    (entry,) = entries_since(team, since)
    assert_entry(entry, team=team, actor=None, table="invoices", record_id=invoice["id"], operation="INSERT")
    assert entry["new_values"]["amount_due"] == 4900

    since = last_id(team)
    billing.update("invoices", {"status": "paid", "amount_due": 4900}, id=invoice["id"])
    (paid,) = entries_since(team, since)
    assert_entry(paid, team=team, actor=None, table="invoices", record_id=invoice["id"], operation="UPDATE")
    assert (paid["old_values"], paid["new_values"]) == ({"status": "open"}, {"status": "paid"})


def test_inserts_have_no_old_values_and_deletes_no_new_values(team: Team) -> None:
    admin = as_admin(team)
    since = last_id(team)
    (role,) = admin.insert("team_roles", {"organization_id": team.org_id, "name": "Temp"})
    admin.delete("team_roles", id=role["id"])
    created, deleted = entries_since(team, since)
    assert (created["operation"], created["old_values"]) == ("INSERT", None)
    assert created["new_values"]["name"] == "Temp"
    assert (deleted["operation"], deleted["new_values"]) == ("DELETE", None)
    assert deleted["old_values"]["name"] == "Temp"


def test_changes_outside_the_api_name_the_database_role(team: Team) -> None:
    since = last_id(team)
    team.superuser("update public.organizations set plan = 'pro' where id = %s", [team.org_id])
    (entry,) = entries_since(team, since)
    assert entry["actor_id"] is None
    assert entry["actor_role"] == "postgres"
    assert entry["ip_address"] is None
    assert entry["user_agent"] is None
    assert (entry["old_values"], entry["new_values"]) == ({"plan": "free"}, {"plan": "pro"})


def test_unaudited_tables_write_nothing(team: Team) -> None:
    since = last_id(team)
    team.as_("viewer").rpc("heartbeat")
    team.as_("viewer").update("profiles", {"full_name": "Renamed"}, id=team.people["viewer"].id)
    assert entries_since(team, since) == []


# =============================================================================================
# secrets
# =============================================================================================


def test_redact_secrets_hides_secret_looking_keys(team: Team) -> None:
    data = {
        "token": "t0k3n",
        "key_hash": "\\x00ff",
        "client_secret": "cs_live_123",
        "password": "hunter2",
        "api_key": "luneo_abc",
        "name": "Shopify sync",
    }
    (row,) = team.superuser("select private.redact_secrets(%s::jsonb) as r", [json.dumps(data)])
    redacted = row["r"]
    assert {k for k, v in redacted.items() if v != "[redacted]"} == {"name"}
    assert redacted["name"] == "Shopify sync"
    assert set(redacted) == set(data)
    assert not {"t0k3n", "cs_live_123", "hunter2", "luneo_abc"} & set(map(str, redacted.values()))


@pytest.mark.parametrize(
    "key", ["key_prefix", "monkey", "tokens", "token_count", "hashtag", "passwords_rotated_at", "api_key_id"]
)
def test_redact_secrets_keeps_keys_that_only_look_alike(team: Team, key: str) -> None:
    (row,) = team.superuser("select private.redact_secrets(jsonb_build_object(%s::text, 'v')) as r", [key])
    assert row["r"] == {key: "v"}


def test_redact_secrets_reaches_nested_objects_and_arrays(team: Team) -> None:
    data = {
        "name": "Webhook",
        "config": {"url": "https://example.com", "signing_secret": "s1", "auth": {"api_key": "k1"}},
        "endpoints": [{"url": "a", "token": "t1"}, {"url": "b", "nested": [{"password": "p1"}]}, 7, "x"],
        "tags": ["token", "key"],
    }
    (row,) = team.superuser("select private.redact_secrets(%s::jsonb) as r", [json.dumps(data)])
    assert row["r"] == {
        "name": "Webhook",
        "config": {
            "url": "https://example.com",
            "signing_secret": "[redacted]",
            "auth": {"api_key": "[redacted]"},
        },
        "endpoints": [
            {"url": "a", "token": "[redacted]"},
            {"url": "b", "nested": [{"password": "[redacted]"}]},
            7,
            "x",
        ],
        "tags": ["token", "key"],
    }
    assert "s1" not in json.dumps(row["r"])
    assert "p1" not in json.dumps(row["r"])


@pytest.mark.parametrize("value", ["[]", "{}", "3", '"token"', "null", '[{"key": 1}]'])
def test_redact_secrets_keeps_the_shape_of_any_value(team: Team, value: str) -> None:
    expected = {'[{"key": 1}]': [{"key": "[redacted]"}]}.get(value, json.loads(value))
    (row,) = team.superuser("select private.redact_secrets(%s::jsonb) as r", [value])
    assert row["r"] == expected


def test_redact_secrets_is_not_callable_through_the_api(team: Team) -> None:
    for who in ("admin", "anon"):
        with pytest.raises(PostgrestError) as caught:
            team.as_(who).sql("select private.redact_secrets('{}'::jsonb)")
        assert caught.value.sqlstate == "42501"


# =============================================================================================
# where from
# =============================================================================================


def test_ip_is_the_gateway_appended_address_and_user_agent_is_kept(team: Team) -> None:
    since = last_id(team)
    as_admin(team).update("organizations", {"name": "Via Proxy"}, id=team.org_id)
    (entry,) = entries_since(team, since)
    assert str(entry["ip_address"]) == "203.0.113.7"
    assert entry["user_agent"] == "Luneo-Web/2.1 (Firefox)"


@pytest.mark.parametrize(
    ("headers", "ip"),
    [
        ({"x-forwarded-for": "10.0.0.1, 2001:db8::1"}, "2001:db8::1"),
        ({"x-forwarded-for": "2001:db8::1"}, "2001:db8::1"),
        # client-writable headers are not trusted
        ({"x-real-ip": "198.51.100.9"}, None),
        ({"cf-connecting-ip": "198.51.100.10", "x-real-ip": "198.51.100.9"}, None),
        ({"x-forwarded-for": "10.0.0.1, not-an-ip"}, None),
        ({"x-forwarded-for": "10.0.0.1,"}, None),
        ({"x-forwarded-for": "198.51.100.7:4711"}, None),
        ({"x-forwarded-for": "999.1.2.3"}, None),
        ({"x-forwarded-for": ""}, None),
        ({}, None),
    ],
)
def test_ip_address_from_headers(team: Team, headers: dict[str, str], ip: str | None) -> None:
    since = last_id(team)
    rows = as_admin(team, headers).update("organizations", {"name": "Renamed"}, id=team.org_id)
    assert rows[0]["name"] == "Renamed"  # an unreadable address never fails the write
    (entry,) = entries_since(team, since)
    assert (str(entry["ip_address"]) if entry["ip_address"] else None) == ip
    assert entry["user_agent"] is None


def test_overlong_user_agent_is_truncated(team: Team) -> None:
    since = last_id(team)
    as_admin(team, {"user-agent": "U" * 5000}).update("organizations", {"name": "Long UA"}, id=team.org_id)
    (entry,) = entries_since(team, since)
    assert entry["user_agent"] == "U" * 1000


# =============================================================================================
# who reads
# =============================================================================================


@pytest.mark.parametrize("reader", ["admin", "owner"])
def test_admins_read_their_organisations_audit_log(
    api: PostgREST, db_url: str, team: Team, reader: str
) -> None:
    other = make_team(api, db_url)
    as_admin(team).update("organizations", {"name": "Visible"}, id=team.org_id)
    as_admin(other).update("organizations", {"name": "Invisible"}, id=other.org_id)
    rows = team.as_(reader).select("audit_logs")
    expected = team.superuser("select id from public.audit_logs where organization_id = %s", [team.org_id])
    assert {r["id"] for r in rows} == {r["id"] for r in expected}
    assert {r["organization_id"] for r in rows} == {team.org_id}
    assert any(r["new_values"] == {"name": "Visible"} for r in rows)


@pytest.mark.parametrize("reader", ["manager", "designer", "viewer", "outsider"])
def test_others_see_nothing_of_the_audit_log(team: Team, reader: str) -> None:
    as_admin(team).update("organizations", {"name": "Secret rename"}, id=team.org_id)
    assert (
        team.superuser(
            "select count(*) as n from public.audit_logs where organization_id = %s", [team.org_id]
        )[0]["n"]
        > 0
    )
    assert team.as_(reader).select("audit_logs") == []


def test_custom_role_with_audit_read_opens_the_log(team: Team) -> None:
    (role,) = as_admin(team).insert(
        "team_roles", {"organization_id": team.org_id, "name": "Auditor", "permissions": ["audit.read"]}
    )
    assert team.as_("viewer").select("audit_logs") == []
    team.superuser(
        "update public.team_members set custom_role_id = %s where organization_id = %s and user_id = %s",
        [role["id"], team.org_id, team.people["viewer"].id],
    )
    rows = team.as_("viewer").select("audit_logs")
    assert rows
    assert {r["organization_id"] for r in rows} == {team.org_id}


def test_suspended_admin_loses_the_audit_log(team: Team) -> None:
    team.superuser(
        "update public.team_members set status = 'suspended' where organization_id = %s and user_id = %s",
        [team.org_id, team.people["admin"].id],
    )
    assert as_admin(team).select("audit_logs") == []


def test_anon_cannot_read_the_audit_log(team: Team) -> None:
    with pytest.raises(PostgrestError) as caught:
        team.as_("anon").select("audit_logs")
    assert (caught.value.sqlstate, caught.value.status) == ("42501", 401)


def test_service_role_reads_every_entry(team: Team) -> None:
    total = team.superuser("select count(*) as n from public.audit_logs")[0]["n"]
    assert total > 0
    assert len(team.as_("service_role").select("audit_logs")) == total


# =============================================================================================
# nobody edits
# =============================================================================================


@pytest.mark.parametrize("who", ["owner", "admin", "service_role", "anon"])
def test_nobody_writes_the_audit_log_through_the_api(team: Team, who: str) -> None:
    session = team.as_(who)
    before = team.superuser("select * from public.audit_logs order by id")
    (target,) = team.superuser(
        "select min(id) as id from public.audit_logs where organization_id = %s", [team.org_id]
    )
    attempts = [
        lambda: session.insert(
            "audit_logs",
            {"organization_id": team.org_id, "table_name": "organizations", "operation": "INSERT"},
        ),
        lambda: session.update("audit_logs", {"actor_id": None}, id=target["id"]),
        lambda: session.update("audit_logs", {"ip_address": None}),
        lambda: session.delete("audit_logs", id=target["id"]),
        lambda: session.delete("audit_logs"),
        lambda: session.sql("truncate public.audit_logs", method="POST"),
    ]
    for attempt in attempts:
        with pytest.raises(PostgrestError) as caught:
            attempt()
        assert caught.value.sqlstate == "42501"
        assert caught.value.status == (401 if who == "anon" else 403)
    assert team.superuser("select * from public.audit_logs order by id") == before
