"""GDPR: the caller's data export, the erasure request, and the erasure itself (service role).

The spec is supabase/functions/identity/gdpr.sql, with the tables it reads and anonymises in
supabase/migrations/2026112110*.sql; its error codes are registered in docs/errors.md.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.support.postgrest import PostgREST, PostgrestError, Session
from tests.support.team import Person, Team, make_team, new_person

HEADERS = {"X-Forwarded-For": "10.0.0.1, 203.0.113.7", "User-Agent": "Luneo-Web/2.1 (Firefox)"}
ADDRESS = {"line1": "12 rue des Lilas", "city": "Lyon", "postcode": "69003", "country": "FR"}
OTHER_ADDRESS = {"line1": "3 quai Saint-Vincent", "city": "Lyon", "postcode": "69001", "country": "FR"}


def keys_of(value: Any) -> set[str]:
    """Every object key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


def add_order(
    team: Team,
    customer: Person | None,
    *,
    email: str | None = None,
    amount: int = 12000,
    name: str = "Camille Durand",
    address: dict = ADDRESS,
) -> uuid.UUID:
    (row,) = team.superuser(
        "insert into public.orders (organization_id, customer_id, customer_email, customer_name,"
        " shipping_address, status, total_amount) values (%s, %s, %s, %s, %s, 'paid', %s) returning id",
        [
            team.org_id,
            customer.id if customer else None,
            email or (customer.email if customer else None),
            name,
            Jsonb(address),
            amount,
        ],
    )
    return row["id"]


def add_invoice(
    team: Team, billing: Person, *, amount: int = 4900, name: str = "Camille Durand", address: dict = ADDRESS
) -> uuid.UUID:
    (row,) = team.superuser(
        "insert into public.invoices (organization_id, number, amount_due, billing_user_id, billing_name,"
        " billing_email, billing_address) values (%s, %s, %s, %s, %s, %s, %s) returning id",
        [team.org_id, f"LU-{uuid.uuid4().hex[:8]}", amount, billing.id, name, billing.email, Jsonb(address)],
    )
    return row["id"]


def request_erasure(api: PostgREST, person: Person) -> str:
    return person.session(api).rpc("request_account_erasure")


def erase(api: PostgREST, person: Person) -> dict:
    return api.service_role().rpc("erase_account", user_id=str(person.id))


def count(team: Team, query: str, params: Any = None) -> int:
    return team.superuser(f"select count(*) as n from {query}", params)[0]["n"]


# =============================================================================================
# export
# =============================================================================================


@dataclass
class Footprint:
    """What a member leaves in the database, for the export and erasure tests."""

    subject: Person
    session: Session
    session_id: uuid.UUID
    api_key: dict
    invitation: dict
    received_invitation_id: str
    orders: list[uuid.UUID]
    guest_order: uuid.UUID
    invoice: uuid.UUID
    others_order: uuid.UUID
    others_invoice: uuid.UUID
    other_team: Team


def footprint(api: PostgREST, db_url: str, team: Team) -> Footprint:
    """The team's admin signs in, invites, creates a key, orders, is billed and is invited elsewhere."""
    subject = team.people["admin"]
    session = subject.session(api, headers=HEADERS)
    session.rpc("heartbeat", device_name="Camille's MacBook", device_type="desktop")
    api_key = session.rpc("create_api_key", organization_id=str(team.org_id), name="Shopify sync")
    invitation = session.rpc(
        "create_invitation", organization_id=str(team.org_id), email="friend@example.com"
    )
    other_team = make_team(api, db_url)
    received = other_team.as_("admin").rpc(
        "create_invitation", organization_id=str(other_team.org_id), email=subject.email, role="designer"
    )
    orders = [add_order(team, subject, amount=12000), add_order(team, subject, amount=3500)]
    guest_order = add_order(team, None, email=subject.email.upper(), amount=800, name="C. Durand")
    invoice = add_invoice(team, subject)
    others_order = add_order(
        team, team.people["viewer"], amount=999, name="Vic Viewer", address=OTHER_ADDRESS
    )
    others_invoice = add_invoice(
        team, team.people["owner"], amount=100, name="Olga Owner", address=OTHER_ADDRESS
    )
    return Footprint(
        subject,
        session,
        uuid.UUID(session.request.claims["session_id"]),
        api_key,
        invitation,
        received["invitation"]["id"],
        orders,
        guest_order,
        invoice,
        others_order,
        others_invoice,
        other_team,
    )


