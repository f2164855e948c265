"""Invitations through the API: tokens shown once and stored hashed, who may invite whom, every way
an acceptance can fail (LU001-LU008), resend, revoke, expiry, visibility, and the race for the last seat.

Everything runs against a real Postgres through the PostgREST-faithful helper; the superuser
connection only prepares states (expired, already a member) and inspects private tables.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.concurrency import open_request, race, wait_until_blocked_by
from tests.support.postgrest import PostgrestError, fails
from tests.support.team import Person, Team, new_person

TOKEN = re.compile(r"luneo_inv_[A-Za-z0-9_-]{43,}")


def invite(team: Team, email: str, role: str = "viewer", by: str = "admin", **extra: Any) -> dict:
    return team.as_(by).rpc("create_invitation", organization_id=team.org_id, email=email, role=role, **extra)


def invitation_row(team: Team, invitation_id: str | uuid.UUID) -> dict:
    (row,) = team.superuser("select * from public.invitations where id = %s", [invitation_id])
    return row


def membership(team: Team, user_id: uuid.UUID) -> dict | None:
    rows = team.superuser(
        "select * from public.team_members where organization_id = %s and user_id = %s",
        [team.org_id, user_id],
    )
    return rows[0] if rows else None


def seats(team: Team) -> int:
    (row,) = team.superuser(
        "select count(*)::int as n from public.team_members"
        " where organization_id = %s and status in ('pending', 'active')",
        [team.org_id],
    )
    return row["n"]


def set_seat_limit(team: Team, limit: int) -> None:
    team.superuser("update public.organizations set seat_limit = %s where id = %s", [limit, team.org_id])


# =============================================================================================
# creating invitations
# =============================================================================================


def test_create_invitation_returns_the_token_once_and_stores_only_its_sha256(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email, "designer")

    token = created["token"]
    assert TOKEN.fullmatch(token), token
    invitation = created["invitation"]
    assert "token" not in invitation
    assert "token_hash" not in invitation
    assert (invitation["email"], invitation["role"], invitation["status"]) == (
        invitee.email,
        "designer",
        "pending",
    )
    assert invitation["invited_by"] == str(team.people["admin"].id)

    (stored,) = team.superuser(
        "select token_hash from private.invitation_tokens where invitation_id = %s", [invitation["id"]]
    )
    assert bytes(stored["token_hash"]) == hashlib.sha256(token.encode()).digest()
    for table in ("public.invitations", "public.audit_logs"):
        (leak,) = team.superuser(
            f"select count(*)::int as n from {table} as t where strpos(to_jsonb(t)::text, %s) > 0", [token]
        )
        assert leak["n"] == 0, f"the token is stored in {table}"
    (audited,) = team.superuser(
        "select count(*)::int as n from public.audit_logs where table_name = 'invitations' and record_id = %s",
        [invitation["id"]],
    )
    assert audited["n"] == 1

    # the table the admin can read has no way back to the token
    (listed,) = team.as_("admin").select("invitations", id=invitation["id"])
    assert token not in json.dumps(listed, default=str)


def test_every_invitation_gets_its_own_token(team: Team) -> None:
    tokens = {invite(team, f"someone-{i}@example.com")["token"] for i in range(3)}
    assert len(tokens) == 3
    (row,) = team.superuser("select count(distinct token_hash)::int as n from private.invitation_tokens")
    assert row["n"] == 3


def test_the_invited_email_is_normalised_to_lowercase(team: Team) -> None:
    created = invite(team, "  Jo.Doe@Example.COM ")
    assert created["invitation"]["email"] == "jo.doe@example.com"
    assert invitation_row(team, created["invitation"]["id"])["email"] == "jo.doe@example.com"
    # the same address in another case is the same invitee
    fails("LU008", invite, team, "JO.DOE@example.com")


def test_an_invalid_address_is_refused(team: Team) -> None:
    fails("22023", invite, team, "not-an-address")
    assert team.superuser("select * from public.invitations") == []


@pytest.mark.parametrize("who", ["viewer", "designer", "manager", "outsider"])
def test_only_roles_with_invitations_manage_can_invite(team: Team, who: str) -> None:
    error = fails("42501", invite, team, "nobody@example.com", by=who)
    assert error.status == 403
    assert "invitations.manage" in error.message
    assert team.superuser("select * from public.invitations") == []


@pytest.mark.parametrize("who", ["admin", "owner"])
def test_admins_and_owners_can_invite(team: Team, who: str) -> None:
    created = invite(team, f"by-{who}@example.com", by=who)
    assert invitation_row(team, created["invitation"]["id"])["invited_by"] == team.people[who].id


def test_anon_cannot_invite(team: Team) -> None:
    error = fails(
        "42501", team.as_("anon").rpc, "create_invitation", organization_id=team.org_id, email="a@b.c"
    )
    assert error.status == 401


@pytest.mark.parametrize("who", ["admin", "owner"])
def test_nobody_is_invited_as_owner(team: Team, who: str) -> None:
    error = fails("22023", invite, team, "boss@example.com", "owner", by=who)
    assert "owner" in error.message
    assert team.superuser("select * from public.invitations") == []


def test_a_role_cannot_invite_above_itself(team: Team) -> None:
    (role,) = team.as_("admin").insert(
        "team_roles",
        {"organization_id": team.org_id, "name": "Recruiter", "permissions": ["invitations.manage"]},
    )
    manager = team.people["manager"]
    team.as_("admin").update("team_members", {"custom_role_id": role["id"]}, user_id=manager.id)

    error = fails("42501", invite, team, "above@example.com", "admin", by="manager")
    assert "manager" in error.message
    assert "admin" in error.message
    assert team.superuser("select * from public.invitations") == []
    for allowed in ("viewer", "designer", "manager"):
        created = invite(team, f"{allowed}@example.com", allowed, by="manager")
        assert created["invitation"]["role"] == allowed
    # an admin may invite an admin (not above itself)
    assert invite(team, "peer@example.com", "admin")["invitation"]["role"] == "admin"


def test_an_inviter_cannot_hand_out_a_custom_role_with_permissions_they_lack(team: Team) -> None:
    """Regression: create_invitation once compared built-in roles only, so a manager allowed to
    invite could give a viewer invitee a custom role carrying members.manage, with which the
    invitee then made themself admin."""
    (recruiter,) = team.as_("admin").insert(
        "team_roles",
        {"organization_id": team.org_id, "name": "Recruiter", "permissions": ["invitations.manage"]},
    )
    (power,) = team.as_("admin").insert(
        "team_roles",
        {"organization_id": team.org_id, "name": "Power", "permissions": ["members.manage", "roles.manage"]},
    )
    team.as_("admin").update(
        "team_members", {"custom_role_id": recruiter["id"]}, user_id=team.people["manager"].id
    )
    # an admin holds every permission of the role: allowed
    assert invite(team, "ok@example.com", custom_role_id=power["id"])["invitation"]["custom_role_id"] == str(
        power["id"]
    )

    accomplice = new_person(team.url, "accomplice")
    fails("42501", invite, team, accomplice.email, "viewer", by="manager", custom_role_id=power["id"])
    assert team.superuser("select * from public.invitations where email = %s", [accomplice.email]) == []


def test_an_existing_member_cannot_be_invited(team: Team) -> None:
    viewer = team.people["viewer"]
    fails("LU007", invite, team, viewer.email)
    fails("LU007", invite, team, viewer.email.upper())
    suspended = team.add_member("designer", status="suspended")
    fails("LU007", invite, team, suspended.email)
    assert team.superuser("select * from public.invitations") == []


def test_a_second_pending_invitation_to_the_same_address_is_refused(team: Team) -> None:
    first = invite(team, "twice@example.com")
    error = fails("LU008", invite, team, "twice@example.com", "designer", by="owner")
    assert "twice@example.com" in error.message
    rows = team.superuser("select id, role from public.invitations where email = 'twice@example.com'")
    assert rows == [{"id": uuid.UUID(first["invitation"]["id"]), "role": "viewer"}]
    # once the first is no longer pending, the address can be invited again
    team.as_("admin").rpc("revoke_invitation", invitation_id=first["invitation"]["id"])
    again = invite(team, "twice@example.com", "designer")
    assert again["invitation"]["id"] != first["invitation"]["id"]


def test_the_seat_limit_is_checked_when_inviting(team: Team) -> None:
    set_seat_limit(team, seats(team))
    error = fails("LU005", invite, team, "late@example.com")
    assert error.message == "seat limit reached"
    assert team.superuser("select * from public.invitations") == []
    set_seat_limit(team, seats(team) + 1)
    assert invite(team, "late@example.com")["invitation"]["status"] == "pending"


# =============================================================================================
# accepting
# =============================================================================================


def test_accepting_joins_with_the_invited_role(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email, "manager")
    joined = invitee.session(team.api).rpc("accept_invitation", token=created["token"])

    assert joined["user_id"] == str(invitee.id)
    assert (joined["role"], joined["status"]) == ("manager", "active")
    assert joined["organization_id"] == str(team.org_id)
    assert joined["invited_by"] == str(team.people["admin"].id)
    row = membership(team, invitee.id)
    assert row is not None
    assert str(row["id"]) == joined["id"]
    invitation = invitation_row(team, created["invitation"]["id"])
    assert invitation["status"] == "accepted"
    assert invitation["accepted_by"] == invitee.id
    assert invitation["responded_at"] is not None
    # and the new member now has the role's permissions
    assert [o["id"] for o in invitee.session(team.api).select("organizations")] == [team.org_id]


def test_accepting_with_another_email_is_refused(team: Team) -> None:
    created = invite(team, "intended@example.com")
    error = fails("LU004", team.as_("outsider").rpc, "accept_invitation", token=created["token"])
    assert "another email" in error.message
    assert membership(team, team.people["outsider"].id) is None
    assert invitation_row(team, created["invitation"]["id"])["status"] == "pending"


def test_an_unknown_token_is_not_found(team: Team) -> None:
    error = fails("LU001", team.as_("outsider").rpc, "accept_invitation", token="luneo_inv_" + "A" * 43)
    assert error.message == "invitation not found"
    fails("LU001", team.as_("outsider").rpc, "decline_invitation", token="whatever")


def test_a_revoked_invitation_cannot_be_accepted(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email)
    team.as_("admin").rpc("revoke_invitation", invitation_id=created["invitation"]["id"])
    fails("LU003", invitee.session(team.api).rpc, "accept_invitation", token=created["token"])
    fails("LU003", invitee.session(team.api).rpc, "decline_invitation", token=created["token"])
    assert membership(team, invitee.id) is None


def test_a_declined_invitation_cannot_be_accepted(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email)
    invitee.session(team.api).rpc("decline_invitation", token=created["token"])

    invitation = invitation_row(team, created["invitation"]["id"])
    assert invitation["status"] == "declined"
    assert invitation["responded_at"] is not None
    assert invitation["accepted_by"] is None
    error = fails("LU006", invitee.session(team.api).rpc, "accept_invitation", token=created["token"])
    assert "declined" in error.message
    fails("LU006", invitee.session(team.api).rpc, "decline_invitation", token=created["token"])
    assert membership(team, invitee.id) is None


def test_only_the_invitee_can_decline(team: Team) -> None:
    created = invite(team, "mine@example.com")
    fails("LU004", team.as_("outsider").rpc, "decline_invitation", token=created["token"])
    assert invitation_row(team, created["invitation"]["id"])["status"] == "pending"


def test_an_expired_invitation_cannot_be_accepted(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email)
    team.superuser(
        "update public.invitations set expires_at = now() - interval '1 minute' where id = %s",
        [created["invitation"]["id"]],
    )
    error = fails("LU002", invitee.session(team.api).rpc, "accept_invitation", token=created["token"])
    assert "expired" in error.message
    fails("LU002", invitee.session(team.api).rpc, "decline_invitation", token=created["token"])
    assert membership(team, invitee.id) is None
    assert invitation_row(team, created["invitation"]["id"])["status"] == "pending"


def test_the_seat_limit_is_checked_again_when_accepting(team: Team) -> None:
    set_seat_limit(team, seats(team) + 1)
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email)
    team.add_member("viewer")  # takes the last seat meanwhile

    error = fails("LU005", invitee.session(team.api).rpc, "accept_invitation", token=created["token"])
    assert error.message == "seat limit reached"
    assert membership(team, invitee.id) is None
    assert invitation_row(team, created["invitation"]["id"])["status"] == "pending"
    (org,) = team.superuser("select seat_limit from public.organizations where id = %s", [team.org_id])
    assert seats(team) == org["seat_limit"]


def test_accepting_twice_returns_the_same_membership(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email, "designer")
    first = invitee.session(team.api).rpc("accept_invitation", token=created["token"])
    responded = invitation_row(team, created["invitation"]["id"])["responded_at"]
    set_seat_limit(team, seats(team))  # a full organisation does not matter to someone already in
    second = invitee.session(team.api).rpc("accept_invitation", token=created["token"])

    assert second == first
    (count,) = team.superuser(
        "select count(*)::int as n from public.team_members where organization_id = %s and user_id = %s",
        [team.org_id, invitee.id],
    )
    assert count["n"] == 1
    assert invitation_row(team, created["invitation"]["id"])["responded_at"] == responded
    # somebody else holding the accepted token gets nothing
    fails("LU006", team.as_("outsider").rpc, "accept_invitation", token=created["token"])


def test_accepting_when_already_an_active_member_is_idempotent(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email, "designer")
    team.superuser(
        "insert into public.team_members (organization_id, user_id, role, status) values (%s, %s, 'viewer', 'active')",
        [team.org_id, invitee.id],
    )
    existing = membership(team, invitee.id)
    assert existing is not None

    joined = invitee.session(team.api).rpc("accept_invitation", token=created["token"])
    assert joined["id"] == str(existing["id"])
    assert (joined["role"], joined["status"]) == ("viewer", "active")  # the existing role is kept
    after = membership(team, invitee.id)
    assert after is not None
    assert after["id"] == existing["id"]
    assert after["role"] == "viewer"
    invitation = invitation_row(team, created["invitation"]["id"])
    assert (invitation["status"], invitation["accepted_by"]) == ("accepted", invitee.id)


def test_accepting_activates_a_pending_membership(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email)
    team.superuser(
        "insert into public.team_members (organization_id, user_id, role, status) values (%s, %s, 'viewer', 'pending')",
        [team.org_id, invitee.id],
    )
    joined = invitee.session(team.api).rpc("accept_invitation", token=created["token"])
    assert joined["status"] == "active"
    assert membership(team, invitee.id)["status"] == "active"  # type: ignore[index]


def test_a_suspended_member_cannot_reactivate_themself_by_accepting(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email)
    team.superuser(
        "insert into public.team_members (organization_id, user_id, role, status)"
        " values (%s, %s, 'viewer', 'suspended')",
        [team.org_id, invitee.id],
    )
    fails("42501", invitee.session(team.api).rpc, "accept_invitation", token=created["token"])
    assert membership(team, invitee.id)["status"] == "suspended"  # type: ignore[index]
    assert invitation_row(team, created["invitation"]["id"])["status"] == "pending"


def test_anon_cannot_accept(team: Team) -> None:
    created = invite(team, "anon@example.com")
    error = fails("42501", team.as_("anon").rpc, "accept_invitation", token=created["token"])
    assert error.status == 401


# =============================================================================================
# revoke, resend, expire
# =============================================================================================


def test_an_admin_revokes_an_invitation(team: Team) -> None:
    created = invite(team, "revoked@example.com")
    revoked = team.as_("admin").rpc("revoke_invitation", invitation_id=created["invitation"]["id"])
    assert revoked["status"] == "revoked"
    assert revoked["responded_at"] is not None
    assert invitation_row(team, created["invitation"]["id"])["status"] == "revoked"


@pytest.mark.parametrize("who", ["outsider", "viewer", "manager"])
def test_revoking_without_the_permission_looks_like_not_found(team: Team, who: str) -> None:
    created = invite(team, "kept@example.com")
    denied = fails("LU001", team.as_(who).rpc, "revoke_invitation", invitation_id=created["invitation"]["id"])
    unknown = fails("LU001", team.as_(who).rpc, "revoke_invitation", invitation_id=str(uuid.uuid4()))
    assert denied.message == unknown.message == "invitation not found"
    assert denied.status == unknown.status
    assert invitation_row(team, created["invitation"]["id"])["status"] == "pending"
    fails("LU001", team.as_(who).rpc, "resend_invitation", invitation_id=created["invitation"]["id"])


def test_an_accepted_invitation_cannot_be_revoked(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email)
    invitee.session(team.api).rpc("accept_invitation", token=created["token"])
    fails("LU006", team.as_("admin").rpc, "revoke_invitation", invitation_id=created["invitation"]["id"])
    assert invitation_row(team, created["invitation"]["id"])["status"] == "accepted"


def test_resend_issues_a_new_token_and_a_new_expiry(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email, "designer")
    team.superuser(
        "update public.invitations set expires_at = now() - interval '1 day', status = 'expired' where id = %s",
        [created["invitation"]["id"]],
    )
    before = datetime.now(UTC)
    resent = team.as_("admin").rpc("resend_invitation", invitation_id=created["invitation"]["id"])

    assert TOKEN.fullmatch(resent["token"])
    assert resent["token"] != created["token"]
    assert resent["invitation"]["id"] == created["invitation"]["id"]
    row = invitation_row(team, created["invitation"]["id"])
    assert row["status"] == "pending"
    assert before + timedelta(days=7) - timedelta(minutes=1) < row["expires_at"]
    assert row["expires_at"] < datetime.now(UTC) + timedelta(days=7, minutes=1)
    (stored,) = team.superuser(
        "select token_hash from private.invitation_tokens where invitation_id = %s", [row["id"]]
    )
    assert bytes(stored["token_hash"]) == hashlib.sha256(resent["token"].encode()).digest()

    fails("LU001", invitee.session(team.api).rpc, "accept_invitation", token=created["token"])
    joined = invitee.session(team.api).rpc("accept_invitation", token=resent["token"])
    assert joined["role"] == "designer"


def test_a_revoked_invitation_cannot_be_resent(team: Team) -> None:
    created = invite(team, "gone@example.com")
    team.as_("admin").rpc("revoke_invitation", invitation_id=created["invitation"]["id"])
    fails("LU003", team.as_("admin").rpc, "resend_invitation", invitation_id=created["invitation"]["id"])
    assert invitation_row(team, created["invitation"]["id"])["status"] == "revoked"


def test_expire_invitations_marks_only_overdue_pending_ones(team: Team) -> None:
    overdue = [invite(team, f"overdue-{i}@example.com")["invitation"]["id"] for i in range(2)]
    current = invite(team, "current@example.com")["invitation"]["id"]
    revoked = invite(team, "revoked@example.com")["invitation"]["id"]
    team.as_("admin").rpc("revoke_invitation", invitation_id=revoked)
    team.superuser(
        "update public.invitations set expires_at = now() - interval '1 hour' where id = any(%s)",
        [[*overdue, revoked]],
    )

    (result,) = team.superuser("select private.expire_invitations() as n")
    assert result["n"] == 2
    statuses = {
        str(r["id"]): r["status"] for r in team.superuser("select id, status::text from public.invitations")
    }
    assert statuses == {overdue[0]: "expired", overdue[1]: "expired", current: "pending", revoked: "revoked"}
    (again,) = team.superuser("select private.expire_invitations() as n")
    assert again["n"] == 0


def test_expire_invitations_is_for_maintenance_only(team: Team) -> None:
    fails("42501", team.as_("admin").sql, "select private.expire_invitations()", method="POST")
    assert team.as_("service_role").sql("select private.expire_invitations() as n", method="POST") == [
        {"n": 0}
    ]


# =============================================================================================
# visibility
# =============================================================================================


def test_invitees_see_their_own_invitations_and_nobody_else_does(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    mine = invite(team, invitee.email)["invitation"]["id"]
    other = invite(team, "someone-else@example.com")["invitation"]["id"]

    assert [str(r["id"]) for r in invitee.session(team.api).select("invitations")] == [mine]
    assert team.as_("outsider").select("invitations") == []
    assert team.as_("viewer").select("invitations") == []
    assert team.as_("manager").select("invitations") == []
    assert {str(r["id"]) for r in team.as_("admin").select("invitations")} == {mine, other}
    assert {str(r["id"]) for r in team.as_("owner").select("invitations")} == {mine, other}
    fails("42501", team.as_("anon").select, "invitations")
    # the token hashes are out of reach of every API role
    for who in ("admin", "owner", "service_role"):
        fails("42501", team.as_(who).sql, "select * from private.invitation_tokens")


def test_invitees_cannot_write_invitations_directly(team: Team) -> None:
    invitee = new_person(team.url, "invitee")
    created = invite(team, invitee.email)
    fails(
        "42501",
        invitee.session(team.api).update,
        "invitations",
        {"status": "accepted"},
        id=created["invitation"]["id"],
    )
    assert invitation_row(team, created["invitation"]["id"])["status"] == "pending"


# =============================================================================================
# the race for the last seat
# =============================================================================================


def test_two_invitees_racing_for_the_last_seat_first_committer_wins(team: Team) -> None:
    set_seat_limit(team, seats(team) + 1)
    first, second = new_person(team.url, "first"), new_person(team.url, "second")
    first_token = invite(team, first.email)["token"]
    second_invitation = invite(team, second.email)
    second_token = second_invitation["token"]

    with ThreadPoolExecutor(max_workers=1) as pool:
        with open_request(
            team.url,
            first.session(team.api),
            "select to_json(public.accept_invitation(%s)) as m",
            [first_token],
        ) as (accepted, pid):
            assert accepted is not None
            assert accepted["m"]["user_id"] == str(first.id)
            racing = pool.submit(second.session(team.api).rpc, "accept_invitation", token=second_token)
            wait_until_blocked_by(team.url, pid)
            assert not racing.done()
            # nothing committed yet: the seat is still free for whoever commits first
            assert membership(team, first.id) is None
        with pytest.raises(PostgrestError) as lost:
            racing.result(timeout=30)

    assert lost.value.sqlstate == "LU005"
    assert membership(team, first.id) is not None
    assert membership(team, second.id) is None
    (org,) = team.superuser("select seat_limit from public.organizations where id = %s", [team.org_id])
    assert seats(team) == org["seat_limit"]
    assert invitation_row(team, second_invitation["invitation"]["id"])["status"] == "pending"


def test_racing_invitees_never_exceed_the_seat_limit(team: Team) -> None:
    for _ in range(5):
        set_seat_limit(team, seats(team) + 1)
        invitees: list[Person] = [new_person(team.url, "racer") for _ in range(2)]
        tokens = [invite(team, p.email)["token"] for p in invitees]
        outcomes = race(
            [
                lambda p=p, t=t: p.session(team.api).rpc("accept_invitation", token=t)
                for p, t in zip(invitees, tokens, strict=True)
            ]
        )
        won = [o for o in outcomes if not isinstance(o, PostgrestError)]
        lost = [o for o in outcomes if isinstance(o, PostgrestError)]
        assert len(won) == 1, outcomes
        assert [e.sqlstate for e in lost] == ["LU005"]
        (org,) = team.superuser("select seat_limit from public.organizations where id = %s", [team.org_id])
        assert seats(team) == org["seat_limit"]
        members = [membership(team, p.id) for p in invitees]
        assert sum(m is not None for m in members) == 1


def test_an_invitee_accepting_twice_at_once_gets_one_membership(team: Team) -> None:
    invitee = new_person(team.url, "double-click")
    created = invite(team, invitee.email, "designer")
    session = invitee.session(team.api)
    outcomes = race([lambda: session.rpc("accept_invitation", token=created["token"])] * 2)

    assert not [o for o in outcomes if isinstance(o, PostgrestError)], outcomes
    assert outcomes[0] == outcomes[1]
    (count,) = team.superuser(
        "select count(*)::int as n from public.team_members where organization_id = %s and user_id = %s",
        [team.org_id, invitee.id],
    )
    assert count["n"] == 1
    assert invitation_row(team, created["invitation"]["id"])["status"] == "accepted"
