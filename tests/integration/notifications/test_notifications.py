"""In-app notifications: made by SQL from events for the right audience in its language, read and
marked read by their user only, the unread count kept exact by statement triggers (at 100,000 too),
a pg_notify per user at commit, the realtime publication, and preferences over the catalogue.

Real Postgres through the PostgREST-faithful helper; the superuser only prepares and inspects.
"""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from tests.support.concurrency import race
from tests.support.postgrest import fails
from tests.support.team import Person, Team, new_person


@pytest.fixture(autouse=True)
def quiet(team: Team) -> None:
    """The team's making notified its admins and queued welcome emails: start from none."""
    team.superuser("delete from public.notifications; delete from private.email_outbox")


def notifications(team: Team, person: Person) -> list[dict]:
    return team.superuser(
        "select * from public.notifications where user_id = %s order by created_at, id", [person.id]
    )


def unread(team: Team, person: Person) -> tuple[int, int]:
    """(the counter, the true count) of a user's unread notifications."""
    (row,) = team.superuser(
        "select coalesce((select unread from private.notification_counts where user_id = %s), 0) as counter,"
        " (select count(*) from public.notifications where user_id = %s and read_at is null) as truth",
        [person.id, person.id],
    )
    return row["counter"], row["truth"]


def notify(team: Team, person: Person, count: int = 1, *, read: bool = False) -> None:
    team.superuser(
        "insert into public.notifications (user_id, organization_id, kind, title, message, read_at)"
        " select %s, %s, 'member.joined', 'Title ' || i, 'Message', case when %s then now() end"
        " from generate_series(1, %s) as i",
        [person.id, team.org_id, read, count],
    )


# -- the fan-out from events ------------------------------------------------------------------


def test_a_member_joining_notifies_the_members_who_manage_members_in_their_language(team: Team) -> None:
    team.superuser("update public.profiles set locale = 'fr-FR' where id = %s", [team.people["admin"].id])
    joiner = team.add_member("designer")

    (owner_note,) = notifications(team, team.people["owner"])
    (admin_note,) = notifications(team, team.people["admin"])
    assert owner_note["kind"] == "member.joined"
    assert owner_note["title"] == "New member"
    assert owner_note["message"] == f"Designer {joiner.email.split('-')[1].split('@')[0]} joined Maison Test."
    assert admin_note["title"] == "Nouveau membre"
    assert "a rejoint Maison Test" in admin_note["message"]
    assert owner_note["action_url"] == "/settings/members"
    assert owner_note["data"] == {"user_id": str(joiner.id)}
    # managers, designers and viewers do not manage members; the joiner is not told about themself
    for role in ("manager", "designer", "viewer"):
        assert notifications(team, team.people[role]) == []
    assert team.superuser(
        "select count(*) as n from public.notifications where user_id = %s", [joiner.id]
    ) == [{"n": 0}]


def test_one_notification_per_event_and_user_and_none_when_the_change_rolls_back(team: Team) -> None:
    (event,) = team.superuser(
        "select id from private.events where organization_id = %s and type = 'member.joined' limit 1",
        [team.org_id],
    )
    # the same event's fan-out twice (a replay) makes one notification
    for _ in range(2):
        team.superuser(
            "select private.notify_users('member.joined', array[%s]::uuid[], %s, %s, 'info', 't', 'm', 't', 'm')",
            [team.people["owner"].id, team.org_id, event["id"]],
        )
    before = len(notifications(team, team.people["owner"]))
    assert before == 1

    with psycopg.connect(team.url) as conn:
        conn.execute(
            "insert into public.team_members (organization_id, user_id, role) values (%s, %s, 'viewer')",
            [team.org_id, new_person(team.url, "ghost").id],
        )
        conn.rollback()
    assert len(notifications(team, team.people["owner"])) == before


def test_a_disabled_webhook_endpoint_notifies_the_webhook_managers_in_app_and_by_email(team: Team) -> None:
    (endpoint,) = team.superuser(
        "insert into public.webhook_endpoints (organization_id, url) values (%s, 'https://hooks.example.com/x')"
        " returning id",
        [team.org_id],
    )
    team.superuser(
        "select private.emit_event('webhook_endpoint.disabled', %s, jsonb_build_object("
        "'webhook_endpoint', (select to_jsonb(e) from public.webhook_endpoints as e where e.id = %s),"
        " 'reason', 'gone', 'last_status_code', 410, 'last_error', null))",
        [team.org_id, endpoint["id"]],
    )
    for role in ("admin", "owner"):
        (note,) = [
            n for n in notifications(team, team.people[role]) if n["kind"] == "webhook_endpoint.disabled"
        ]
        assert note["type"] == "error"
        assert note["message"] == "https://hooks.example.com/x was disabled: it answered 410 Gone."
        assert note["action_url"] == f"/settings/webhooks/{endpoint['id']}"
    assert not [
        n for n in notifications(team, team.people["manager"]) if n["kind"] == "webhook_endpoint.disabled"
    ]

    emails = team.superuser(
        "select recipient, template, user_id, data from private.email_outbox"
        " where kind = 'webhook_endpoint.disabled' order by recipient"
    )
    assert sorted(e["recipient"] for e in emails) == sorted(
        [team.people["admin"].email, team.people["owner"].email]
    )
    assert {e["template"] for e in emails} == {"webhook_endpoint_disabled"}
    assert emails[0]["data"]["endpoint"] == {"url": "https://hooks.example.com/x", "description": None}
    assert emails[0]["data"]["reason"] == "gone"


