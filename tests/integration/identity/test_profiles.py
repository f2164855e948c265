"""Profiles, teammates' cards, presence and sessions, through the PostgREST-faithful helper.

The spec is supabase/migrations/20261121100000_create_identity_profiles.sql and
20261121100200_create_identity_sessions_and_api_keys.sql, the functions in
supabase/functions/identity/{profiles,presence}.sql and teams/members.sql (member_profiles), and
the policies in supabase/policies/identity/{profiles,user_sessions}.sql.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import psycopg
import pytest

from tests.support.pg import create_user, superuser
from tests.support.postgrest import PostgREST, PostgrestError
from tests.support.team import Person, make_team, new_person

CARD_KEYS = {"id", "full_name", "avatar_url", "status"}


def profile_row(url: str, user_id: uuid.UUID) -> dict:
    (row,) = superuser(url, "select * from public.profiles where id = %s", [user_id])
    return row


def signed_up(url: str, metadata: dict) -> uuid.UUID:
    return create_user(url, f"signup-{uuid.uuid4().hex[:8]}@example.com", metadata)


# =============================================================================================
# creation at sign-up
# =============================================================================================


def test_sign_up_creates_the_profile_from_metadata(db_url: str) -> None:
    user = signed_up(
        db_url,
        {
            "full_name": "  Camille Durand  ",
            "avatar_url": "https://cdn.example.com/camille.png",
            "locale": "fr-FR",
            "timezone": "Europe/Paris",
            "company": " Maison Durand ",
            "onboarding": {"step": 2, "skipped": ["tour"]},
            "onboarding_completed": True,
        },
    )
    profile = profile_row(db_url, user)
    assert profile["full_name"] == "Camille Durand"
    assert profile["avatar_url"] == "https://cdn.example.com/camille.png"
    assert profile["locale"] == "fr-FR"
    assert profile["timezone"] == "Europe/Paris"
    assert profile["company"] == "Maison Durand"
    assert profile["onboarding_state"] == {"step": 2, "skipped": ["tour"]}
    assert profile["onboarding_completed"] is True
    # presence and erasure start empty
    assert profile["status"] == "offline"
    assert profile["is_manual_status"] is False
    assert profile["last_activity_at"] is None
    assert profile["erasure_requested_at"] is None


def test_sign_up_reads_the_oauth_names_name_and_picture(db_url: str) -> None:
    user = signed_up(db_url, {"name": "Noa Lefèvre", "picture": "https://lh3.example.com/noa.jpg"})
    profile = profile_row(db_url, user)
    assert profile["full_name"] == "Noa Lefèvre"
    assert profile["avatar_url"] == "https://lh3.example.com/noa.jpg"


def test_full_name_and_avatar_url_win_over_name_and_picture(db_url: str) -> None:
    user = signed_up(
        db_url,
        {"full_name": "Full", "name": "Short", "avatar_url": "https://a.example/1", "picture": "https://b/2"},
    )
    profile = profile_row(db_url, user)
    assert (profile["full_name"], profile["avatar_url"]) == ("Full", "https://a.example/1")


def test_sign_up_without_metadata_gets_the_defaults(db_url: str) -> None:
    user = signed_up(db_url, {})
    profile = profile_row(db_url, user)
    assert profile["full_name"] is None
    assert profile["avatar_url"] is None
    assert profile["company"] is None
    assert (profile["locale"], profile["timezone"]) == ("en", "UTC")
    assert profile["onboarding_state"] == {}
    assert profile["onboarding_completed"] is False


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        pytest.param({"timezone": "Mars/Base"}, {"timezone": "UTC"}, id="unknown-timezone"),
        pytest.param({"timezone": "Europe/" + "x" * 80}, {"timezone": "UTC"}, id="overlong-timezone"),
        pytest.param({"timezone": ""}, {"timezone": "UTC"}, id="empty-timezone"),
        pytest.param({"locale": "French!"}, {"locale": "en"}, id="bad-locale"),
        pytest.param({"locale": "FR"}, {"locale": "en"}, id="uppercase-locale"),
        pytest.param({"locale": 42}, {"locale": "en"}, id="numeric-locale"),
        pytest.param({"full_name": "   "}, {"full_name": None}, id="blank-name"),
        pytest.param({"onboarding": "step-3"}, {"onboarding_state": {}}, id="onboarding-string"),
        pytest.param({"onboarding": [1, 2]}, {"onboarding_state": {}}, id="onboarding-array"),
        pytest.param({"onboarding_completed": "yes"}, {"onboarding_completed": False}, id="completed-yes"),
        pytest.param({"onboarding_completed": "true"}, {"onboarding_completed": True}, id="completed-text"),
    ],
)
def test_bad_metadata_never_fails_the_sign_up(db_url: str, metadata: dict, expected: dict) -> None:
    user = signed_up(db_url, metadata)
    profile = profile_row(db_url, user)
    assert {key: profile[key] for key in expected} == expected


def test_overlong_values_are_truncated_not_refused(db_url: str) -> None:
    name = "é" * 5000  # 5 KB of characters, 10 KB of UTF-8
    avatar = "https://cdn.example.com/" + "a" * 3000
    user = signed_up(db_url, {"full_name": name, "avatar_url": avatar, "company": "C" * 5000})
    profile = profile_row(db_url, user)
    assert profile["full_name"] == "é" * 200
    assert profile["avatar_url"] == avatar[:2048]
    assert profile["company"] == "C" * 200


def test_all_bad_metadata_at_once_still_signs_up(db_url: str) -> None:
    user = signed_up(
        db_url,
        {
            "full_name": "N" * 5120,
            "timezone": "Mars/Base",
            "locale": "klingon language",
            "onboarding": "done",
            "onboarding_completed": 1,
        },
    )
    assert superuser(db_url, "select count(*) as n from auth.users where id = %s", [user])[0]["n"] == 1
    profile = profile_row(db_url, user)
    assert len(profile["full_name"]) == 200
    assert (profile["timezone"], profile["locale"]) == ("UTC", "en")
    assert profile["onboarding_state"] == {}
    assert profile["onboarding_completed"] is False


# =============================================================================================
# reading and updating one's own profile
# =============================================================================================


def test_user_reads_only_their_own_profile(api: PostgREST, db_url: str) -> None:
    me, other = new_person(db_url, "me"), new_person(db_url, "other")
    rows = me.session(api).select("profiles")
    assert [row["id"] for row in rows] == [me.id]
    assert rows[0]["full_name"] == "Me"
    assert me.session(api).select("profiles", id=other.id) == []


def test_user_updates_their_own_profile(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    before = profile_row(db_url, me.id)
    values = {
        "full_name": "Camille D.",
        "avatar_url": "https://cdn.example.com/new.png",
        "locale": "de-CH",
        "timezone": "Europe/Zurich",
        "company": "Atelier",
        "onboarding_completed": True,
        "onboarding_state": psycopg.types.json.Jsonb({"step": 5}),
    }
    (row,) = me.session(api).update("profiles", values, id=me.id)
    assert row["full_name"] == "Camille D."
    assert row["locale"] == "de-CH"
    assert row["onboarding_state"] == {"step": 5}
    after = profile_row(db_url, me.id)
    assert after["timezone"] == "Europe/Zurich"
    assert after["company"] == "Atelier"
    assert after["onboarding_completed"] is True
    assert after["updated_at"] > before["updated_at"]


def test_profile_checks_still_apply_to_updates(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    with pytest.raises(PostgrestError) as caught:
        me.session(api).update("profiles", {"locale": "NOT A LOCALE"}, id=me.id)
    assert (caught.value.sqlstate, caught.value.status) == ("22023", 400)
    with pytest.raises(PostgrestError) as caught:
        me.session(api).update("profiles", {"full_name": "x" * 201}, id=me.id)
    assert (caught.value.sqlstate, caught.value.status) == ("22001", 400)
    assert profile_row(db_url, me.id)["locale"] == "en"


@pytest.mark.parametrize(
    ("timezone", "sqlstate"),
    [
        pytest.param("Mars/Base", "22023", id="unknown"),
        pytest.param("Europe/" + "x" * 80, "22001", id="overlong"),
        pytest.param("", "22023", id="empty"),
        pytest.param("<+05>-05", "22023", id="posix-spec"),
        pytest.param("x" * 10_240, "22001", id="10kB"),
    ],
)
def test_an_invalid_timezone_is_refused_on_update(
    api: PostgREST, db_url: str, timezone: str, sqlstate: str
) -> None:
    """The sign-up check (private.check_timezone) applies to every write: a PATCH gets 22xxx, HTTP 400."""
    me = new_person(db_url, "me", {"full_name": "Me", "timezone": "Asia/Tokyo"})
    with pytest.raises(PostgrestError) as caught:
        me.session(api).update("profiles", {"timezone": timezone}, id=me.id)
    assert (caught.value.sqlstate, caught.value.status) == (sqlstate, 400)
    assert profile_row(db_url, me.id)["timezone"] == "Asia/Tokyo"
    rows = me.session(api).update("profiles", {"timezone": "America/Argentina/Buenos_Aires"}, id=me.id)
    assert rows[0]["timezone"] == "America/Argentina/Buenos_Aires"
    assert me.session(api).update("profiles", {"timezone": "UTC"}, id=me.id)[0]["timezone"] == "UTC"


def test_the_service_role_cannot_store_an_invalid_timezone_either(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    with pytest.raises(PostgrestError) as caught:
        api.service_role().update("profiles", {"timezone": "Mars/Base"}, id=me.id)
    assert caught.value.sqlstate == "22023"
    assert profile_row(db_url, me.id)["timezone"] == "UTC"


def test_user_cannot_update_another_users_profile(api: PostgREST, db_url: str) -> None:
    me, other = new_person(db_url, "me"), new_person(db_url, "other")
    assert me.session(api).update("profiles", {"full_name": "Hijacked"}, id=other.id) == []
    # an unfiltered update reaches the caller's own row only
    rows = me.session(api).update("profiles", {"company": "Mine"})
    assert [row["id"] for row in rows] == [me.id]
    assert profile_row(db_url, other.id)["full_name"] == "Other"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("status", "online"),
        ("is_manual_status", True),
        ("last_activity_at", datetime(2030, 1, 1)),
        ("status_updated_at", datetime(2030, 1, 1)),
        ("erasure_requested_at", datetime(2030, 1, 1)),
        ("id", uuid.UUID(int=1)),
        ("created_at", datetime(2000, 1, 1)),
    ],
)
def test_presence_erasure_and_id_are_not_writable(
    api: PostgREST, db_url: str, column: str, value: object
) -> None:
    me = new_person(db_url, "me")
    before = profile_row(db_url, me.id)
    with pytest.raises(PostgrestError) as caught:
        me.session(api).update("profiles", {column: value}, id=me.id)
    assert (caught.value.sqlstate, caught.value.status) == ("42501", 403)
    assert profile_row(db_url, me.id) == before


def test_users_cannot_insert_or_delete_profiles(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    with pytest.raises(PostgrestError) as caught:
        me.session(api).insert("profiles", {"id": uuid.uuid4(), "full_name": "Ghost"})
    assert caught.value.sqlstate == "42501"
    with pytest.raises(PostgrestError) as caught:
        me.session(api).delete("profiles", id=me.id)
    assert caught.value.sqlstate == "42501"
    assert profile_row(db_url, me.id)["id"] == me.id


def test_anon_gets_nothing_on_profiles(api: PostgREST, db_url: str) -> None:
    someone = new_person(db_url, "someone")
    for call in (
        lambda: api.anon().select("profiles"),
        lambda: api.anon().update("profiles", {"full_name": "x"}, id=someone.id),
    ):
        with pytest.raises(PostgrestError) as caught:
            call()
        assert (caught.value.sqlstate, caught.value.status) == ("42501", 401)


# =============================================================================================
# teammates' cards
# =============================================================================================


def test_teammates_see_only_the_card_of_co_members(api: PostgREST, db_url: str) -> None:
    team = make_team(api, db_url)
    superuser(
        db_url,
        "update public.profiles set avatar_url = 'https://cdn.example.com/o.png', company = 'Secret Co',"
        " timezone = 'Asia/Tokyo' where id = %s",
        [team.people["owner"].id],
    )
    cards = team.as_("viewer").rpc("member_profiles")
    assert all(set(card) == CARD_KEYS for card in cards)
    members = {role: team.people[role] for role in ("viewer", "designer", "manager", "admin", "owner")}
    assert {uuid.UUID(card["id"]) for card in cards} == {p.id for p in members.values()}
    owner_card = next(c for c in cards if c["id"] == str(team.people["owner"].id))
    assert owner_card == {
        "id": str(team.people["owner"].id),
        "full_name": "Owner",
        "avatar_url": "https://cdn.example.com/o.png",
        "status": "offline",
    }
    # the outsider shares no organisation: not listed
    assert str(team.people["outsider"].id) not in {c["id"] for c in cards}


def test_member_profiles_is_a_read_only_call(api: PostgREST, db_url: str) -> None:
    team = make_team(api, db_url)
    rows = team.as_("designer").sql("select * from public.member_profiles()", method="GET")
    assert len(rows) == 5
    assert all(set(row) == CARD_KEYS for row in rows)


def test_teammate_cannot_select_another_members_profile_row(api: PostgREST, db_url: str) -> None:
    team = make_team(api, db_url)
    admin = team.as_("admin")
    assert admin.select("profiles", id=team.people["viewer"].id) == []
    assert [row["id"] for row in admin.select("profiles")] == [team.people["admin"].id]


def test_outsider_learns_nothing_from_member_profiles(api: PostgREST, db_url: str) -> None:
    team = make_team(api, db_url)
    assert team.as_("outsider").rpc("member_profiles") == []
    lonely = new_person(db_url, "lonely")
    assert lonely.session(api).rpc("member_profiles") == []


def test_suspended_members_neither_see_nor_are_seen(api: PostgREST, db_url: str) -> None:
    team = make_team(api, db_url)
    suspended = team.add_member("designer", status="suspended")
    assert api.user(suspended.id, suspended.email).rpc("member_profiles") == []
    ids = {c["id"] for c in team.as_("viewer").rpc("member_profiles")}
    assert str(suspended.id) not in ids
    assert str(team.people["viewer"].id) in ids


def test_member_cards_do_not_cross_organisations(api: PostgREST, db_url: str) -> None:
    first, second = make_team(api, db_url), make_team(api, db_url)
    ids = {uuid.UUID(c["id"]) for c in first.as_("manager").rpc("member_profiles")}
    assert ids.isdisjoint({p.id for p in second.people.values()})


def test_anon_cannot_call_member_profiles(api: PostgREST) -> None:
    with pytest.raises(PostgrestError) as caught:
        api.anon().rpc("member_profiles")
    assert (caught.value.sqlstate, caught.value.status) == ("42501", 401)


# =============================================================================================
# presence
# =============================================================================================


def sessions_of(url: str, user_id: uuid.UUID) -> list[dict]:
    return superuser(
        url, "select * from public.user_sessions where user_id = %s order by created_at", [user_id]
    )


def test_heartbeat_marks_online_and_records_the_session(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    session = me.session(
        api, headers={"X-Forwarded-For": "10.0.0.1, 198.51.100.23", "User-Agent": "Luneo/1.0 (Mac)"}
    )
    profile = session.rpc("heartbeat", device_name="Camille's MacBook", device_type="desktop")
    assert profile["id"] == str(me.id)
    assert profile["status"] == "online"
    assert profile["is_manual_status"] is False
    stored = profile_row(db_url, me.id)
    assert stored["status"] == "online"
    assert stored["last_activity_at"] is not None
    assert stored["status_updated_at"] is not None
    (row,) = sessions_of(db_url, me.id)
    assert row["session_id"] == uuid.UUID(session.request.claims["session_id"])
    assert str(row["ip_address"]) == "198.51.100.23"
    assert row["user_agent"] == "Luneo/1.0 (Mac)"
    assert (row["device_name"], row["device_type"]) == ("Camille's MacBook", "desktop")


def test_second_heartbeat_updates_the_same_session_row(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    session = me.session(api, headers={"x-forwarded-for": "198.51.100.23", "user-agent": "UA/1"})
    session.rpc("heartbeat", device_name="Laptop", device_type="desktop")
    (first,) = sessions_of(db_url, me.id)
    first_activity = profile_row(db_url, me.id)["last_activity_at"]
    session.request.headers = {"x-forwarded-for": "192.0.2.50", "user-agent": "UA/2"}
    session.rpc("heartbeat")  # no device given: the recorded one is kept
    (second,) = sessions_of(db_url, me.id)
    assert second["id"] == first["id"]
    assert second["last_activity_at"] > first["last_activity_at"]
    assert str(second["ip_address"]) == "192.0.2.50"
    assert second["user_agent"] == "UA/2"
    assert (second["device_name"], second["device_type"]) == ("Laptop", "desktop")
    assert profile_row(db_url, me.id)["last_activity_at"] > first_activity


def test_each_jwt_session_gets_its_own_row(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    laptop, phone = me.session(api), me.session(api)
    laptop.rpc("heartbeat", device_type="desktop")
    phone.rpc("heartbeat", device_type="mobile")
    rows = sessions_of(db_url, me.id)
    assert {r["session_id"] for r in rows} == {
        uuid.UUID(laptop.request.claims["session_id"]),
        uuid.UUID(phone.request.claims["session_id"]),
    }


def test_heartbeat_without_headers_records_no_ip(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    me.session(api, headers={"x-forwarded-for": "not-an-ip"}).rpc("heartbeat")
    (row,) = sessions_of(db_url, me.id)
    assert row["ip_address"] is None
    assert row["user_agent"] is None


def test_anon_cannot_heartbeat(api: PostgREST) -> None:
    with pytest.raises(PostgrestError) as caught:
        api.anon().rpc("heartbeat")
    assert (caught.value.sqlstate, caught.value.status) == ("42501", 401)


def test_manual_status_is_kept_by_heartbeats(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    session = me.session(api)
    busy = session.rpc("set_status", status="busy")
    assert (busy["status"], busy["is_manual_status"]) == ("busy", True)
    after = session.rpc("heartbeat")
    assert (after["status"], after["is_manual_status"]) == ("busy", True)
    stored = profile_row(db_url, me.id)
    assert stored["status"] == "busy"
    assert stored["status_updated_at"] == datetime.fromisoformat(busy["status_updated_at"])
    assert stored["last_activity_at"] > datetime.fromisoformat(busy["last_activity_at"])


def test_set_status_online_returns_to_automatic(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    session = me.session(api)
    session.rpc("set_status", status="away")
    back = session.rpc("set_status", status="online")
    assert (back["status"], back["is_manual_status"]) == ("online", False)
    # automatic again: the sweep takes the idle user offline and a heartbeat brings them back
    superuser(
        db_url,
        "update public.profiles set last_activity_at = now() - interval '1 hour' where id = %s",
        [me.id],
    )
    assert superuser(db_url, "select private.mark_inactive_offline('5 minutes') as n")[0]["n"] == 1
    assert session.rpc("heartbeat")["status"] == "online"


def test_set_status_offline_is_manual_too(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    session = me.session(api)
    session.rpc("set_status", status="offline")
    assert session.rpc("heartbeat")["status"] == "offline"


def test_mark_inactive_offline_sweeps_only_idle_users(api: PostgREST, db_url: str) -> None:
    idle, active, idle_busy, already_offline = (new_person(db_url, n) for n in ("idle", "act", "busy", "off"))
    idle.session(api).rpc("heartbeat")
    active.session(api).rpc("heartbeat")
    idle_busy.session(api).rpc("set_status", status="busy")
    superuser(
        db_url,
        "update public.profiles set last_activity_at = now() - interval '10 minutes' where id = any(%s)",
        [[idle.id, idle_busy.id, already_offline.id]],
    )
    active_before = profile_row(db_url, active.id)

    assert superuser(db_url, "select private.mark_inactive_offline('5 minutes') as n")[0]["n"] == 2

    for person in (idle, idle_busy):
        swept = profile_row(db_url, person.id)
        assert (swept["status"], swept["is_manual_status"]) == ("offline", False)
    assert profile_row(db_url, active.id) == active_before
    # nobody left to sweep: idempotent
    assert superuser(db_url, "select private.mark_inactive_offline('5 minutes') as n")[0]["n"] == 0
    # the busy user, swept, is automatic again
    assert idle_busy.session(api).rpc("heartbeat")["status"] == "online"


def test_mark_inactive_offline_respects_the_interval(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    me.session(api).rpc("heartbeat")
    superuser(
        db_url,
        "update public.profiles set last_activity_at = now() - interval '10 minutes' where id = %s",
        [me.id],
    )
    assert superuser(db_url, "select private.mark_inactive_offline('1 hour') as n")[0]["n"] == 0
    assert profile_row(db_url, me.id)["status"] == "online"
    assert superuser(db_url, "select private.mark_inactive_offline() as n")[0]["n"] == 1
    assert profile_row(db_url, me.id)["status"] == "offline"


def test_only_the_service_role_may_sweep(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    me.session(api).rpc("heartbeat")
    superuser(
        db_url,
        "update public.profiles set last_activity_at = now() - interval '1 hour' where id = %s",
        [me.id],
    )
    with pytest.raises(PostgrestError) as caught:
        me.session(api).sql("select private.mark_inactive_offline('1 minute')", method="POST")
    assert caught.value.sqlstate == "42501"
    assert profile_row(db_url, me.id)["status"] == "online"
    rows = api.service_role().sql("select private.mark_inactive_offline('1 minute') as n", method="POST")
    assert rows == [{"n": 1}]


# =============================================================================================
# sessions
# =============================================================================================


def with_session(api: PostgREST, person: Person) -> uuid.UUID:
    session = person.session(api)
    session.rpc("heartbeat")
    return uuid.UUID(session.request.claims["session_id"])


def test_users_see_only_their_own_sessions(api: PostgREST, db_url: str) -> None:
    me, other = new_person(db_url, "me"), new_person(db_url, "other")
    mine = {with_session(api, me), with_session(api, me)}
    with_session(api, other)
    rows = me.session(api).select("user_sessions")
    assert {r["session_id"] for r in rows} == mine
    assert {r["user_id"] for r in rows} == {me.id}


def test_users_revoke_their_own_sessions_only(api: PostgREST, db_url: str) -> None:
    me, other = new_person(db_url, "me"), new_person(db_url, "other")
    keep, revoke = with_session(api, me), with_session(api, me)
    theirs = with_session(api, other)

    deleted = me.session(api).delete("user_sessions", session_id=revoke)
    assert [r["session_id"] for r in deleted] == [revoke]
    assert {r["session_id"] for r in sessions_of(db_url, me.id)} == {keep}

    assert me.session(api).delete("user_sessions", session_id=theirs) == []
    assert me.session(api).delete("user_sessions", user_id=other.id) == []
    assert [r["session_id"] for r in sessions_of(db_url, other.id)] == [theirs]


def test_sessions_are_written_only_by_heartbeat(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    sid = with_session(api, me)
    with pytest.raises(PostgrestError) as caught:
        me.session(api).insert("user_sessions", {"user_id": me.id, "session_id": uuid.uuid4()})
    assert caught.value.sqlstate == "42501"
    with pytest.raises(PostgrestError) as caught:
        me.session(api).update("user_sessions", {"ip_address": "192.0.2.1"}, session_id=sid)
    assert caught.value.sqlstate == "42501"
    with pytest.raises(PostgrestError) as caught:
        api.anon().select("user_sessions")
    assert (caught.value.sqlstate, caught.value.status) == ("42501", 401)
    assert len(sessions_of(db_url, me.id)) == 1


def test_profile_timestamps_are_recent(api: PostgREST, db_url: str) -> None:
    me = new_person(db_url, "me")
    me.session(api).rpc("heartbeat")
    (row,) = superuser(
        db_url, "select now() - last_activity_at as age from public.profiles where id = %s", [me.id]
    )
    assert timedelta(0) <= row["age"] < timedelta(minutes=1)
