"""The email outbox in SQL: which changes queue which email (once per idempotency key), what a
claim returns (the template's data gathered then, link tokens minted then and working), jobs that
are suppressed or cancelled instead of sent, the retry schedule, lost leases, release, one-click
unsubscribe, erasure and pruning.

Real Postgres and real concurrent connections; the worker's functions are called as the worker
calls them (superuser connection standing in for its role).
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from tests.support.concurrency import race
from tests.support.postgrest import fails
from tests.support.team import Team, new_person


@pytest.fixture(autouse=True)
def quiet(team: Team) -> None:
    """The team's users were welcomed and its admins notified: start from an empty outbox."""
    team.superuser("delete from private.email_outbox")


def jobs(team: Team, template: str | None = None) -> list[dict]:
    return team.superuser(
        "select * from private.email_outbox where %s::text is null or template = %s order by created_at, id",
        [template, template],
    )


def claim(team: Team, worker: str = "w1", most: int = 10, lease: int = 60) -> list[dict]:
    return team.superuser("select * from private.claim_emails(%s, %s, %s)", [worker, most, lease])


def record(team: Team, claimed: dict, outcome: str, worker: str = "w1", **extra: Any) -> str:
    (row,) = team.superuser(
        "select private.record_email_attempt(%s, %s, %s, %s, 'smtp', %s, %s, %s) as outcome",
        [
            claimed["email_id"],
            worker,
            claimed["attempt"],
            outcome,
            extra.get("message_id"),
            extra.get("error"),
            extra.get("retry_after"),
        ],
    )
    return row["outcome"]


def enqueue(team: Team, key: str = "k1", recipient: str = "someone@example.com", **values: Any) -> Any:
    (row,) = team.superuser(
        "select private.enqueue_email(%s, %s, %s, '{}', %s, %s, %s, %s) as id",
        [
            values.get("template", "welcome"),
            recipient,
            values.get("locale", "en"),
            key,
            values.get("kind", "account.welcome"),
            values.get("user_id"),
            values.get("organization_id"),
        ],
    )
    return row["id"]


def job(team: Team, email_id: Any) -> dict:
    (row,) = team.superuser(
        "select *, extract(epoch from next_attempt_at - now()) as due_in from private.email_outbox where id = %s",
        [email_id],
    )
    return row


# -- what queues an email -------------------------------------------------------------------------


def test_a_new_user_is_welcomed_once_in_their_language(team: Team) -> None:
    person = new_person(team.url, "newcomer", {"full_name": "Zoé", "locale": "fr-CA"})
    (welcome,) = jobs(team, "welcome")
    assert (welcome["recipient"], welcome["locale"], welcome["user_id"]) == (person.email, "fr", person.id)
    assert welcome["kind"] == "account.welcome"
    # a profile re-made for the same user (support fixing an account) queues no second welcome
    team.superuser("delete from public.profiles where id = %s", [person.id])
    team.superuser("insert into public.profiles (id) values (%s)", [person.id])
    assert len(jobs(team, "welcome")) == 1


def test_the_same_idempotency_key_queues_one_email(team: Team) -> None:
    first = enqueue(team, "same")
    assert first is not None
    assert enqueue(team, "same", recipient="other@example.com") is None
    assert [j["recipient"] for j in jobs(team)] == ["someone@example.com"]


def test_an_address_no_provider_would_take_queues_nothing_and_fails_nothing(team: Team) -> None:
    for bad in ("not-an-address", "a@b", "x" * 250 + "@example.com", " "):
        assert enqueue(team, f"bad-{bad[:5]}", recipient=bad) is None
    assert enqueue(team, "upper", recipient="  Someone@Example.COM ") is not None
    assert [j["recipient"] for j in jobs(team)] == ["someone@example.com"]