def test_orders_notify_the_order_managers_and_low_stock_warns_them(team: Team) -> None:
    product = team.as_("manager").insert(
        "products",
        {
            "organization_id": team.org_id,
            "sku": "RING-1",
            "name": "Ring",
            "price_amount": 9900,
            "stock": 3,
            "low_stock_threshold": 2,
            "status": "active",
        },
    )[0]
    order = team.as_("viewer").rpc(
        "place_order",
        organization_id=str(team.org_id),
        items=[{"product_id": product["id"], "quantity": 2}],
        customer_email=team.people["viewer"].email,
    )
    kinds = {n["kind"]: n for n in notifications(team, team.people["manager"])}
    assert kinds["order.created"]["title"] == f"New order {order['order_number']}"
    assert kinds["order.created"]["action_url"] == f"/orders/{order['id']}"
    assert kinds["product.low_stock"]["type"] == "warning"
    assert kinds["product.low_stock"]["message"] == "1 left of Ring (SKU RING-1)."
    assert [n for n in notifications(team, team.people["viewer"]) if n["kind"].startswith("order.")] == []


# -- reading, marking read, deleting ------------------------------------------------------------


def test_users_see_and_mark_read_only_their_own_notifications(team: Team) -> None:
    viewer, designer = team.people["viewer"], team.people["designer"]
    notify(team, viewer, 2)
    notify(team, designer, 1)
    mine = team.as_("viewer").select("notifications")
    assert len(mine) == 2
    assert {str(n["user_id"]) for n in mine} == {str(viewer.id)}

    theirs = notifications(team, designer)[0]
    error = fails("LU300", team.as_("viewer").rpc, "mark_notification_read", notification_id=theirs["id"])
    assert error.status == 400
    assert notifications(team, designer)[0]["read_at"] is None
    fails("LU300", team.as_("viewer").rpc, "mark_notification_read", notification_id=str(uuid.uuid4()))

    marked = team.as_("viewer").rpc("mark_notification_read", notification_id=mine[0]["id"])
    assert marked["read_at"] is not None
    again = team.as_("viewer").rpc("mark_notification_read", notification_id=mine[0]["id"])
    assert again["read_at"] == marked["read_at"]  # marking twice keeps the first time
    assert team.as_("viewer").rpc("unread_notification_count") == 1
    assert team.as_("viewer").rpc("mark_all_notifications_read") == 1
    assert team.as_("viewer").rpc("unread_notification_count") == 0
    assert team.as_("designer").rpc("unread_notification_count") == 1  # untouched

    # only read_at is writable, and only on one's own rows
    fails("42501", team.as_("viewer").update, "notifications", {"title": "Forged"}, id=mine[0]["id"])
    assert team.as_("viewer").update("notifications", {"read_at": None}, id=theirs["id"]) == []
    assert team.as_("viewer").delete("notifications", id=theirs["id"]) == []
    assert len(team.as_("viewer").delete("notifications", id=mine[0]["id"])) == 1
    fails(
        "42501",
        team.as_("viewer").insert,
        "notifications",
        {"user_id": str(viewer.id), "kind": "member.joined", "title": "Forged", "message": "x"},
    )


def test_anon_reads_and_marks_nothing(team: Team) -> None:
    notify(team, team.people["viewer"])
    fails("42501", team.as_("anon").select, "notifications")
    fails("42501", team.as_("anon").rpc, "unread_notification_count")
    fails("42501", team.as_("anon").rpc, "mark_all_notifications_read")


def test_the_unread_count_stays_exact_through_every_kind_of_change(team: Team) -> None:
    viewer = team.people["viewer"]
    notify(team, viewer, 5)
    notify(team, viewer, 3, read=True)
    assert unread(team, viewer) == (5, 5)
    team.superuser(
        "update public.notifications set read_at = now() where id in"
        " (select id from public.notifications where user_id = %s and read_at is null limit 2)",
        [viewer.id],
    )
    assert unread(team, viewer) == (3, 3)
    team.superuser(  # read ones made unread again
        "update public.notifications set read_at = null where user_id = %s and read_at is not null",
        [viewer.id],
    )
    assert unread(team, viewer) == (8, 8)
    team.superuser(
        "delete from public.notifications where id in"
        " (select id from public.notifications where user_id = %s limit 3)",
        [viewer.id],
    )
    assert unread(team, viewer) == (5, 5)
    team.as_("viewer").rpc("mark_all_notifications_read")
    assert unread(team, viewer) == (0, 0)


