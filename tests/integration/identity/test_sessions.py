"""Revoking a session signs the device out for good, through the PostgREST-faithful helper.

The spec is supabase/functions/identity/sessions.sql (check_session, tg_revoke_session,
prune_revoked_sessions, the trigger on public.user_sessions), presence.sql (heartbeat),
_shared/request.sql (check_request, the db-pre-request entry point) and migration
20261121120100_create_identity_session_revocations.sql (private.revoked_sessions, the
authenticator's pgrst.db_pre_request). Requests run the pre-request function configured on
authenticator, as PostgREST does.
"""

from __future__ import annotations

import re
import uuid

import psycopg
import pytest
from psycopg import sql

from tests.support.pg import REPO, superuser
from tests.support.postgrest import PostgREST, Session, configured_pre_request, fails
from tests.support.team import Person, new_person


def signed_in(api: PostgREST, url: str, person: Person) -> tuple[Session, list[str]]:
    """A session as Supabase Auth makes it: an auth.sessions row, two refresh tokens (the second
    rotated from the first), and a JWT carrying its id; recorded by a first heartbeat."""
    session = person.session(api)
    session_id = session.request.claims["session_id"]
    tokens = [uuid.uuid4().hex[:12], uuid.uuid4().hex[:12]]
    superuser(
        url,
        "insert into auth.sessions (id, user_id, created_at, updated_at, aal)"
        " values (%s, %s, now(), now(), 'aal1')",
        [session_id, person.id],
    )
    superuser(
        url,
        "insert into auth.refresh_tokens (token, user_id, revoked, created_at, updated_at, parent, session_id)"
        " values (%s, %s, true, now(), now(), null, %s), (%s, %s, false, now(), now(), %s, %s)",
        [tokens[0], str(person.id), session_id, tokens[1], str(person.id), tokens[0], session_id],
    )
    session.rpc("heartbeat", device_type="desktop")
    return session, tokens


def auth_state(url: str, session: Session) -> tuple[int, int]:
    """(auth.sessions rows, auth.refresh_tokens rows) of the session."""
    session_id = session.request.claims["session_id"]
    (row,) = superuser(
        url,
        "select (select count(*) from auth.sessions where id = %s) as sessions,"
        " (select count(*) from auth.refresh_tokens where session_id = %s) as tokens",
        [session_id, session_id],
    )
    return row["sessions"], row["tokens"]


def device_row(session: Session) -> list[dict]:
    return session.select("user_sessions", session_id=session.request.claims["session_id"])


def test_the_pre_request_entry_point_is_configured_on_authenticator(db_url: str) -> None:
    assert configured_pre_request(db_url) == "private.check_request"
    (row,) = superuser(
        db_url,
        "select s.setconfig from pg_db_role_setting as s"
        " where s.setrole = 'authenticator'::regrole"
        " and s.setdatabase = (select oid from pg_database where datname = current_database())",
    )
    assert "pgrst.db_pre_request=private.check_request" in row["setconfig"]