def test_export_holds_everything_about_the_caller(api: PostgREST, db_url: str, team: Team) -> None:
    fp = footprint(api, db_url, team)
    data = fp.session.rpc("export_my_data")

    assert datetime.fromisoformat(data["exported_at"])
    assert data["account"]["id"] == str(fp.subject.id)
    assert data["account"]["email"] == fp.subject.email
    assert data["account"]["user_metadata"]["full_name"].startswith("Admin ")
    assert data["profile"]["id"] == str(fp.subject.id)
    assert data["profile"]["status"] == "online"

    assert [(m["organization_id"], m["role"], m["status"]) for m in data["memberships"]] == [
        (str(team.org_id), "admin", "active")
    ]
    assert data["memberships"][0]["organization"] == "Maison Test"

    (device,) = data["sessions"]
    assert device["session_id"] == str(fp.session_id)
    assert device["ip_address"] == "203.0.113.7"
    assert device["user_agent"] == HEADERS["User-Agent"]

    (received,) = data["invitations_received"]
    assert (received["organization_id"], received["role"], received["status"]) == (
        str(fp.other_team.org_id),
        "designer",
        "pending",
    )
    (sent,) = data["invitations_sent"]
    assert (sent["organization_id"], sent["email"], sent["status"]) == (
        str(team.org_id),
        "friend@example.com",
        "pending",
    )

    (key,) = data["api_keys_created"]
    assert (key["organization_id"], key["name"]) == (str(team.org_id), "Shopify sync")
    assert key["key_prefix"] == fp.api_key["key"][:14]
    assert key["revoked_at"] is None

    exported = {o["id"]: o for o in data["orders"]}
    assert {str(o) for o in fp.orders} <= set(exported)
    assert sorted(exported[str(o)]["total_amount"] for o in fp.orders) == [3500, 12000]
    assert all(exported[str(o)]["shipping_address"] == ADDRESS for o in fp.orders)
    assert str(fp.others_order) not in exported

    (invoice,) = data["invoices"]
    assert (invoice["amount_due"], invoice["billing_email"]) == (4900, fp.subject.email)

    activity = {(a["table"], a["operation"]) for a in data["activity"]}
    assert {("api_keys", "INSERT"), ("invitations", "INSERT")} <= activity
    assert all(a["ip_address"] == "203.0.113.7" for a in data["activity"])


def test_export_never_contains_a_secret(api: PostgREST, db_url: str, team: Team) -> None:
    fp = footprint(api, db_url, team)
    data = fp.session.rpc("export_my_data")
    text = json.dumps(data)
    assert not {k for k in keys_of(data) if "hash" in k or "token" in k or "secret" in k}
    assert fp.api_key["key"] not in text
    assert fp.invitation["token"] not in text


def test_export_contains_nobody_elses_data(api: PostgREST, db_url: str, team: Team) -> None:
    fp = footprint(api, db_url, team)
    team.as_("viewer", headers={"x-forwarded-for": "192.0.2.99"}).rpc("heartbeat")
    text = json.dumps(fp.session.rpc("export_my_data"))
    for who in ("viewer", "owner", "designer", "manager", "outsider"):
        assert team.people[who].email not in text
        assert str(team.people[who].id) not in text
    assert fp.other_team.people["admin"].email not in text
    assert str(fp.others_order) not in text
    assert not {"Vic Viewer", "Olga Owner", OTHER_ADDRESS["line1"]} & {n for n in text.split('"')}
    assert "192.0.2.99" not in text


def test_export_includes_orders_placed_under_the_callers_address(
    api: PostgREST, db_url: str, team: Team
) -> None:
    """erase_account treats a guest order under the user's address as theirs: so must the export."""
    fp = footprint(api, db_url, team)
    exported = {o["id"] for o in fp.session.rpc("export_my_data")["orders"]}
    assert str(fp.guest_order) in exported


def test_export_of_a_new_user_is_empty_but_complete(api: PostgREST, db_url: str) -> None:
    person = new_person(db_url, "fresh")
    data = person.session(api).rpc("export_my_data")
    assert data["account"]["email"] == person.email
    for section in (
        "memberships",
        "sessions",
        "invitations_received",
        "invitations_sent",
        "api_keys_created",
        "orders",
        "invoices",
        "activity",
    ):
        assert data[section] == [], section