def test_an_invitation_emails_a_link_that_accepts_it(team: Team) -> None:
    invitee = "invitee@example.com"
    created = team.as_("admin").rpc(
        "create_invitation", organization_id=str(team.org_id), email=invitee, role="designer"
    )
    (queued,) = jobs(team, "invitation")
    assert (queued["recipient"], queued["kind"], queued["organization_id"]) == (
        invitee,
        "member.invited",
        team.org_id,
    )

    (claimed,) = claim(team)
    context = claimed["context"]
    token = context["secrets"]["accept_token"]
    assert token.startswith("luneo_inv_")
    assert token != created["token"]
    assert context["data"]["role"] == "designer"
    assert context["data"]["inviter_name"].startswith("Admin ")
    assert context["data"]["organization"] == {"name": "Maison Test", "branding": {}}
    assert context["data"]["recipient"] == {"email": invitee, "name": None}
    assert "unsubscribe_token" not in context["secrets"]  # an invitation is transactional
    # the raw token is nowhere in the database: only its hash
    assert team.superuser(
        "select count(*) as n from private.email_outbox where data::text like %s", [f"%{token}%"]
    ) == [{"n": 0}]

    person = new_person(team.url, "invitee")
    team.superuser("update auth.users set email = %s where id = %s", [invitee, person.id])
    person.email = invitee
    accepted = person.session(team.api).rpc("accept_invitation", token=token)
    assert accepted["role"] == "designer"


def test_resending_an_invitation_emails_a_new_link_and_the_old_one_stops_working(team: Team) -> None:
    created = team.as_("admin").rpc(
        "create_invitation", organization_id=str(team.org_id), email="late@example.com", role="viewer"
    )
    (first,) = claim(team)
    old_link = first["context"]["secrets"]["accept_token"]
    record(team, first, "sent")
    team.as_("admin").rpc("resend_invitation", invitation_id=created["invitation"]["id"])
    (second,) = claim(team)
    assert second["template"] == "invitation"
    new_link = second["context"]["secrets"]["accept_token"]
    person = new_person(team.url, "late")
    team.superuser("update auth.users set email = 'late@example.com' where id = %s", [person.id])
    person.email = "late@example.com"
    fails("LU001", person.session(team.api).rpc, "accept_invitation", token=old_link)
    assert person.session(team.api).rpc("accept_invitation", token=new_link)["role"] == "viewer"


def test_a_revoked_invitation_is_cancelled_not_sent(team: Team) -> None:
    created = team.as_("admin").rpc(
        "create_invitation", organization_id=str(team.org_id), email="gone@example.com", role="viewer"
    )
    team.as_("admin").rpc("revoke_invitation", invitation_id=created["invitation"]["id"])
    assert claim(team) == []
    (cancelled,) = jobs(team, "invitation")
    assert cancelled["status"] == "cancelled"
    assert cancelled["completed_at"] is not None


def place_order(team: Team, email: str | None) -> dict:
    product = team.as_("manager").insert(
        "products",
        {
            "organization_id": str(team.org_id),
            "sku": f"SKU-{uuid.uuid4().hex[:6]}",
            "name": "Bague Aurore",
            "price_amount": 12050,
            "stock": 10,
            "status": "active",
        },
    )[0]
    return team.as_("viewer").rpc(
        "place_order",
        organization_id=str(team.org_id),
        items=[{"product_id": product["id"], "quantity": 2}],
        customer_email=email,
    )


def test_an_order_emails_its_receipt_with_the_items_placed_in_the_same_transaction(team: Team) -> None:
    order = place_order(team, team.people["viewer"].email)
    (receipt,) = claim(team)
    assert (receipt["template"], receipt["kind"], receipt["recipient"]) == (
        "order_confirmation",
        "order.created",
        team.people["viewer"].email,
    )
    data = receipt["context"]["data"]
    assert data["order"]["number"] == order["order_number"]
    assert data["order"]["items"] == [
        {"name": "Bague Aurore", "quantity": 2, "unit_price": 12050, "total": 24100}
    ]
    assert data["order"]["total_amount"] == order["total_amount"]
    assert receipt["context"]["paths"] == {"order_url": f"/orders/{order['id']}"}
    assert "unsubscribe_token" not in receipt["context"]["secrets"]


def test_shipping_an_order_emails_the_customer_once(team: Team) -> None:
    order = place_order(team, team.people["viewer"].email)
    for status in ("paid", "processing", "shipped"):
        team.as_("manager").update("orders", {"status": status}, id=order["id"])
    shipped = jobs(team, "order_shipped")
    assert len(shipped) == 1
    assert shipped[0]["idempotency_key"] == f"order_shipped:{order['id']}"


