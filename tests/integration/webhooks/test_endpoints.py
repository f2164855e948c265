"""Webhook endpoints through the API: the secret shown once and kept out of reach, who may create,
edit, rotate, test and replay, the event filter, bad input, and the fan-out of events to the
matching endpoints only.

Real Postgres through the PostgREST-faithful helper; the superuser only prepares and inspects.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest

from tests.support.postgrest import fails
from tests.support.team import Team, make_team

SECRET = re.compile(r"whsec_([A-Za-z0-9+/]+={0,2})")
URL = "https://hooks.example.com/luneo"


def create(team: Team, by: str = "admin", **args: Any) -> tuple[dict, str]:
    created = team.as_(by).rpc(
        "create_webhook_endpoint", organization_id=team.org_id, url=args.pop("url", URL), **args
    )
    return created["webhook_endpoint"], created["secret"]


def secrets_of(team: Team, endpoint_id: str) -> list[dict]:
    return team.superuser(
        "select secret, expires_at from private.webhook_endpoint_secrets where endpoint_id = %s order by created_at",
        [endpoint_id],
    )


def emit(team: Team, event_type: str, org_id: uuid.UUID | None = None) -> str:
    (row,) = team.superuser(
        "select private.emit_event(%s, %s, '{\"k\": 1}')::text as id", [event_type, org_id or team.org_id]
    )
    return row["id"]


def deliveries_of(team: Team, event_id: str) -> list[dict]:
    return team.superuser(
        "select endpoint_id::text, status::text, event_type from public.webhook_deliveries where event_id = %s",
        [event_id],
    )


def endpoints_count(team: Team) -> int:
    return team.superuser("select count(*) as n from public.webhook_endpoints")[0]["n"]


# =============================================================================================
# creating endpoints, their secret
# =============================================================================================


def test_create_returns_a_standard_webhooks_secret_once_kept_only_in_private(team: Team) -> None:
    endpoint, secret = create(team, description="ERP", event_types=["order.*", "member.joined"])

    match = SECRET.fullmatch(secret)
    assert match, secret
    assert len(base64.b64decode(match[1])) == 32
    assert endpoint["url"] == URL
    assert endpoint["event_types"] == ["order.*", "member.joined"]
    assert endpoint["active"] is True
    assert "secret" not in endpoint
    assert secrets_of(team, endpoint["id"]) == [{"secret": secret, "expires_at": None}]
    # readers see the endpoint, never a secret
    (seen,) = team.as_("manager").select("webhook_endpoints", id=endpoint["id"])
    assert not any("secret" in column for column in seen)
    fails("42501", team.as_("owner").sql, "select * from private.webhook_endpoint_secrets")


def test_two_endpoints_get_different_secrets(team: Team) -> None:
    assert create(team)[1] != create(team)[1]


@pytest.mark.parametrize("who", ["viewer", "designer", "manager", "outsider"])
def test_only_webhook_managers_create_endpoints(team: Team, who: str) -> None:
    fails("42501", create, team, who)
    assert endpoints_count(team) == 0


def test_anon_cannot_create_endpoints(team: Team) -> None:
    fails("42501", team.as_("anon").rpc, "create_webhook_endpoint", organization_id=team.org_id, url=URL)
    assert endpoints_count(team) == 0


@pytest.mark.parametrize(
    ("args", "sqlstate"),
    [
        ({"url": "ftp://hooks.example.com/x"}, "22023"),
        ({"url": "https://user:pass@hooks.example.com/x"}, "22023"),
        ({"url": "https://hooks.example.com/a b"}, "22023"),
        ({"url": "javascript:alert(1)"}, "22023"),
        ({"url": "https://hooks.example.com/" + "a" * 2100}, "22001"),
        ({"url": ""}, "22023"),
        ({"event_types": ["order.nosuch"]}, "22023"),
        ({"event_types": ["nosuch.*"]}, "22023"),
        ({"event_types": ["ORDER.created"]}, "22023"),
        ({"event_types": []}, "22023"),
        ({"event_types": [None]}, "22004"),
        ({"event_types": ["*"] * 51}, "22023"),
        ({"description": "x" * 501}, "22001"),
        ({"description": "bad\u202eone"}, "22023"),
        ({"organization_id": None}, "22004"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_writes_nothing(
    team: Team, args: dict, sqlstate: str
) -> None:
    call: dict[str, Any] = {"organization_id": team.org_id, "url": URL} | args
    fails(sqlstate, team.as_("admin").rpc, "create_webhook_endpoint", **call)
    assert endpoints_count(team) == 0
    assert team.superuser("select count(*) as n from private.webhook_endpoint_secrets")[0]["n"] == 0


def test_managers_edit_the_filter_but_not_into_an_unknown_type(team: Team) -> None:
    endpoint, _ = create(team)
    admin = team.as_("admin")
    (edited,) = admin.update("webhook_endpoints", {"event_types": ["design.*"]}, id=endpoint["id"])
    assert edited["event_types"] == ["design.*"]
    fails("22023", admin.update, "webhook_endpoints", {"event_types": ["design.deleted"]}, id=endpoint["id"])
    fails("22023", admin.update, "webhook_endpoints", {"url": "http://"}, id=endpoint["id"])
    assert team.as_("manager").update("webhook_endpoints", {"description": "x"}, id=endpoint["id"]) == []


# =============================================================================================
# rotation
# =============================================================================================


def test_rotation_keeps_the_previous_secret_for_the_overlap_only(team: Team) -> None:
    endpoint, first = create(team)
    rotated = team.as_("admin").rpc("rotate_webhook_secret", endpoint_id=endpoint["id"], overlap_seconds=3600)
    second = rotated["secret"]
    assert SECRET.fullmatch(second)
    assert second != first
    kept = secrets_of(team, endpoint["id"])
    assert [s["secret"] for s in kept] == [first, second]
    assert kept[0]["expires_at"] is not None
    assert kept[1]["expires_at"] is None

    # a second rotation drops the oldest: never more than two signatures
    third = team.as_("owner").rpc("rotate_webhook_secret", endpoint_id=endpoint["id"], overlap_seconds=0)[
        "secret"
    ]
    assert [s["secret"] for s in secrets_of(team, endpoint["id"])] == [second, third]
    (claimable,) = team.superuser(
        "select array(select s.secret from private.webhook_endpoint_secrets as s where s.endpoint_id = %s"
        " and (s.expires_at is null or s.expires_at > now())) as valid",
        [endpoint["id"]],
    )
    assert claimable["valid"] == [third]


@pytest.mark.parametrize("overlap", [-1, 604801, None])
def test_rotation_refuses_a_bad_overlap(team: Team, overlap: int | None) -> None:
    endpoint, first = create(team)
    fails(
        "22023",
        team.as_("admin").rpc,
        "rotate_webhook_secret",
        endpoint_id=endpoint["id"],
        overlap_seconds=overlap,
    )
    assert [s["secret"] for s in secrets_of(team, endpoint["id"])] == [first]


@pytest.mark.parametrize("who", ["manager", "outsider"])
def test_rotation_of_an_endpoint_one_may_not_manage_is_not_found(team: Team, who: str) -> None:
    endpoint, first = create(team)
    fails("LU200", team.as_(who).rpc, "rotate_webhook_secret", endpoint_id=endpoint["id"])
    fails("LU200", team.as_("admin").rpc, "rotate_webhook_secret", endpoint_id=str(uuid.uuid4()))
    assert [s["secret"] for s in secrets_of(team, endpoint["id"])] == [first]


# =============================================================================================
# fan-out
# =============================================================================================


def test_an_event_reaches_the_active_endpoints_whose_filter_matches(team: Team, db_url: str) -> None:
    everything, _ = create(team, event_types=["*"])
    orders, _ = create(team, event_types=["order.*"])
    exact, _ = create(team, event_types=["order.paid"])
    members, _ = create(team, event_types=["member.*"])
    paused, _ = create(team)
    team.as_("admin").update("webhook_endpoints", {"active": False}, id=paused["id"])
    other = make_team(team.api, db_url)
    foreign, _ = create(other)

    event = emit(team, "order.paid")
    reached = {d["endpoint_id"] for d in deliveries_of(team, event)}
    assert reached == {everything["id"], orders["id"], exact["id"]}
    assert reached.isdisjoint({members["id"], paused["id"], foreign["id"]})
    assert {d["status"] for d in deliveries_of(team, event)} == {"pending"}

    assert {d["endpoint_id"] for d in deliveries_of(team, emit(team, "order.created"))} == {
        everything["id"],
        orders["id"],
    }


def test_an_event_without_endpoints_is_kept_and_delivers_nothing(team: Team) -> None:
    event = emit(team, "member.joined")
    assert deliveries_of(team, event) == []
    assert team.superuser("select type from private.events where id = %s", [event]) == [
        {"type": "member.joined"}
    ]


def test_disabling_an_endpoint_abandons_its_pending_deliveries_and_enabling_clears_the_reason(
    team: Team,
) -> None:
    endpoint, _ = create(team)
    event = emit(team, "order.created")
    (disabled,) = team.as_("admin").update("webhook_endpoints", {"active": False}, id=endpoint["id"])
    assert disabled["disabled_reason"] == "manual"
    assert disabled["disabled_at"] is not None
    assert [d["status"] for d in deliveries_of(team, event)] == ["dead"]

    (enabled,) = team.as_("admin").update("webhook_endpoints", {"active": True}, id=endpoint["id"])
    assert (enabled["disabled_reason"], enabled["disabled_at"], enabled["failing_since"]) == (
        None,
        None,
        None,
    )


# =============================================================================================
# test send, replay
# =============================================================================================


def test_send_test_webhook_queues_one_delivery_to_that_endpoint_only(team: Team) -> None:
    endpoint, _ = create(team, event_types=["order.paid"])
    other, _ = create(team)
    delivery = team.as_("admin").rpc("send_test_webhook", endpoint_id=endpoint["id"])
    assert (delivery["endpoint_id"], delivery["event_type"], delivery["status"]) == (
        endpoint["id"],
        "webhook.test",
        "pending",
    )
    assert [d["endpoint_id"] for d in deliveries_of(team, delivery["event_id"])] == [endpoint["id"]]
    assert other["id"] != endpoint["id"]
    fails("LU200", team.as_("manager").rpc, "send_test_webhook", endpoint_id=endpoint["id"])
    team.as_("admin").update("webhook_endpoints", {"active": False}, id=endpoint["id"])
    fails("LU201", team.as_("admin").rpc, "send_test_webhook", endpoint_id=endpoint["id"])


def test_replay_sends_a_dead_delivery_again_with_the_same_id(team: Team) -> None:
    endpoint, _ = create(team)
    event = emit(team, "order.created")
    team.superuser(
        "update public.webhook_deliveries set status = 'dead', attempts = 8, next_attempt_at = null,"
        " completed_at = now() where event_id = %s",
        [event],
    )
    (dead,) = team.superuser("select id::text from public.webhook_deliveries where event_id = %s", [event])

    fails("LU202", team.as_("manager").rpc, "replay_webhook_delivery", delivery_id=dead["id"])
    fails("LU202", team.as_("outsider").rpc, "replay_webhook_delivery", delivery_id=dead["id"])
    replayed = team.as_("admin").rpc("replay_webhook_delivery", delivery_id=dead["id"])
    assert (replayed["id"], replayed["status"], replayed["attempts"]) == (dead["id"], "pending", 0)
    # replaying a pending delivery changes nothing
    again = team.as_("admin").rpc("replay_webhook_delivery", delivery_id=dead["id"])
    assert again["next_attempt_at"] == replayed["next_attempt_at"]
    assert endpoint["id"] == replayed["endpoint_id"]


def test_readers_see_deliveries_and_attempts_of_their_organisation_only(team: Team) -> None:
    create(team)
    event = emit(team, "order.created")
    (delivery,) = team.superuser(
        "select id::text from public.webhook_deliveries where event_id = %s", [event]
    )
    assert [str(d["id"]) for d in team.as_("manager").select("webhook_deliveries", id=delivery["id"])] == [
        delivery["id"]
    ]
    for who in ("viewer", "designer", "outsider"):
        assert team.as_(who).select("webhook_deliveries", id=delivery["id"]) == []