def test_export_runs_in_a_read_only_request(api: PostgREST, db_url: str, team: Team) -> None:
    fp = footprint(api, db_url, team)
    volatility = team.superuser(
        "select n.nspname as schema, p.provolatile as v from pg_proc as p"
        " join pg_namespace as n on n.oid = p.pronamespace where p.proname = 'export_my_data'"
    )
    assert {(r["schema"], r["v"]) for r in volatility} == {("public", "s"), ("private", "s")}
    (row,) = fp.subject.session(api).sql(
        "select public.export_my_data() as data, current_setting('transaction_read_only') as ro",
        method="GET",
        path="/rpc/export_my_data",
    )
    assert row["ro"] == "on"
    assert row["data"]["account"]["id"] == str(fp.subject.id)
    assert {str(o) for o in fp.orders} <= {o["id"] for o in row["data"]["orders"]}


def test_anon_cannot_export(api: PostgREST) -> None:
    with pytest.raises(PostgrestError) as caught:
        api.anon().rpc("export_my_data")
    assert (caught.value.sqlstate, caught.value.status) == ("42501", 401)


# =============================================================================================
# erasure request
# =============================================================================================


def test_request_and_cancel_erasure(api: PostgREST, db_url: str, team: Team) -> None:
    me = new_person(db_url, "me")
    requested = me.session(api).rpc("request_account_erasure")
    assert requested is not None
    (row,) = team.superuser("select erasure_requested_at as at from public.profiles where id = %s", [me.id])
    assert row["at"] == datetime.fromisoformat(requested)

    assert me.session(api).rpc("request_account_erasure", cancel=True) is None
    (row,) = team.superuser("select erasure_requested_at as at from public.profiles where id = %s", [me.id])
    assert row["at"] is None


def test_erasure_request_touches_only_the_caller(api: PostgREST, db_url: str, team: Team) -> None:
    request_erasure(api, team.people["viewer"])
    rows = team.superuser("select id from public.profiles where erasure_requested_at is not null")
    assert [r["id"] for r in rows] == [team.people["viewer"].id]


def test_anon_cannot_request_erasure(api: PostgREST) -> None:
    with pytest.raises(PostgrestError) as caught:
        api.anon().rpc("request_account_erasure")
    assert (caught.value.sqlstate, caught.value.status) == ("42501", 401)


# =============================================================================================
# erasure: who and when
# =============================================================================================


@pytest.mark.parametrize("who", ["self", "owner", "anon"])
def test_only_the_service_role_erases(api: PostgREST, team: Team, who: str) -> None:
    subject = team.people["viewer"]
    request_erasure(api, subject)
    session = {"self": subject.session(api), "owner": team.as_("owner"), "anon": api.anon()}[who]
    with pytest.raises(PostgrestError) as caught:
        session.rpc("erase_account", user_id=str(subject.id))
    assert caught.value.sqlstate == "42501"
    assert caught.value.status == (401 if who == "anon" else 403)
    with pytest.raises(PostgrestError) as caught:
        session.sql("select private.erase_account(%s)", [subject.id], method="POST")
    assert caught.value.sqlstate == "42501"
    assert count(team, "auth.users where id = %s", [subject.id]) == 1


def test_erasure_without_a_request_is_refused(api: PostgREST, team: Team) -> None:
    subject = team.people["viewer"]
    with pytest.raises(PostgrestError) as caught:
        erase(api, subject)
    assert caught.value.sqlstate == "LU030"
    assert count(team, "auth.users where id = %s", [subject.id]) == 1

    request_erasure(api, subject)
    subject.session(api).rpc("request_account_erasure", cancel=True)
    with pytest.raises(PostgrestError) as caught:
        erase(api, subject)
    assert caught.value.sqlstate == "LU030"


def test_erasing_an_unknown_user_is_refused(api: PostgREST) -> None:
    with pytest.raises(PostgrestError) as caught:
        api.service_role().rpc("erase_account", user_id=str(uuid.uuid4()))
    assert caught.value.sqlstate == "LU032"
    assert caught.value.message == "no such user"