def test_the_unread_count_is_exact_under_concurrent_writers(team: Team) -> None:
    viewer = team.people["viewer"]
    notify(team, viewer, 100)

    def insert() -> None:
        with psycopg.connect(team.url, autocommit=True) as conn:
            for _ in range(25):
                conn.execute(
                    "insert into public.notifications (user_id, kind, title, message)"
                    " values (%s, 'member.joined', 't', 'm')",
                    [viewer.id],
                )

    def mark() -> None:
        with psycopg.connect(team.url, autocommit=True) as conn:
            for _ in range(25):
                conn.execute(
                    "update public.notifications set read_at = now() where id ="
                    " (select id from public.notifications where user_id = %s and read_at is null"
                    " limit 1 for update skip locked)",
                    [viewer.id],
                )

    assert race([insert, insert, mark, mark]) == [None] * 4
    counter, truth = unread(team, viewer)
    assert counter == truth
    assert truth == 100 + 50 - 50


def test_the_unread_count_at_100_000_notifications(team: Team) -> None:
    viewer = team.people["viewer"]
    notify(team, viewer, 100_000)
    assert team.as_("viewer").rpc("unread_notification_count") == 100_000
    # the count is one counter row: its plan is a primary-key lookup, whatever the user holds
    (explained,) = team.superuser(
        "explain (format json) select c.unread from private.notification_counts as c where c.user_id = %s",
        [viewer.id],
    )
    plan = explained["QUERY PLAN"][0]["Plan"]
    assert (plan["Node Type"], plan["Relation Name"]) == ("Index Scan", "notification_counts")
    assert team.as_("viewer").rpc("mark_all_notifications_read") == 100_000
    assert unread(team, viewer) == (0, 0)


# -- the wake-up and realtime ---------------------------------------------------------------------


def test_each_new_notification_notifies_its_user_channel_at_commit(team: Team) -> None:
    viewer = team.people["viewer"]
    with psycopg.connect(team.url, autocommit=True) as listener:
        listener.execute(f'listen "notification_{viewer.id}"')
        with psycopg.connect(team.url) as writer:
            writer.execute(
                "insert into public.notifications (user_id, kind, type, title, message)"
                " values (%s, 'member.joined', 'success', 't', 'm')",
                [viewer.id],
            )
            assert list(listener.notifies(timeout=0.2, stop_after=1)) == []  # nothing before commit
            writer.commit()
        (note,) = listener.notifies(timeout=5, stop_after=1)
    (row,) = notifications(team, viewer)
    assert json.loads(note.payload) == {"id": str(row["id"]), "kind": "member.joined", "type": "success"}


def test_notifications_are_in_the_realtime_publication(team: Team) -> None:
    published = team.superuser(
        "select puballtables or exists (select from pg_publication_tables as t where t.pubname = p.pubname"
        " and t.schemaname = 'public' and t.tablename = 'notifications') as published"
        " from pg_publication as p where p.pubname = 'supabase_realtime'"
    )
    assert published == [{"published": True}]


# -- preferences ----------------------------------------------------------------------------------


def test_a_user_who_turned_a_kind_off_in_app_gets_none(team: Team) -> None:
    owner = team.people["owner"]
    team.as_("owner").insert(
        "notification_preferences",
        {"user_id": str(owner.id), "kind": "member.joined", "channel": "in_app", "enabled": False},
    )
    team.add_member("viewer")
    assert notifications(team, owner) == []
    assert len(notifications(team, team.people["admin"])) == 1


def test_a_webhook_manager_who_turned_the_email_off_gets_the_in_app_notification_only(team: Team) -> None:
    admin = team.people["admin"]
    team.as_("admin").insert(
        "notification_preferences",
        {"user_id": str(admin.id), "kind": "webhook_endpoint.disabled", "channel": "email", "enabled": False},
    )
    team.superuser(
        "select private.emit_event('webhook_endpoint.disabled', %s, jsonb_build_object('webhook_endpoint',"
        " jsonb_build_object('id', gen_random_uuid(), 'url', 'https://x.example.com', 'description', null),"
        " 'reason', 'failing'))",
        [team.org_id],
    )
    assert [n["kind"] for n in notifications(team, admin)] == ["webhook_endpoint.disabled"]
    recipients = [
        r["recipient"]
        for r in team.superuser(
            "select recipient from private.email_outbox where kind = 'webhook_endpoint.disabled'"
        )
    ]
    assert recipients == [team.people["owner"].email]