def test_signing_a_device_out_revokes_its_session_for_good(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    laptop, _ = signed_in(api, db_url, me)
    phone, _ = signed_in(api, db_url, me)
    (laptop_row,) = device_row(laptop)

    # from the phone, "sign out the laptop"
    assert [r["id"] for r in phone.delete("user_sessions", id=laptop_row["id"])] == [laptop_row["id"]]

    # the Supabase Auth session is gone, and its refresh tokens with it: no new access token
    assert auth_state(db_url, laptop) == (0, 0)
    # the laptop's access token is refused at once, by the pre-request check
    error = fails("PT401", laptop.select, "profiles")
    assert error.status == 401
    assert error.message == "session revoked"
    error = fails("PT401", laptop.rpc, "heartbeat", device_type="desktop")
    assert error.status == 401
    # and no heartbeat brings the row back
    assert (
        superuser(
            db_url, "select * from public.user_sessions where session_id = %s", [laptop_row["session_id"]]
        )
        == []
    )

    # the phone is untouched
    assert auth_state(db_url, phone) == (1, 2)
    assert phone.rpc("heartbeat")["id"] == str(me.id)
    assert len(device_row(phone)) == 1
    assert [r["id"] for r in phone.select("profiles", id=me.id)] == [me.id]


def test_heartbeat_refuses_a_revoked_session_without_the_pre_request(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    laptop, _ = signed_in(api, db_url, me)
    (row,) = device_row(laptop)
    laptop.delete("user_sessions", id=row["id"])

    bare = PostgREST(db_url, pre_request=None)  # PostgREST left without its db-pre-request
    stale = Session(bare, laptop.request)
    assert fails("PT401", stale.rpc, "heartbeat").status == 401
    assert superuser(db_url, "select * from public.user_sessions where user_id = %s", [me.id]) == []


def test_revoking_needs_the_session_to_be_yours(api: PostgREST, db_url: str) -> None:
    me, other = new_person(db_url, "me"), new_person(db_url, "other")
    laptop, _ = signed_in(api, db_url, me)
    (row,) = device_row(laptop)
    assert other.session(api).delete("user_sessions", id=row["id"]) == []
    fails("42501", api.anon().delete, "user_sessions", id=row["id"])
    assert auth_state(db_url, laptop) == (1, 2)
    assert laptop.rpc("heartbeat")["id"] == str(me.id)
    assert superuser(db_url, "select * from private.revoked_sessions") == []


def test_a_session_of_another_user_with_the_same_id_is_not_refused(api: PostgREST, db_url: str) -> None:
    me, other = new_person(db_url, "me"), new_person(db_url, "other")
    laptop, _ = signed_in(api, db_url, me)
    (row,) = device_row(laptop)
    laptop.delete("user_sessions", id=row["id"])
    forged = other.session(api)
    forged.request.claims["session_id"] = laptop.request.claims["session_id"]
    assert forged.rpc("heartbeat")["id"] == str(other.id)


def test_the_service_role_revokes_too(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    laptop, _ = signed_in(api, db_url, me)
    api.service_role().delete("user_sessions", user_id=me.id)
    assert auth_state(db_url, laptop) == (0, 0)
    fails("PT401", laptop.select, "profiles")


def test_requests_without_a_session_pass_the_check(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    laptop, _ = signed_in(api, db_url, me)
    laptop.delete("user_sessions", session_id=laptop.request.claims["session_id"])
    assert api.anon().sql("select 1 as one") == [{"one": 1}]
    assert api.service_role().select("user_sessions", user_id=me.id) == []
    odd = me.session(api)
    odd.request.claims["session_id"] = "not-a-uuid"
    assert odd.sql("select 1 as one") == [{"one": 1}]


def test_an_api_key_is_still_checked_by_the_entry_point(api: PostgREST) -> None:
    error = fails("PT401", api.anon(headers={"x-api-key": "luneo_nope"}).sql, "select 1")
    assert error.message == "invalid API key"


def test_revocations_are_pruned_by_the_service_role_only(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    laptop, _ = signed_in(api, db_url, me)
    phone, _ = signed_in(api, db_url, me)
    laptop.delete("user_sessions", session_id=laptop.request.claims["session_id"])
    phone.delete("user_sessions", session_id=phone.request.claims["session_id"])
    superuser(
        db_url,
        "update private.revoked_sessions set revoked_at = now() - interval '8 days' where session_id = %s",
        [laptop.request.claims["session_id"]],
    )
    denied = fails("42501", me.session(api).sql, "select private.prune_revoked_sessions()")
    assert denied.status == 403
    (row,) = api.service_role().sql("select private.prune_revoked_sessions() as n", method="POST")
    assert row["n"] == 1
    left = superuser(db_url, "select session_id::text from private.revoked_sessions")
    assert left == [{"session_id": phone.request.claims["session_id"]}]
    fails("PT401", phone.select, "profiles")


@pytest.mark.parametrize("who", ["anon", "authenticated", "service_role"])
def test_revocations_are_out_of_the_api(api: PostgREST, db_url: str, who: str) -> None:
    session = {
        "anon": api.anon,
        "service_role": api.service_role,
        "authenticated": lambda: new_person(db_url, "me").session(api),
    }[who]()
    for query in (
        "select * from private.revoked_sessions",
        "delete from private.revoked_sessions",
        "select * from private.settings",
        "update private.settings set value = '3'",
    ):
        fails("42501", session.sql, query, method="POST")


# =============================================================================================
# the migration that configures PostgREST
# =============================================================================================

MIGRATION = REPO / "supabase/migrations/20261121120100_create_identity_session_revocations.sql"


def configure_block() -> str:
    """The migration's `do $pre_request$ ... $pre_request$;` block, run on its own below."""
    match = re.search(r"^do \$pre_request\$.*?^\$pre_request\$;", MIGRATION.read_text(), re.S | re.M)
    assert match
    return match.group(0)


def run_configure(db_url: str, *setup: str) -> tuple[str | None, list[str]]:
    """Run the block after `setup`, in a transaction rolled back at the end, with this database's
    setting removed first; returns the setting PostgREST would then use here (this database's,
    else the cluster's) and the warnings."""
    warnings: list[str] = []
    with psycopg.connect(db_url) as conn:
        conn.add_notice_handler(lambda diag: warnings.append(diag.message_primary or ""))
        database = conn.execute("select current_database()").fetchone()[0]
        conn.execute(
            sql.SQL("alter role authenticator in database {} reset pgrst.db_pre_request").format(
                sql.Identifier(database)
            )
        )
        for statement in setup:
            conn.execute(statement)
        conn.execute(configure_block())
        conn.execute("reset role")
        (value,) = conn.execute(
            "select coalesce((select substr(c, length('pgrst.db_pre_request=') + 1)"
            " from pg_db_role_setting as s, unnest(s.setconfig) as c"
            " where s.setrole = 'authenticator'::regrole"
            " and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))"
            " and c like 'pgrst.db\\_pre\\_request=%%' order by s.setdatabase desc limit 1), '(unset)')"
        ).fetchone()
        conn.rollback()
    return value, warnings


def test_the_migration_replaces_the_former_api_key_check(db_url: str) -> None:
    value, warnings = run_configure(
        db_url, "alter role authenticator set pgrst.db_pre_request = 'private.check_api_key'"
    )
    assert (value, warnings) == ("private.check_request", [])


def test_the_migration_leaves_a_pre_request_of_your_own(db_url: str) -> None:
    value, warnings = run_configure(
        db_url, "alter role authenticator set pgrst.db_pre_request = 'public.mine'"
    )
    assert value == "public.mine"
    assert warnings == ["authenticator's pgrst.db_pre_request is public.mine, left as it is"]


def test_the_migration_warns_where_it_may_not_configure_postgrest(db_url: str) -> None:
    role = f"luneo_no_privilege_{uuid.uuid4().hex[:8]}"
    value, warnings = run_configure(
        db_url,
        "alter role authenticator reset pgrst.db_pre_request",
        f"create role {role} nologin",
        f"set local role {role}",
    )
    assert value == "(unset)"
    assert len(warnings) == 1
    assert warnings[0].startswith("not allowed to set authenticator's pgrst.db_pre_request")