def test_only_owner_of_a_team_with_members_is_refused(api: PostgREST, team: Team) -> None:
    owner = team.people["owner"]
    order = add_order(team, owner)
    request_erasure(api, owner)
    before = {
        "users": count(team, "auth.users where id = %s", [owner.id]),
        "members": count(team, "public.team_members where organization_id = %s", [team.org_id]),
        "orders": team.superuser("select * from public.orders where id = %s", [order]),
        "audit": count(team, "public.audit_logs"),
    }
    with pytest.raises(PostgrestError) as caught:
        erase(api, owner)
    assert caught.value.sqlstate == "LU031"
    assert str(team.org_id) in (caught.value.detail or "")
    assert before == {
        "users": 1,
        "members": 5,
        "orders": team.superuser("select * from public.orders where id = %s", [order]),
        "audit": count(team, "public.audit_logs"),
    }
    assert count(team, "public.organizations where id = %s", [team.org_id]) == 1
    assert count(team, "public.profiles where id = %s and erasure_requested_at is not null", [owner.id]) == 1


def test_sole_owner_alone_takes_the_organisation_along(api: PostgREST, db_url: str, team: Team) -> None:
    solo = new_person(db_url, "solo")
    org = solo.session(api).rpc(
        "create_organization", name="Solo Studio", slug=f"solo-{uuid.uuid4().hex[:8]}"
    )
    request_erasure(api, solo)
    summary = erase(api, solo)
    assert summary == {
        "user_id": str(solo.id),
        "organizations_deleted": 1,
        "orders_anonymised": 0,
        "invoices_anonymised": 0,
    }
    assert count(team, "public.organizations where id = %s", [org["id"]]) == 0
    assert count(team, "auth.users where id = %s", [solo.id]) == 0
    assert count(team, "public.organizations where id = %s", [team.org_id]) == 1


def test_sole_owners_erasure_keeps_invoices_and_drops_the_brands_orders(
    api: PostgREST, db_url: str, team: Team
) -> None:
    """Luneo's invoices outlive the organisation (org set null); the brand's orders go with the brand."""
    solo = new_person(db_url, "solo")
    org = solo.session(api).rpc(
        "create_organization", name="Solo Studio", slug=f"solo-{uuid.uuid4().hex[:8]}"
    )
    solo_team = Team(api, db_url, uuid.UUID(org["id"]), {"owner": solo})
    invoice = add_invoice(solo_team, solo, amount=1900)
    order = add_order(solo_team, team.people["viewer"], amount=4500, name="Vic Viewer")
    request_erasure(api, solo)
    summary = erase(api, solo)
    assert summary["organizations_deleted"] == 1
    assert summary["invoices_anonymised"] == 1
    (kept,) = team.superuser("select * from public.invoices where id = %s", [invoice])
    assert (kept["amount_due"], kept["organization_id"]) == (1900, None)
    assert (kept["billing_user_id"], kept["billing_email"]) == (None, None)
    assert team.superuser("select * from public.orders where id = %s", [order]) == []


def test_one_of_two_owners_can_leave_the_organisation_behind(api: PostgREST, team: Team) -> None:
    owner = team.people["owner"]
    second = team.add_member("owner")
    request_erasure(api, owner)
    summary = erase(api, owner)
    assert summary["organizations_deleted"] == 0
    assert count(team, "public.organizations where id = %s", [team.org_id]) == 1
    rows = team.superuser(
        "select user_id from public.team_members where organization_id = %s and role = 'owner'", [team.org_id]
    )
    assert [r["user_id"] for r in rows] == [second.id]


# =============================================================================================
# erasure: what goes, what stays
# =============================================================================================