def test_an_order_without_an_address_emails_nobody(team: Team) -> None:
    order = place_order(team, team.people["viewer"].email)
    team.superuser("delete from private.email_outbox")
    team.superuser("update public.orders set customer_email = null where id = %s", [order["id"]])
    (queued,) = team.superuser(
        "select private.enqueue_order_email('order_confirmation', 'order.created', %s) as id", [order["id"]]
    )
    assert queued["id"] is None
    assert jobs(team) == []


# -- claiming ---------------------------------------------------------------------------------------


def test_a_suppressed_address_is_never_sent_to(team: Team) -> None:
    team.superuser(
        "select private.suppress_email('Someone@example.com', 'hard_bounce', 'sendgrid', 'bounced')"
    )
    email_id = enqueue(team)
    assert claim(team) == []
    settled = job(team, email_id)
    assert (settled["status"], settled["attempts"]) == ("suppressed", 0)
    # suppressing twice keeps the first reason
    (again,) = team.superuser(
        "select private.suppress_email('someone@example.com', 'complaint', 'brevo') as added"
    )
    assert again["added"] is False
    assert team.superuser("select reason from private.email_suppressions") == [{"reason": "hard_bounce"}]


def test_an_email_turned_off_after_it_was_queued_is_cancelled(team: Team) -> None:
    admin = team.people["admin"]
    team.superuser(
        "select private.enqueue_email('webhook_endpoint_disabled', %s, 'en', %s, 'wh-1',"
        " 'webhook_endpoint.disabled', %s, %s)",
        [admin.email, '{"endpoint_id": "x"}', admin.id, team.org_id],
    )
    team.as_("admin").insert(
        "notification_preferences",
        {"user_id": str(admin.id), "kind": "webhook_endpoint.disabled", "channel": "email", "enabled": False},
    )
    assert claim(team) == []
    assert jobs(team)[0]["status"] == "cancelled"


def test_claims_lease_each_job_to_one_worker(team: Team) -> None:
    for i in range(40):
        enqueue(team, f"k{i}", recipient=f"person{i}@example.com")

    def take(worker: str) -> list[str]:
        return [str(r["email_id"]) for r in claim(team, worker, 15)]

    batches = race([lambda w=w: take(w) for w in ("a", "b", "c", "d")])
    taken = [email_id for batch in batches for email_id in batch]
    assert len(taken) == 40
    assert len(set(taken)) == 40
    assert claim(team, "e") == []  # all leased


def test_a_lapsed_lease_lets_another_worker_take_the_job_and_the_first_ones_answer_is_stale(
    team: Team,
) -> None:
    email_id = enqueue(team)
    (first,) = claim(team, "w1", lease=60)
    team.superuser("update private.email_outbox set next_attempt_at = now() where id = %s", [email_id])
    (second,) = claim(team, "w2")
    assert second["attempt"] == 2
    assert record(team, first, "sent", worker="w1") == "stale"
    assert record(team, second, "sent", worker="w2", message_id="<abc@example.com>") == "sent"
    done = job(team, email_id)
    assert (done["status"], done["provider_message_id"], done["provider"]) == (
        "sent",
        "<abc@example.com>",
        "smtp",
    )


# -- the outcome of an attempt ------------------------------------------------------------------------


def test_transient_failures_retry_on_the_schedule_then_fail(team: Team) -> None:
    email_id = enqueue(team)
    waits = []
    for attempt in range(1, 9):
        (claimed,) = claim(team)
        assert claimed["attempt"] == attempt
        outcome = record(team, claimed, "transient", error="451 try later")
        current = job(team, email_id)
        if attempt < 8:
            assert outcome == "retry"
            waits.append(current["due_in"])
            team.superuser(
                "update private.email_outbox set next_attempt_at = now() where id = %s", [email_id]
            )
        else:
            assert outcome == "failed"
            assert (current["status"], current["last_error"]) == ("failed", "451 try later")
    schedule = [30, 120, 600, 1800, 3600, 10800, 21600]
    for wait, expected in zip(waits, schedule, strict=True):
        assert float(expected) * 0.89 <= float(wait) <= float(expected) * 1.11