def test_preferences_refuse_turning_off_a_transactional_email_and_unknown_channels(team: Team) -> None:
    viewer = team.people["viewer"]
    row = {"user_id": str(viewer.id), "channel": "email", "enabled": False}
    error = fails(
        "LU301", team.as_("viewer").insert, "notification_preferences", row | {"kind": "order.created"}
    )
    assert error.status == 400
    fails("LU302", team.as_("viewer").insert, "notification_preferences", row | {"kind": "member.joined"})
    fails(
        "LU302",
        team.as_("viewer").insert,
        "notification_preferences",
        row | {"kind": "member.invited", "channel": "in_app"},
    )
    fails("LU302", team.as_("viewer").insert, "notification_preferences", row | {"kind": "no.such_kind"})
    fails(
        "23514",
        team.as_("viewer").insert,
        "notification_preferences",
        row | {"kind": "order.paid", "channel": "sms"},
    )
    assert team.superuser(
        "select count(*) as n from public.notification_preferences where user_id = %s", [viewer.id]
    ) == [{"n": 0}]
    # turning a transactional email on (a no-op) is fine
    assert team.as_("viewer").insert(
        "notification_preferences", row | {"kind": "order.created", "enabled": True}
    )


def test_preferences_are_each_users_own(team: Team) -> None:
    viewer, designer = team.people["viewer"], team.people["designer"]
    fails(
        "42501",
        team.as_("viewer").insert,
        "notification_preferences",
        {"user_id": str(designer.id), "kind": "order.paid", "channel": "in_app", "enabled": False},
    )
    team.as_("designer").insert(
        "notification_preferences",
        {"user_id": str(designer.id), "kind": "order.paid", "channel": "in_app", "enabled": False},
    )
    assert team.as_("viewer").select("notification_preferences") == []
    assert (
        team.as_("viewer").update("notification_preferences", {"enabled": True}, user_id=str(designer.id))
        == []
    )
    assert team.as_("viewer").delete("notification_preferences", user_id=str(designer.id)) == []
    fails("42501", team.as_("anon").select, "notification_preferences")
    assert len(team.as_("designer").select("notification_preferences")) == 1
    assert viewer.id != designer.id


def test_notification_settings_show_the_defaults_and_the_users_choices(team: Team) -> None:
    settings = {(s["kind"], s["channel"]): s for s in team.as_("viewer").rpc("notification_settings")}
    assert settings[("order.created", "email")] == {
        "kind": "order.created",
        "description": "An order was placed.",
        "channel": "email",
        "enabled": True,
        "is_default": True,
        "required": True,
    }
    assert ("member.invited", "in_app") not in settings  # not delivered in-app
    assert settings[("webhook_endpoint.disabled", "email")]["required"] is False
    viewer = team.people["viewer"]
    team.as_("viewer").insert(
        "notification_preferences",
        {"user_id": str(viewer.id), "kind": "member.joined", "channel": "in_app", "enabled": False},
    )
    after = {(s["kind"], s["channel"]): s for s in team.as_("viewer").rpc("notification_settings")}
    assert (
        after[("member.joined", "in_app")]["enabled"],
        after[("member.joined", "in_app")]["is_default"],
    ) == (
        False,
        False,
    )
    fails("42501", team.as_("anon").rpc, "notification_settings")


def test_the_catalogue_is_read_only(team: Team) -> None:
    assert {t["name"] for t in team.as_("viewer").select("notification_types")} >= {
        "member.invited",
        "order.created",
        "webhook_endpoint.disabled",
    }
    fails(
        "42501",
        team.as_("admin").update,
        "notification_types",
        {"email_required": False},
        name="order.created",
    )
    fails("42501", team.as_("anon").select, "notification_types")


@pytest.mark.parametrize("kind", ["member.joined", "order.paid", "webhook_endpoint.disabled"])
def test_every_kind_with_in_app_delivery_is_offered_in_settings(team: Team, kind: str) -> None:
    settings = {(s["kind"], s["channel"]) for s in team.as_("viewer").rpc("notification_settings")}
    assert (kind, "in_app") in settings


def test_a_notification_rejects_bad_values(team: Team) -> None:
    viewer = team.people["viewer"]
    for values in ({"type": "fatal"}, {"action_url": "javascript:alert(1)"}, {"title": ""}, {"data": "[]"}):
        row = {"title": "t", "message": "m", "type": "info", "action_url": None, "data": "{}"} | values
        with pytest.raises(psycopg.errors.CheckViolation):
            team.superuser(
                "insert into public.notifications (user_id, kind, title, message, type, action_url, data)"
                " values (%(user_id)s, 'member.joined', %(title)s, %(message)s, %(type)s, %(action_url)s, %(data)s)",
                row | {"user_id": viewer.id},
            )