def test_erasure_removes_the_person_and_keeps_the_records(api: PostgREST, db_url: str, team: Team) -> None:
    fp = footprint(api, db_url, team)
    subject = fp.subject
    own_audit = team.superuser(
        "select * from public.audit_logs where actor_id = %s order by id", [subject.id]
    )
    assert len(own_audit) >= 2
    assert all(str(a["ip_address"]) == "203.0.113.7" for a in own_audit)
    orders_before = team.superuser("select * from public.orders order by id")
    invoices_before = team.superuser("select * from public.invoices order by id")
    request_erasure(api, subject)

    summary = erase(api, subject)

    assert summary == {
        "user_id": str(subject.id),
        "organizations_deleted": 0,
        "orders_anonymised": 3,  # two as customer, one guest order under the same address
        "invoices_anonymised": 1,
    }
    # the person
    assert count(team, "auth.users where id = %s", [subject.id]) == 0
    assert count(team, "public.profiles where id = %s", [subject.id]) == 0
    assert count(team, "public.team_members where user_id = %s", [subject.id]) == 0
    assert count(team, "public.user_sessions where user_id = %s", [subject.id]) == 0
    assert count(team, "public.invitations where id = %s", [fp.received_invitation_id]) == 0

    # the orders: all kept, with their amounts; the subject's stripped of the customer
    orders_after = {r["id"]: r for r in team.superuser("select * from public.orders")}
    assert set(orders_after) == {r["id"] for r in orders_before}
    for before in orders_before:
        after = orders_after[before["id"]]
        assert (after["total_amount"], after["status"], after["currency"]) == (
            before["total_amount"],
            before["status"],
            before["currency"],
        )
        if before["id"] in [*fp.orders, fp.guest_order]:
            customer = (after["customer_id"], after["customer_email"], after["customer_name"])
            assert customer == (None, None, None)
            assert after["shipping_address"] is None
        else:
            assert after == before
    assert orders_after[fp.others_order]["customer_id"] == team.people["viewer"].id

    # the invoices: kept, billing contact removed from the subject's only
    invoices_after = {r["id"]: r for r in team.superuser("select * from public.invoices")}
    assert set(invoices_after) == {r["id"] for r in invoices_before}
    mine = invoices_after[fp.invoice]
    assert mine["amount_due"] == 4900
    billing = (mine["billing_user_id"], mine["billing_name"], mine["billing_email"], mine["billing_address"])
    assert billing == (None, None, None, None)
    assert invoices_after[fp.others_invoice]["billing_email"] == team.people["owner"].email

    # the trail: the subject's entries remain, without who and from where
    after = {r["id"]: r for r in team.superuser("select * from public.audit_logs")}
    for entry in own_audit:
        kept = after[entry["id"]]
        assert (kept["actor_id"], kept["ip_address"], kept["user_agent"]) == (None, None, None)
        assert (kept["table_name"], kept["operation"], kept["actor_role"]) == (
            entry["table_name"],
            entry["operation"],
            entry["actor_role"],
        )

    # what the subject made for the organisation stays, unattributed
    (key,) = team.superuser("select * from public.api_keys where id = %s", [fp.api_key["api_key"]["id"]])
    assert key["created_by"] is None
    (sent,) = team.superuser(
        "select * from public.invitations where id = %s", [fp.invitation["invitation"]["id"]]
    )
    assert (sent["invited_by"], sent["email"], sent["status"]) == (None, "friend@example.com", "pending")

    # the rest of the team is untouched
    assert count(team, "public.team_members where organization_id = %s", [team.org_id]) == 4
    assert count(team, "auth.users where id = any(%s)", [[p.id for p in team.people.values()]]) == 5


def test_pending_invitations_to_the_address_are_deleted(api: PostgREST, db_url: str, team: Team) -> None:
    person = new_person(db_url, "invitee")
    other = make_team(api, db_url)
    for t in (team, other):
        t.as_("admin").rpc("create_invitation", organization_id=str(t.org_id), email=person.email.upper())
    team.as_("admin").rpc("create_invitation", organization_id=str(team.org_id), email="someone@example.com")
    request_erasure(api, person)
    erase(api, person)
    assert count(team, "public.invitations where email = %s", [person.email]) == 0
    assert count(team, "public.invitations where email = 'someone@example.com'") == 1


def test_erased_address_is_not_kept_in_answered_invitations(api: PostgREST, db_url: str, team: Team) -> None:
    """An accepted or declined invitation still names the erased person by email."""
    joined = new_person(db_url, "joined")
    declined = new_person(db_url, "declined")
    admin = team.as_("admin")
    token = admin.rpc("create_invitation", organization_id=str(team.org_id), email=joined.email)["token"]
    joined.session(api).rpc("accept_invitation", token=token)
    token = admin.rpc("create_invitation", organization_id=str(team.org_id), email=declined.email)["token"]
    declined.session(api).rpc("decline_invitation", token=token)
    for person in (joined, declined):
        request_erasure(api, person)
        erase(api, person)
        assert count(team, "public.invitations where email = %s", [person.email]) == 0, person.email


def test_erased_contact_details_do_not_survive_in_the_audit_trail(
    api: PostgREST, db_url: str, team: Team
) -> None:
    """Invoices and invitations are audited with their values: erasure must not leave copies there."""
    fp = footprint(api, db_url, team)
    request_erasure(api, fp.subject)
    erase(api, fp.subject)
    leaks = team.superuser(
        "select id, table_name, operation from public.audit_logs"
        " where concat(old_values::text, new_values::text) ilike any(%s) order by id",
        [[f"%{fp.subject.email}%", "%Camille Durand%", "%rue des Lilas%"]],
    )
    assert [(leak["table_name"], leak["operation"]) for leak in leaks] == []