def test_retry_after_is_honoured_within_bounds(team: Team) -> None:
    email_id = enqueue(team)
    (claimed,) = claim(team)
    record(team, claimed, "transient", retry_after=900)
    assert 890 <= float(job(team, email_id)["due_in"]) <= 901
    team.superuser("update private.email_outbox set next_attempt_at = now() where id = %s", [email_id])
    (claimed,) = claim(team)
    record(team, claimed, "transient", retry_after=10**9)
    assert float(job(team, email_id)["due_in"]) <= 6 * 3600 + 1


def test_a_permanent_failure_is_not_retried(team: Team) -> None:
    email_id = enqueue(team)
    (claimed,) = claim(team)
    assert record(team, claimed, "permanent", error="550 no such user") == "failed"
    assert job(team, email_id)["status"] == "failed"
    assert claim(team) == []
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        record(team, {"email_id": email_id, "attempt": 1}, "maybe")


def test_release_gives_leased_jobs_back_without_counting_the_attempt(team: Team) -> None:
    email_id = enqueue(team)
    claim(team, "w1")
    (released,) = team.superuser("select private.release_emails('w1') as n")
    assert released["n"] == 1
    again = job(team, email_id)
    assert (again["attempts"], again["leased_by"]) == (0, None)
    assert float(again["due_in"]) <= 0
    assert team.superuser("select private.release_emails('w1') as n") == [{"n": 0}]


# -- unsubscribe --------------------------------------------------------------------------------------


def test_an_email_a_user_may_turn_off_carries_a_working_unsubscribe_token(team: Team) -> None:
    admin = team.people["admin"]
    team.superuser(
        "select private.enqueue_email('webhook_endpoint_disabled', %s, 'en', %s, 'wh-2',"
        " 'webhook_endpoint.disabled', %s, %s)",
        [admin.email, '{"endpoint_id": "e1"}', admin.id, team.org_id],
    )
    (claimed,) = claim(team)
    token = claimed["context"]["secrets"]["unsubscribe_token"]
    assert claimed["context"]["paths"] == {"endpoint_url": "/settings/webhooks/e1"}
    for _ in range(2):  # the same link works twice
        assert team.superuser("select private.unsubscribe_email(%s) as kind", [token]) == [
            {"kind": "webhook_endpoint.disabled"}
        ]
    assert team.superuser(
        "select enabled from public.notification_preferences where user_id = %s and kind = 'webhook_endpoint.disabled'"
        " and channel = 'email'",
        [admin.id],
    ) == [{"enabled": False}]
    with pytest.raises(psycopg.Error) as error:
        team.superuser("select private.unsubscribe_email('luneo_unsub_forged')")
    assert error.value.sqlstate == "LU303"


def test_the_worker_functions_are_not_for_api_callers(team: Team) -> None:
    for role in ("anon", "viewer", "owner"):
        fails("42501", team.as_(role).sql, "select * from private.claim_emails('x', 1, 60)")
        fails("42501", team.as_(role).sql, "select private.unsubscribe_email('x')")
        fails("42501", team.as_(role).sql, "select * from private.email_outbox")


# -- erasure and pruning ------------------------------------------------------------------------------


def test_erasing_an_account_deletes_its_emails_and_confirms_the_erasure(team: Team) -> None:
    person = new_person(team.url, "leaving", {"locale": "fr"})
    team.superuser(
        "select private.enqueue_email('welcome', %s, 'en', '{}', 'other', 'account.welcome')", [person.email]
    )
    person.session(team.api).rpc("request_account_erasure")
    team.as_("service_role").rpc("erase_account", user_id=str(person.id))
    (left,) = jobs(team)
    assert (left["template"], left["recipient"], left["locale"], left["user_id"]) == (
        "account_erasure_confirmation",
        person.email,
        "fr",
        None,
    )
    assert "erased_at" in left["data"]


def test_prune_deletes_settled_emails_past_retention_in_batches(team: Team) -> None:
    for i in range(5):
        enqueue(team, f"p{i}", recipient=f"p{i}@example.com")
    team.superuser(
        "update private.email_outbox set status = 'sent', completed_at = now() - interval '40 days'"
        " where idempotency_key in ('p0', 'p1', 'p2')"
    )
    assert team.superuser("select private.prune_emails(interval '30 days', 2) as n") == [{"n": 2}]
    assert team.superuser("select private.prune_emails(interval '30 days', 2) as n") == [{"n": 1}]
    assert len(jobs(team)) == 2  # the pending ones are never pruned
